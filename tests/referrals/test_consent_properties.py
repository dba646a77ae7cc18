"""Properties of consent and disclosure, over random inputs (hypothesis):

- no disclosure without a basis: whatever is asked, every disclosure that exists names a
  legal basis usable for the receiving kind of agency and, where that basis needs consent,
  a consent that was valid and covered the receiver and purpose, or an override by someone
  allowed to with a reason; every handover has its disclosure;
- after a withdrawal nothing more leaves under that consent, and access that rested only on
  it is gone;
- the age rule: from 15 the child's own consent, under 15 a guardian's.
"""

from datetime import date

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agencies import roles
from config.exceptions import ConflictError
from referrals import services
from referrals.access import grant_for
from referrals.models import Consent, Disclosure, Handover, LegalBasis, Referral
from referrals.models.consent import CHILD_CONSENTS_FROM_AGE
from referrals.models.taxonomy import CONSULTATION_BASIS

SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
BASES = ["bvl-13-2", "strl-196", "fvl-13b-5", "fvl-13b-6", "fvl-13b-7", "politiregisterloven", None,
         *["consent"] * 6]  # the basis that needs consent, most often


@pytest.fixture
def filed(world, api, referral_payload):
    payload = {**referral_payload, "duty_triggers": [],
               "guardians": [{"name": "Mor", "informed": True}, {"name": "Far", "informed": True}]}
    response = api(world.reporter).post("/api/v1/referrals/", payload, format="json")
    assert response.status_code == 201, response.json()
    return Referral.objects.get(reference=response.json()["reference"])


def _rolled_back(check):
    """Run one example inside a savepoint that is rolled back, so examples are independent."""
    savepoint = transaction.savepoint()
    try:
        check()
    finally:
        transaction.savepoint_rollback(savepoint)


def _assert_every_disclosure_has_a_basis():
    for d in Disclosure.objects.select_related("legal_basis", "recipient", "consent"):
        assert d.legal_basis.usable_for(d.recipient.kind), d
        if d.legal_basis.code == CONSULTATION_BASIS:
            assert "identity" not in d.scope, d  # a consultation never carries who the child is
        if not d.legal_basis.allows_without_consent:
            if d.override:
                assert d.override_reason.strip()
                assert roles.memberships_for(d.approved_by, roles.OVERRIDE_CONSENT).filter(
                    agency=d.sending_agency).exists()
            else:
                c = d.consent
                assert c is not None and was_valid_at(c, d.created_at) and purpose_covered(c, d)
    assert not Handover.objects.exclude(pk__in=Disclosure.objects.values("handover")).exists()


def was_valid_at(consent: Consent, when) -> bool:
    """Valid at that moment, whatever happened to it since (a later withdrawal or expiry)."""
    return (consent.valid_from <= when and (consent.valid_until is None or when < consent.valid_until)
            and all(end is None or when < end for end in (consent.withdrawn_at, consent.ended_at)))


def purpose_covered(consent: Consent, disclosure: Disclosure) -> bool:
    # A routing (at filing, or forwarded onwards by a decision) is for the routing purpose.
    purpose = Consent.Purpose.ROUTING if disclosure.kind == Disclosure.Kind.ROUTING else disclosure.purpose
    return (purpose in consent.purposes
            and consent.recipients.filter(pk=disclosure.recipient_id).exists())


def test_it_never_discloses_without_a_basis(world, filed):
    # (receiver, a kind of handover it may receive); the emergency unit can receive none.
    receivers = {"police": (world.police, "concern_conversation"), "police2": (world.police, "police_report"),
                 "slt": (world.slt, "slt"), "immigration": (world.immigration, "immigration"),
                 "emergency": (world.emergency, "police_report")}

    @settings(SETTINGS, max_examples=80)
    @given(steps=st.lists(st.tuples(
        st.sampled_from(BASES), st.sampled_from(sorted(receivers)),
        st.sampled_from(["none", "covering", "other_purpose", "withdrawn"]), st.booleans(),
        st.sampled_from(["", "Fare for liv"])), min_size=1, max_size=4))
    def check(steps):
        def run():
            for code, receiver_key, consent_kind, override, reason in steps:
                receiver, type = receivers[receiver_key]
                consent = None
                if consent_kind != "none":
                    consent = services.consent_record(
                        actor=world.coordinator, referral=filed, given_by="guardian_1", child_view="agrees",
                        recipients=[receiver], form="oral",
                        purposes=[type if consent_kind != "other_purpose" else "barnehus"])
                    if consent_kind == "withdrawn":
                        services.consent_withdraw(actor=world.coordinator, consent=consent, withdrawn_by="guardian_2")
                before = Disclosure.objects.count()
                try:
                    services.handover_create(
                        actor=world.coordinator, referral=filed, receiving_agency=receiver, type=type,
                        legal_basis=LegalBasis.objects.filter(code=code).first(), scope=["identity"],
                        override=override, override_reason=reason)
                except (ValidationError, PermissionDenied, ConflictError):
                    assert Disclosure.objects.count() == before
                else:
                    assert Disclosure.objects.count() == before + 1
                _assert_every_disclosure_has_a_basis()
        _rolled_back(run)

    check()


