"""Two coordinators act on one referral at the same moment, on real PostgreSQL with row
locks: exactly one decision wins, the other gets a clear conflict, nothing is lost."""

import threading

import pytest
from django.db import connection

from audit.models import AuditEvent
from referrals.models import Assignment, Decision, Referral, Routing

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def at_once(*calls):
    """Run the calls in threads released together; each gets its own database connection."""
    barrier = threading.Barrier(len(calls))
    results = [None] * len(calls)

    def run(index, call):
        try:
            barrier.wait(timeout=10)
            results[index] = call()
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


@pytest.fixture
def filed(world, api, referral_payload):
    def file_one():
        response = api(world.reporter).post("/api/v1/referrals/", referral_payload, format="json")
        assert response.status_code == 201
        return Referral.objects.get(reference=response.json()["reference"])

    return file_one


@pytest.mark.parametrize("round_", range(3))
def test_it_lets_exactly_one_of_two_simultaneous_decisions_through(postgresql, world, api, filed, round_):
    referral = filed()
    url = f"/api/v1/referrals/{referral.reference}/decisions/"
    responses = at_once(
        lambda: api(world.coordinator).post(url, {"kind": "dismiss", "justification": "Ingen grunn til bekymring."},
                                            format="json"),
        lambda: api(world.second_coordinator).post(url, {"kind": "open_investigation"}, format="json"),
    )
    codes = sorted(r.status_code for r in responses)
    assert codes == [201, 409]
    loser = next(r for r in responses if r.status_code == 409)
    assert loser.json()["detail"]  # says what happened

    referral.refresh_from_db()
    decision = Decision.objects.get(referral=referral)
    assert referral.status == {"dismiss": "dismissed", "open_investigation": "investigating"}[decision.kind]
    assert AuditEvent.objects.filter(action="referral.decided", target_id=str(referral.pk)).count() == 1
    routing = Routing.objects.get(referral=referral, agency=world.child_welfare)
    assert routing.status == referral.status


def test_it_loses_no_assignment_when_two_coordinators_assign_at_once(postgresql, world, api, filed):
    referral = filed()
    url = f"/api/v1/referrals/{referral.reference}/assign/"
    responses = at_once(
        lambda: api(world.coordinator).post(url, {"caseworker": world.caseworker.pk}, format="json"),
        lambda: api(world.second_coordinator).post(url, {"caseworker": world.coordinator.pk}, format="json"),
    )
    assert [r.status_code for r in responses] == [200, 200]
    referral.refresh_from_db()
    current = Assignment.objects.get(referral=referral, ended_at__isnull=True)
    assert current.caseworker_id == referral.caseworker_id
    assert Assignment.objects.filter(referral=referral).count() == 2  # one replaced the other, on the record
    assert world.caseworker.has_perm("referrals.work_on_referral", referral) == (
        referral.caseworker_id == world.caseworker.pk)
    assert Routing.objects.get(referral=referral, agency=world.child_welfare).caseworker_id == referral.caseworker_id
