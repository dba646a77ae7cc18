from django.core.management import call_command

from agencies.models import Agency, Membership, User
from agencies.services import membership_grant, membership_revoke
from audit.models import AuditEvent


def test_it_audits_granting_and_revoking_a_membership(world):
    user = User.objects.create_user("newcomer")
    membership = membership_grant(actor=world.agency_admin, user=user, agency=world.child_welfare,
                                  role=Membership.Role.CASEWORKER)
    again = membership_grant(actor=world.agency_admin, user=user, agency=world.child_welfare,
                             role=Membership.Role.CASEWORKER)
    membership_revoke(actor=world.agency_admin, membership=membership)

    assert again.pk == membership.pk
    membership.refresh_from_db()
    assert membership.is_active is False
    assert list(AuditEvent.objects.order_by("id").values_list("action", "actor__username", "role")) == [
        ("membership.granted", "agencyadmin", "caseworker"),
        ("membership.revoked", "agencyadmin", "caseworker"),
        ("user.sessions_ended", "agencyadmin", ""),  # it was their last membership
    ]


def test_it_seeds_demo_data_for_every_role_idempotently(db, reference_data):
    from referrals.models import Handover, Referral

    call_command("seed_demo", verbosity=0)
    counts = (User.objects.count(), Agency.objects.count(), Membership.objects.count(),
              AuditEvent.objects.count(), Referral.objects.count(), Handover.objects.count())
    call_command("seed_demo", verbosity=0)
    assert (User.objects.count(), Agency.objects.count(), Membership.objects.count(),
            AuditEvent.objects.count(), Referral.objects.count(), Handover.objects.count()) == counts

    pending = Handover.objects.get(status="pending")
    assert pending.receiving_agency.memberships.filter(user__username="politikontakt").exists()
    assert pending.created_by.username == "koordinator"
    # A concern below the duty to report, filed without a consent: a consultation without identity.
    consultation = Referral.objects.get(duty_triggers=[], categories__code="B")
    assert consultation.routings.exists() and not consultation.routings.filter(identity_withheld=False).exists()

    roles = set(Membership.objects.values_list("role", flat=True))
    assert roles == set(Membership.Role.values)
    kinds = set(Agency.objects.values_list("kind", flat=True))
    assert {"school", "child_welfare", "child_welfare_emergency", "police", "immigration"} <= kinds
    outsider = User.objects.get(username="bergen.koordinator")
    assert outsider.memberships.get().agency.municipality.number != "3301"
    assert User.objects.get(username="laerer").check_password("Samvirke-demo-2026")