def test_it_lets_nothing_leave_under_a_withdrawn_consent_and_ends_what_rested_on_it(world, filed):
    @SETTINGS
    @given(types=st.lists(st.sampled_from(["concern_conversation", "police_report", "barnehus"]), min_size=1,
                          max_size=3, unique=True),
           law_based=st.booleans(), after=st.lists(st.sampled_from(["concern_conversation", "police_report",
                                                                     "barnehus", "avert_crime"]), max_size=3),
           explicit=st.booleans())
    def check(types, law_based, after, explicit):
        def run():
            consent = services.consent_record(
                actor=world.coordinator, referral=filed, given_by="guardian_2", child_view="not_asked",
                recipients=[world.police], purposes=types, form="written")
            basis = LegalBasis.objects.get(code="consent")
            for type in types:
                services.handover_create(actor=world.coordinator, referral=filed, receiving_agency=world.police,
                                         type=type, legal_basis=basis, scope=["narrative"])
            if law_based:
                services.handover_create(actor=world.coordinator, referral=filed, receiving_agency=world.police,
                                         type="avert_crime", legal_basis=LegalBasis.objects.get(code="strl-196"),
                                         scope=["narrative"])
            services.consent_withdraw(actor=world.coordinator, consent=consent, withdrawn_by="guardian_2")
            under_consent = Disclosure.objects.filter(consent=consent).count()
            for type in after:
                try:
                    services.handover_create(actor=world.coordinator, referral=filed, receiving_agency=world.police,
                                             type=type, legal_basis=basis, scope=["narrative"],
                                             consent=consent if explicit else None)
                except (ValidationError, ConflictError):
                    pass
            assert Disclosure.objects.filter(consent=consent).count() == under_consent
            assert not Handover.objects.filter(consent=consent, access_ended_at__isnull=True).exists()
            grant = grant_for(world.liaison, filed)
            if law_based:
                assert grant is not None and grant.scope == frozenset({"narrative"})
            else:
                assert grant is None
        _rolled_back(run)

    check()


def test_it_applies_the_age_rule(world, filed):
    today = date.today()

    @SETTINGS
    @given(age=st.integers(0, 19), giver=st.sampled_from(Consent.Giver.values))
    def check(age, giver):
        def run():
            child = filed.child
            child.date_of_birth = date(today.year - age - 1, 1, 1) if (today.month, today.day) < (1, 1) \
                else date(today.year - age, 1, 1)
            child.save(update_fields=["date_of_birth"])
            allowed = (age >= CHILD_CONSENTS_FROM_AGE) == (giver == Consent.Giver.CHILD)
            try:
                consent = services.consent_record(
                    actor=world.coordinator, referral=filed, given_by=giver, child_view="agrees",
                    recipients=[world.police], purposes=["concern_conversation"], form="oral")
            except ValidationError as refused:
                assert not allowed and "given_by" in refused.message_dict
                assert not Consent.objects.exists()
            else:
                assert allowed and consent.child_age == age
        _rolled_back(run)

    check()


def test_it_withholds_the_identity_exactly_where_no_basis_or_consent_carries_it(world):
    """Any concern, filed with or without a consent, then consents recorded and withdrawn:
    a routing shows the child's identity if and only if its basis allows sharing without
    consent or a valid consent covers that agency for the routing purpose."""
    from referrals.models import Routing
    from referrals.services.intake_input import ChildData, ConsentData, GuardianData, ReferralData

    @SETTINGS
    @given(categories=st.sets(st.sampled_from("BCDEF"), min_size=1, max_size=3),
           triggers=st.sets(st.sampled_from(["serious_neglect", "trafficking"]), max_size=1),
           at_filing=st.booleans(),
           later=st.lists(st.tuples(st.sampled_from(["record", "withdraw"]),
                                    st.sets(st.sampled_from(["child_welfare", "police", "slt"]), min_size=1)),
                          max_size=3))
    def check(categories, triggers, at_filing, later):
        def run():
            data = ReferralData(
                child=ChildData(given_name="Ola", family_name="Nordmann", date_of_birth=date(2012, 5, 17)),
                categories=tuple(sorted(categories)), duty_triggers=tuple(sorted(triggers)),
                concern="Snakker om oppdrag.", guardians=(GuardianData(name="Mor", informed=True),),
                consent=ConsentData(given_by="guardian_1", form="oral", child_view="agrees") if at_filing else None)
            referral = services.referral_file(actor=world.reporter, reporting_agency=world.school, data=data)
            for action, names in later:
                recipients = [getattr(world, name) for name in sorted(names)]
                if action == "record":
                    services.consent_record(actor=world.coordinator, referral=referral, given_by="guardian_1",
                                            child_view="agrees", recipients=recipients, purposes=["routing"],
                                            form="written")
                else:
                    for consent in Consent.objects.filter(referral=referral, withdrawn_at__isnull=True):
                        services.consent_withdraw(actor=world.coordinator, consent=consent, withdrawn_by="guardian_1")
            for routing in Routing.objects.filter(referral=referral).select_related("legal_basis", "agency"):
                covered = any("routing" in c.purposes for c in disclosures_service.covering_consents(
                    referral=referral, recipient=routing.agency, purpose="routing"))
                carried = routing.legal_basis.allows_without_consent or covered
                assert routing.identity_withheld == (not carried), (routing.agency.kind, routing.legal_basis.code)
                grant = grant_for(world.coordinator, referral) if routing.agency == world.child_welfare else None
                if grant is not None:
                    assert grant.identity_withheld == routing.identity_withheld
            _assert_every_disclosure_has_a_basis()
        _rolled_back(run)

    from referrals.services import disclosures as disclosures_service

    check()
