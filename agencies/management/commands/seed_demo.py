"""Demo agencies and one user per role, for trying the system. Safe to run again."""

from datetime import date

from django.core.management.base import BaseCommand
from django.db import transaction
from django_otp.plugins.otp_totp.models import TOTPDevice

from agencies import two_factor
from agencies.models import Agency, Membership, Municipality, PoliceDistrict, User
from agencies.services import membership_grant

DEMO_PASSWORD = "Samvirke-demo-2026"
Role = Membership.Role
Kind = Agency.Kind

DISTRICTS = [("sor-ost", "Sør-Øst politidistrikt"), ("vest", "Vest politidistrikt")]
MUNICIPALITIES = [("3301", "Drammen", "sor-ost"), ("4601", "Bergen", "vest")]
# (key, name, kind, municipality number, police district code, phone)
AGENCIES = [
    ("school", "Fjell skole", Kind.SCHOOL, "3301", None, ""),
    ("cw", "Barneverntjenesten i Drammen", Kind.CHILD_WELFARE, "3301", None, ""),
    ("cwe", "Barnevernvakten i Drammen", Kind.CHILD_WELFARE_EMERGENCY, "3301", None, "+47 999 99 999"),
    ("police", "Sør-Øst politidistrikt, forebyggende enhet", Kind.POLICE, None, "sor-ost", ""),
    ("immigration", "Politiets utlendingsenhet", Kind.IMMIGRATION, None, "sor-ost", ""),
    ("slt", "SLT-koordinator Drammen", Kind.SLT, "3301", None, ""),
    ("health", "Skolehelsetjenesten Drammen", Kind.HEALTH, "3301", None, ""),
    ("outsider_school", "Bergen katedralskole", Kind.SCHOOL, "4601", None, ""),
    ("outsider_cw", "Barneverntjenesten i Bergen", Kind.CHILD_WELFARE, "4601", None, ""),
]
# (username, full name, agency key, role)
USERS = [
    ("laerer", "Lise Lærer", "school", Role.REPORTER),
    ("koordinator", "Kari Koordinator", "cw", Role.COORDINATOR),
    ("saksbehandler", "Sara Saksbehandler", "cw", Role.CASEWORKER),
    ("vakt", "Viktor Vakt", "cwe", Role.COORDINATOR),
    ("politikontakt", "Per Politikontakt", "police", Role.LIAISON),
    ("utlendingsenhet", "Ulla Utlending", "immigration", Role.LIAISON),
    ("slt", "Sindre SLT", "slt", Role.COORDINATOR),
    ("helse", "Hanne Helsesykepleier", "health", Role.REPORTER),
    ("revisor", "Rolf Revisor", "cw", Role.AUDITOR),
    ("agencyadmin", "Anne Administrator", "cw", Role.AGENCY_ADMIN),
    ("bergen.koordinator", "Bjørn Bergensen", "outsider_cw", Role.COORDINATOR),
    ("bergen.laerer", "Berit Bergensen", "outsider_school", Role.REPORTER),
]


