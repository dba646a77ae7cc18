"""A consent is withdrawn at the very moment a coordinator hands over on it, on real
PostgreSQL: the consent row is locked by both, so either the handover is refused, or it
went first and the withdrawal ended its access. Never a live handover on a withdrawn consent."""

import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from referrals import services
from referrals.models import Consent, Disclosure, Handover, LegalBasis, Referral

pytestmark = pytest.mark.integration


@pytest.mark.parametrize("round_", range(4))
def test_it_never_leaves_a_live_handover_on_a_withdrawn_consent(postgresql, transactional_db, world, api,
                                                                referral_payload, round_):
    payload = {**referral_payload, "duty_triggers": [], "guardians": [{"name": "Mor", "informed": True}]}
    response = api(world.reporter).post("/api/v1/referrals/", payload, format="json")
    referral = Referral.objects.get(reference=response.json()["reference"])
    consent = services.consent_record(actor=world.coordinator, referral=referral, given_by="guardian_1",
                                      child_view="agrees", recipients=[world.police],
                                      purposes=["concern_conversation"], form="oral")
    basis = LegalBasis.objects.get(code="consent")
    barrier = threading.Barrier(2)
    outcomes: dict[str, str] = {}

    def hand_over():
        try:
            barrier.wait(5)
            services.handover_create(actor=world.coordinator, referral=referral, receiving_agency=world.police,
                                     type="concern_conversation", legal_basis=basis, scope=["identity"])
            outcomes["handover"] = "sent"
        except ValidationError:
            outcomes["handover"] = "refused"
        finally:
            connection.close()

    def withdraw():
        try:
            barrier.wait(5)
            services.consent_withdraw(actor=world.second_coordinator, consent=consent, withdrawn_by="guardian_1")
            outcomes["withdraw"] = "done"
        finally:
            connection.close()

    threads = [threading.Thread(target=hand_over), threading.Thread(target=withdraw)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(20)

    assert outcomes["withdraw"] == "done" and outcomes["handover"] in ("sent", "refused")
    assert Consent.objects.get(pk=consent.pk).withdrawn_at is not None
    assert not Handover.objects.filter(consent=consent, access_ended_at__isnull=True).exists()
    sent = Handover.objects.filter(referral=referral).count()
    assert sent == (1 if outcomes["handover"] == "sent" else 0)
    assert Disclosure.objects.filter(kind="handover", referral=referral).count() == sent
