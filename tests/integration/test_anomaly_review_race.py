"""Two auditors mark the same anomaly reviewed at the same moment, on PostgreSQL: one
review is kept, the other gets a conflict, and exactly one audit event is written."""

import threading

import pytest
from django.db import connection
from django.utils import timezone

from audit.models import Anomaly, AnomalyReview, AuditEvent
from audit.services import anomaly_review
from config.exceptions import ConflictError
from tests.factories import MembershipFactory

pytestmark = pytest.mark.integration


def test_it_keeps_one_review_when_two_auditors_race(postgresql, transactional_db, world):
    second = MembershipFactory(user__username="auditor2", agency=world.child_welfare, role="auditor").user
    now = timezone.now()
    anomaly = Anomaly.objects.create(key="race", kind="denied", actor=world.outsider, actor_username="outsider",
                                     agency=world.child_welfare, window_start=now, window_end=now, count=1,
                                     first_event_id=1, last_event_id=1)
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def review(user):
        try:
            barrier.wait(timeout=10)
            anomaly_review(actor=user, anomaly=anomaly, note=f"Checked by {user.username}.")
            outcomes.append("reviewed")
        except ConflictError:
            outcomes.append("conflict")
        finally:
            connection.close()

    threads = [threading.Thread(target=review, args=(user,)) for user in (world.auditor, second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert sorted(outcomes) == ["conflict", "reviewed"]
    review_row = AnomalyReview.objects.get(anomaly=anomaly)
    assert review_row.note == f"Checked by {review_row.reviewed_by.username}."
    events = AuditEvent.objects.filter(action="audit.anomaly_reviewed")
    assert events.count() == 1 and events.get().actor == review_row.reviewed_by
