"""Two liaisons acknowledge the same handover at the same moment, on real PostgreSQL:
exactly one wins, the other gets a conflict, and the sender is told once."""

import threading

import pytest
from django.db import connection

from agencies.models import Membership
from audit.models import AuditEvent
from config.exceptions import ConflictError
from referrals import services
from referrals.models import Handover, LegalBasis, Notification, Referral
from tests.factories import MembershipFactory

pytestmark = pytest.mark.integration


def test_it_lets_exactly_one_of_two_concurrent_acknowledgements_win(postgresql, transactional_db, world, api,
                                                                    referral_payload):
    response = api(world.reporter).post("/api/v1/referrals/", referral_payload, format="json")
    referral = Referral.objects.get(reference=response.json()["reference"])
    second = MembershipFactory(user__username="liaison2", agency=world.police, role=Membership.Role.LIAISON).user
    handover = services.handover_create(actor=world.coordinator, referral=referral, receiving_agency=world.police,
                                        type="police_report", legal_basis=LegalBasis.objects.get(code="fvl-13b-6"),
                                        scope=["identity"])
    barrier = threading.Barrier(2)
    outcomes: dict[str, str] = {}

    def acknowledge(user, reference):
        try:
            barrier.wait(5)
            services.handover_acknowledge(actor=user, handover=handover, external_reference=reference)
            outcomes[reference] = "won"
        except ConflictError:
            outcomes[reference] = "conflict"
        finally:
            connection.close()

    threads = [threading.Thread(target=acknowledge, args=(world.liaison, "A-1")),
               threading.Thread(target=acknowledge, args=(second, "B-2"))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(20)

    assert sorted(outcomes.values()) == ["conflict", "won"]
    winner = next(ref for ref, outcome in outcomes.items() if outcome == "won")
    handover.refresh_from_db()
    assert handover.status == Handover.Status.ACKNOWLEDGED and handover.external_reference == winner
    assert AuditEvent.objects.filter(action="handover.acknowledged", target_id=str(handover.pk)).count() == 1
    told = Notification.objects.filter(handover=handover, event="handover.acknowledged")
    assert sorted(told.values_list("recipient__username", flat=True)) == ["coordinator", "coordinator2"]