class Command(BaseCommand):
    help = "Create demo municipalities, agencies and one user per role (idempotent)."

    @transaction.atomic
    def handle(self, *args, **options):
        districts = {
            code: PoliceDistrict.objects.update_or_create(code=code, defaults={"name": name})[0]
            for code, name in DISTRICTS
        }
        municipalities = {
            number: Municipality.objects.update_or_create(
                number=number, defaults={"name": name, "police_district": districts[district]}
            )[0]
            for number, name, district in MUNICIPALITIES
        }
        agencies = {}
        for key, name, kind, number, district, phone in AGENCIES:
            agencies[key], _ = Agency.objects.update_or_create(
                name=name,
                defaults={
                    "kind": kind,
                    "municipality": municipalities.get(number),
                    "police_district": districts.get(district) if district else
                    municipalities[number].police_district,
                    "email": f"{key.replace('_', '-')}@demo.samvirke.invalid",
                    "phone": phone,
                },
            )
        for username, full_name, agency_key, role in USERS:
            given, family = full_name.split(" ", 1)
            user, created = User.objects.get_or_create(
                username=username,
                defaults={"first_name": given, "last_name": family,
                          "email": f"{username}@demo.samvirke.invalid"},
            )
            if created:
                user.set_password(DEMO_PASSWORD)
                user.save(update_fields=["password"])
            membership_grant(actor=None, user=user, agency=agencies[agency_key], role=role)
        admin, created = User.objects.get_or_create(
            username="drift", defaults={"is_staff": True, "is_superuser": True,
                                        "email": "drift@demo.samvirke.invalid"},
        )
        if created:
            admin.set_password(DEMO_PASSWORD)
            admin.save(update_fields=["password"])
        self._demo_handover(agencies)
        self._demo_consultation(agencies)
        # Everyone who must sign in with two factors gets a confirmed authenticator device
        # (a random key); `manage.py demo_totp <user>` prints its current code.
        for user in User.objects.filter(username__in=[u[0] for u in USERS] + ["drift"]).order_by("pk"):
            if two_factor.required_for(user) and two_factor.confirmed_device(user) is None:
                TOTPDevice.objects.create(user=user, name="demo", confirmed=True)
        self.stdout.write(self.style.SUCCESS(
            f"Demo data ready: {len(agencies)} agencies, {len(USERS) + 1} users "
            f"(password for all: {DEMO_PASSWORD}; one-time codes: manage.py demo_totp <user>)."
        ))

    def _demo_consultation(self, agencies) -> None:
        """One concern below the duty to report, filed without a consent: child welfare,
        the police liaison and SLT see it as a consultation without the child's identity,
        until `laerer` records the family's consent on the referral page. Created once."""
        from referrals import services
        from referrals.models import Category, Referral

        concern = "Demo (drøfting uten identitet): snakker om poeng og rangering i en Telegram-gruppe."
        if Referral.objects.filter(concern=concern).exists() or not Category.objects.filter(code="B").exists():
            return
        data = services.ReferralData(
            child=services.ChildData(given_name="Demo", family_name="Drøfting", date_of_birth=date(2013, 9, 3)),
            categories=("B",), concern=concern,
            guardians=(services.GuardianData(name="Demo Forelder", informed=True),))
        services.referral_file(actor=User.objects.get(username="laerer"), reporting_agency=agencies["school"],
                               data=data)

    def _demo_handover(self, agencies) -> None:
        """One referral the school filed, handed over by child welfare to the police
        liaison and awaiting acknowledgement, so that `politikontakt` has something in the
        handover inbox. Created once: an existing demo handover (answered or not) is left
        as it is."""
        from referrals import services
        from referrals.models import Category, Handover, LegalBasis

        coordinator = User.objects.get(username="koordinator")
        if Handover.objects.filter(created_by=coordinator, receiving_agency=agencies["police"]).exists():
            return
        basis = LegalBasis.objects.filter(code="fvl-13b-6").first()
        if basis is None or not Category.objects.filter(code="B").exists():
            self.stdout.write("No taxonomy loaded (run migrate): no demo handover.")
            return
        data = services.ReferralData(
            child=services.ChildData(given_name="Demo", family_name="Eksempel", date_of_birth=date(2012, 2, 14)),
            categories=("B",), duty_triggers=("serious_behaviour",),
            concern="Demo: snakker om «oppdrag» og poeng, har flere nye telefoner.")
        referral = services.referral_file(actor=User.objects.get(username="laerer"),
                                          reporting_agency=agencies["school"], data=data)
        services.handover_create(actor=coordinator, referral=referral, receiving_agency=agencies["police"],
                                 type="concern_conversation", legal_basis=basis,
                                 scope=["identity", "categories_and_indicators", "identifiers"], urgency="P2",
                                 message="Demo: ønsker bekymringssamtale. Kvitter med deres saksnummer.")
