"""Nothing falls silently between two agencies: handovers and routings not acknowledged by
their deadline escalate, step after step, each step recorded and audited, until answered."""

from datetime import timedelta

import pytest
from django.utils import timezone

from agencies.models import Membership
from audit.models import AuditEvent
from referrals import clocks
from referrals.models import Escalation, Handover, Notification, Referral
from referrals.services.escalation import escalate_unacknowledged
from tests.factories import MembershipFactory


@pytest.fixture
def filed(world, api, referral_payload):
    response = api(world.reporter).post("/api/v1/referrals/", referral_payload, format="json")
    return Referral.objects.get(reference=response.json()["reference"])


@pytest.fixture
def handover(world, api, filed):
    second_liaison = MembershipFactory(user__username="liaison2", agency=world.police,
                                       role=Membership.Role.LIAISON).user
    police_admin = MembershipFactory(user__username="policeadmin", agency=world.police,
                                     role=Membership.Role.AGENCY_ADMIN).user
    response = api(world.coordinator).post("/api/v1/handovers/", {
        "referral": filed.reference, "receiving_agency": world.police.pk, "type": "police_report",
        "legal_basis": "fvl-13b-6", "scope": ["identity"], "urgency": "P0"}, format="json")
    assert response.status_code == 201
    handover = Handover.objects.get(reference=response.json()["reference"])
    handover.people = {"liaison2": second_liaison, "policeadmin": police_admin}
    return handover


def told(event, step_key):
    return set(Notification.objects.filter(event=event, key=step_key).values_list("recipient__username", flat=True))


def test_it_does_nothing_before_the_deadline(world, handover):
    assert escalate_unacknowledged(now=handover.acknowledge_by - timedelta(minutes=1))["handovers"] == 0
    assert not Escalation.objects.exists()


def test_it_escalates_to_the_liaisons_then_the_agency_admins_until_acknowledged(world, api, handover, settings):
    late = handover.acknowledge_by + timedelta(minutes=1)
    assert escalate_unacknowledged(now=late)["handovers"] == 1
    step1 = Escalation.objects.get(handover=handover, step=1)
    assert step1.audience == "receivers"
    assert told("handover.overdue", f"handover:{handover.pk}:escalation:1") == {"liaison", "liaison2", "coordinator"}
    event = AuditEvent.objects.get(action="handover.escalated")
    assert event.changes["step"] == 1 and event.child_id == handover.referral.child_id
    assert event.agency_id == world.police.pk

    # The same sweep again (or a second beat at once): nothing new.
    assert escalate_unacknowledged(now=late)["handovers"] == 0
    handover.refresh_from_db()
    assert handover.escalation_level == 1 and handover.next_escalation_at == late + settings.ESCALATION_REPEAT

    later = handover.next_escalation_at
    assert escalate_unacknowledged(now=later)["handovers"] == 1
    assert Escalation.objects.get(handover=handover, step=2).audience == "admins"
    assert told("handover.overdue", f"handover:{handover.pk}:escalation:2") == {"policeadmin"}

    # It keeps escalating while nobody answers.
    assert escalate_unacknowledged(now=later + settings.ESCALATION_REPEAT)["handovers"] == 1
    assert Escalation.objects.filter(handover=handover).count() == 3

    api(world.liaison).post(f"/api/v1/handovers/{handover.reference}/acknowledge/",
                            {"external_reference": "2026-1"}, format="json")
    assert escalate_unacknowledged(now=later + 10 * settings.ESCALATION_REPEAT)["handovers"] == 0
    assert AuditEvent.objects.filter(action="handover.escalated").count() == 3


def test_a_revoked_handover_stops_escalating(world, api, handover):
    api(world.coordinator).post(f"/api/v1/handovers/{handover.reference}/revoke/")
    assert escalate_unacknowledged(now=handover.acknowledge_by + timedelta(days=3))["handovers"] == 0


def test_it_alarms_the_sender_when_the_receiving_agency_has_nobody_to_tell(world, api, filed):
    response = api(world.coordinator).post("/api/v1/handovers/", {
        "referral": filed.reference, "receiving_agency": world.outsider_child_welfare.pk,
        "type": "municipality_transfer", "legal_basis": "fvl-13b-5", "scope": ["identity"]}, format="json")
    handover = Handover.objects.get(reference=response.json()["reference"])
    Membership.objects.filter(agency=world.outsider_child_welfare).update(is_active=False)
    escalate_unacknowledged(now=handover.acknowledge_by + timedelta(seconds=1))
    assert told("handover.overdue", f"handover:{handover.pk}:escalation:1") == {"coordinator", "coordinator2"}


def test_an_unacknowledged_routing_escalates_until_someone_acknowledges_it(world, api, filed, settings):
    routing = filed.routings.get()
    assert routing.acknowledge_by == clocks.working_days_after(filed.submitted_at, 2)
    late = routing.acknowledge_by + timedelta(seconds=1)
    assert escalate_unacknowledged(now=late)["routings"] == 1
    assert told("routing.overdue", f"routing:{routing.pk}:escalation:1") == {"coordinator", "coordinator2"}
    assert escalate_unacknowledged(now=late + settings.ESCALATION_REPEAT)["routings"] == 1
    assert told("routing.overdue", f"routing:{routing.pk}:escalation:2") == {"agencyadmin"}
    assert AuditEvent.objects.filter(action="routing.escalated", target_id=str(routing.pk)).count() == 2

    api(world.coordinator).post(f"/api/v1/referrals/{filed.reference}/acknowledge/")
    assert escalate_unacknowledged(now=late + 5 * settings.ESCALATION_REPEAT)["routings"] == 0


def test_a_decision_acknowledges_the_deciding_agencys_routing(world, api, filed):
    api(world.coordinator).post(f"/api/v1/referrals/{filed.reference}/decisions/",
                                {"kind": "open_investigation"}, format="json")
    routing = filed.routings.get()
    assert routing.acknowledged_by == world.coordinator
    assert escalate_unacknowledged(now=timezone.now() + timedelta(days=30))["routings"] == 0


def test_the_beat_schedule_runs_the_sweep(settings):
    tasks = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert {"referrals.tasks.escalate_unacknowledged", "referrals.tasks.send_daily_digests",
            "referrals.tasks.sweep_unsent_notifications"} <= tasks


@pytest.mark.parametrize("sent,expected", [
    ("2026-11-20 10:00", "2026-11-24"),  # Friday → Tuesday (weekend skipped)
    ("2026-12-23 10:00", "2026-12-28"),  # Christmas Day and Boxing Day skipped
    ("2026-04-01 10:00", "2026-04-08"),  # Maundy Thursday to Easter Monday skipped
    ("2026-05-15 10:00", "2026-05-19"),  # Friday → Tuesday; 17 May is a Sunday
])
def test_it_counts_norwegian_working_days(sent, expected):
    from datetime import datetime

    start = datetime.fromisoformat(sent).replace(tzinfo=clocks.OSLO)
    due = clocks.working_days_after(start, 2)
    assert str(clocks.oslo_date(due)) == expected and due.timetz().replace(tzinfo=None) == clocks.END_OF_DAY
