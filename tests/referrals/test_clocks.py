"""Statutory clocks in Europe/Oslo time, with a travelled clock, across the daylight-saving
changes (in 2026 summer time starts on 29 March at 02:00 and ends on 25 October at 03:00)."""

from datetime import datetime, timedelta, timezone as dt_timezone
from zoneinfo import ZoneInfo

import pytest
import time_machine
from hypothesis import given
from hypothesis import strategies as st

from audit.models import AuditEvent
from referrals import clocks
from referrals.models import Deadline, Notification, Referral
from referrals.services.deadlines import remind_and_escalate

OSLO = ZoneInfo("Europe/Oslo")
UTC = dt_timezone.utc


def oslo(*args) -> datetime:
    return datetime(*args, tzinfo=OSLO)


@pytest.mark.parametrize(("received", "days", "months", "due_utc"), [
    # Winter time to summer time: due at 23:59:59 CEST, which is 21:59:59 UTC.
    (oslo(2026, 3, 25, 10, 0), 7, 0, datetime(2026, 4, 1, 21, 59, 59, tzinfo=UTC)),
    # Summer time to winter time: due at 23:59:59 CET, 22:59:59 UTC.
    (oslo(2026, 10, 20, 9, 30), 7, 0, datetime(2026, 10, 27, 22, 59, 59, tzinfo=UTC)),
    # Received half an hour after midnight in Oslo, still the day before in UTC: the Oslo day counts.
    (oslo(2026, 3, 29, 0, 30), 7, 0, datetime(2026, 4, 5, 21, 59, 59, tzinfo=UTC)),
    # Received in the hour that happens twice when summer time ends.
    (datetime(2026, 10, 25, 0, 30, tzinfo=UTC), 7, 0, datetime(2026, 11, 1, 22, 59, 59, tzinfo=UTC)),
    # Calendar months: three months from 30 November ends on the last day of February.
    (oslo(2026, 11, 30, 12, 0), 0, 3, datetime(2027, 2, 28, 22, 59, 59, tzinfo=UTC)),
    # Six months from a winter review deadline lands in summer time.
    (oslo(2026, 1, 31, 23, 59, 59), 0, 6, datetime(2026, 7, 31, 21, 59, 59, tzinfo=UTC)),
])
def test_it_ends_a_period_at_the_end_of_the_oslo_day(received, days, months, due_utc):
    assert clocks.due(received, days=days, months=months) == due_utc


@given(moment=st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2040, 12, 31),
                           timezones=st.just(UTC)),
       days=st.integers(0, 60), months=st.integers(0, 6))
def test_it_never_ends_a_period_before_it_starts_and_always_at_local_midnight(moment, days, months):
    due = clocks.due(moment, days=days, months=months)
    local = due.astimezone(OSLO)
    assert due > moment
    assert (local.hour, local.minute, local.second) == (23, 59, 59)
    assert local.date() >= clocks.oslo_date(moment) + timedelta(days=days)


def test_it_runs_the_review_clock_from_receipt_across_the_spring_change(world, api, referral_payload):
    # Filed on Friday 27 March 2026 at 16:00 in Oslo (15:00 UTC, winter time).
    with time_machine.travel(oslo(2026, 3, 27, 16, 0), tick=False):
        response = api(world.reporter).post("/api/v1/referrals/", referral_payload, format="json")
    assert response.status_code == 201
    referral = Referral.objects.get(reference=response.json()["reference"])
    review = referral.deadlines.get(kind="review")
    assert review.due_at == oslo(2026, 4, 3, 23, 59, 59)  # the next Friday, in summer time
    assert referral.deadlines.get(kind="feedback_receipt").due_at == oslo(2026, 4, 17, 23, 59, 59)

    def beat_at(moment):
        with time_machine.travel(moment, tick=False):
            from referrals.tasks import check_deadlines

            return check_deadlines()

    # Three days before: nothing yet. Two days before (Wednesday evening): a reminder.
    assert beat_at(oslo(2026, 3, 31, 20, 0)) == {"soon": 0, "today": 0, "breached": 0}
    assert beat_at(oslo(2026, 4, 2, 0, 30))["soon"] == 1
    # On the day, in the morning: the day's reminder, once.
    assert beat_at(oslo(2026, 4, 3, 8, 0))["today"] == 1
    assert beat_at(oslo(2026, 4, 3, 23, 59, 0))["today"] == 0
    # One second past local midnight is a breach, escalated once.
    assert beat_at(oslo(2026, 4, 4, 0, 0, 0))["breached"] == 1
    assert beat_at(oslo(2026, 4, 4, 9, 0))["breached"] == 0

    steps = list(AuditEvent.objects.filter(target_id=str(review.pk), action__startswith="deadline.")
                 .order_by("pk").values_list("action", flat=True))
    assert steps == ["deadline.opened", "deadline.soon", "deadline.today", "deadline.breached"]
    events = set(Notification.objects.filter(referral=referral).values_list("event", flat=True))
    assert {"deadline.soon", "deadline.today", "deadline.breached"} <= events


def test_it_keeps_the_investigation_clock_from_the_review_deadline_across_the_autumn_change(
        world, api, referral_payload):
    with time_machine.travel(oslo(2026, 7, 20, 11, 0), tick=False):
        response = api(world.reporter).post("/api/v1/referrals/", referral_payload, format="json")
        reference = response.json()["reference"]
    with time_machine.travel(oslo(2026, 7, 24, 15, 0), tick=False):
        assert api(world.coordinator).post(f"/api/v1/referrals/{reference}/decisions/",
                                           {"kind": "open_investigation"}, format="json").status_code == 201
    referral = Referral.objects.get(reference=reference)
    review = referral.deadlines.get(kind="review")
    investigation = referral.deadlines.get(kind="investigation")
    assert review.due_at == oslo(2026, 7, 27, 23, 59, 59) and review.state == Deadline.State.MET
    # § 2-2: three months counted from the review deadline, ending in winter time.
    assert investigation.due_at == oslo(2026, 10, 27, 23, 59, 59)
    assert investigation.due_at.astimezone(UTC).hour == 22

    with time_machine.travel(oslo(2026, 10, 1, 9, 0), tick=False):
        assert api(world.coordinator).post(f"/api/v1/referrals/{reference}/decisions/",
                                           {"kind": "extend_investigation", "justification": "Venter på avhør."},
                                           format="json").status_code == 201
    investigation.refresh_from_db()
    assert investigation.due_at == oslo(2027, 1, 27, 23, 59, 59)  # six months from the same start
    assert investigation.starts_at == review.due_at
