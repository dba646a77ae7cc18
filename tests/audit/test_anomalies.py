"""Anomalies found in crafted trails, listed for the auditor, and marked as reviewed
(once, audited)."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command

from audit import anomalies
from audit.models import Anomaly, AnomalyReview, AuditEvent
from audit.tasks import detect_anomalies
from tests.factories import PASSWORD, MembershipFactory

OSLO = ZoneInfo("Europe/Oslo")
# A Tuesday afternoon hour in Oslo, and a night hour.
DAY = datetime(2026, 11, 17, 14, 0, tzinfo=OSLO)
NIGHT = datetime(2026, 11, 17, 23, 0, tzinfo=OSLO)


def events(user, agency, n, *, at, action="referral.read", outcome="ok", role="coordinator"):
    AuditEvent.objects.bulk_create([
        AuditEvent(action=action, actor=user, actor_username=user.username, agency=agency, role=role,
                   outcome=outcome, child_id=1000 + i, occurred_at=at + timedelta(seconds=i))
        for i in range(n)
    ])


@pytest.fixture
def crafted(world, settings):
    settings.SAMVIRKE_ANOMALY_MIN_READS = 20
    settings.SAMVIRKE_ANOMALY_READS_FACTOR = 5
    settings.SAMVIRKE_ANOMALY_READS_LIMIT = 100
    colleagues = [MembershipFactory(user__username=f"colleague{i}", agency=world.child_welfare,
                                    role="coordinator").user for i in range(3)]
    for user in colleagues + [world.second_coordinator]:
        events(user, world.child_welfare, 6, at=DAY)
    events(world.coordinator, world.child_welfare, 40, at=DAY)  # 40 >= 5 x median 6
    events(world.liaison, world.police, 150, at=DAY)  # alone in the agency: over the hard limit
    events(world.emergency_coordinator, world.emergency, 15, at=DAY)  # alone, under the limits
    events(world.outsider, None, 2, at=DAY, outcome="denied", role="")
    events(world.caseworker, world.child_welfare, 1, at=DAY, action="referral.break_glass", role="caseworker")
    events(world.second_coordinator, world.child_welfare, 3, at=NIGHT)
    return DAY


def found(**filters):
    return sorted(Anomaly.objects.filter(**filters).values_list("kind", "actor_username", "count"))


def test_it_finds_each_kind_of_anomaly_in_a_crafted_trail(world, crafted):
    assert anomalies.detect(hours=12, now=NIGHT + timedelta(hours=2)) == 5
    assert found() == sorted([
        ("many_reads", "coordinator", 40),
        ("many_reads", "liaison", 150),
        ("denied", "outsider", 2),
        ("break_glass", "caseworker", 1),
        ("night_reads", "coordinator2", 3),
    ])
    many = Anomaly.objects.get(kind="many_reads", actor_username="coordinator")
    assert many.baseline == 6 and many.agency == world.child_welfare
    assert many.window_start == DAY and many.window_end == DAY + timedelta(hours=1)
    first = AuditEvent.objects.filter(actor=world.coordinator).order_by("id").first()
    assert many.first_event_id == first.pk


def test_it_does_not_flag_reads_at_the_same_hour_in_the_day_or_ordinary_readers(world, crafted):
    anomalies.detect(hours=12, now=NIGHT + timedelta(hours=2))
    assert not Anomaly.objects.filter(actor_username__startswith="colleague").exists()
    assert not Anomaly.objects.filter(actor=world.emergency_coordinator).exists()
    assert not Anomaly.objects.filter(kind="night_reads", window_start=DAY).exists()


def test_it_scans_again_without_duplicates(world, crafted):
    anomalies.detect(hours=12, now=NIGHT + timedelta(hours=2))
    before = Anomaly.objects.count()
    detect_anomalies.apply(kwargs={"hours": 12})  # the Celery task, today: nothing new
    anomalies.detect(hours=24, now=NIGHT + timedelta(hours=3))
    assert Anomaly.objects.count() == before == 5


def test_it_backfills_from_the_command(world, crafted, capsys):
    call_command("detect_anomalies", "--hours", "1")
    assert "Scanned 1 hours" in capsys.readouterr().out


@pytest.fixture
def listed(world, crafted):
    anomalies.detect(hours=12, now=NIGHT + timedelta(hours=2))
    return Anomaly.objects.get(kind="many_reads", actor_username="coordinator")


def test_it_lists_the_anomalies_of_the_auditors_agencies(world, api, listed, outsider_auditor):
    body = api(world.auditor).get("/api/v1/audit/anomalies/").json()
    listed_users = {(row["kind"], row["actor_username"]) for row in body["results"]}
    # Drammen child welfare's people; the police liaison and the Bergen outsider are not theirs.
    assert listed_users == {("many_reads", "coordinator"), ("break_glass", "caseworker"),
                            ("night_reads", "coordinator2")}
    bergen = {row["actor_username"] for row in api(outsider_auditor).get("/api/v1/audit/anomalies/").json()["results"]}
    assert bergen == {"outsider"}
    event = AuditEvent.objects.filter(action="audit.anomalies_listed").first()
    assert event.actor == world.auditor and event.changes == {"state": "open", "rows": 3}


def test_it_marks_an_anomaly_reviewed_once_and_audits_it(world, api, listed):
    auditor = api(world.auditor)
    response = auditor.post(f"/api/v1/audit/anomalies/{listed.pk}/review/",
                            {"note": "Backlog clearing after the holidays; agreed with the leader."}, format="json")
    assert response.status_code == 201
    assert response.json()["review"]["reviewed_by"] == "auditor"
    review = AnomalyReview.objects.get(anomaly=listed)
    assert review.reviewed_by == world.auditor and review.note.startswith("Backlog")
    event = AuditEvent.objects.get(action="audit.anomaly_reviewed")
    assert event.actor == world.auditor and event.role == "auditor" and event.agency == world.child_welfare
    assert event.target_type == "audit.anomaly" and event.target_id == str(listed.pk)
    assert event.changes["kind"] == "many_reads" and event.changes["user"] == "coordinator"

    again = auditor.post(f"/api/v1/audit/anomalies/{listed.pk}/review/", {"note": "Again"}, format="json")
    assert again.status_code == 409 and AnomalyReview.objects.get(anomaly=listed).note.startswith("Backlog")
    open_rows = auditor.get("/api/v1/audit/anomalies/").json()["results"]
    assert listed.pk not in [row["id"] for row in open_rows]
    reviewed = auditor.get("/api/v1/audit/anomalies/", {"state": "reviewed"}).json()["results"]
    assert [row["id"] for row in reviewed] == [listed.pk]


def test_it_refuses_an_empty_note_and_changes_nothing(world, api, listed):
    response = api(world.auditor).post(f"/api/v1/audit/anomalies/{listed.pk}/review/", {"note": "  "},
                                       format="json")
    assert response.status_code == 400 and "note" in response.json()
    assert not AnomalyReview.objects.exists()
    assert not AuditEvent.objects.filter(action="audit.anomaly_reviewed").exists()


def test_it_refuses_reviews_outside_the_scope_and_by_non_auditors(world, api, listed, outsider_auditor):
    url = f"/api/v1/audit/anomalies/{listed.pk}/review/"
    assert api(outsider_auditor).post(url, {"note": "Mine now"}, format="json").status_code == 404
    assert api(world.coordinator).post(url, {"note": "Nothing to see"}, format="json").status_code == 403
    assert not AnomalyReview.objects.exists()
    denied = list(AuditEvent.objects.filter(action="audit.anomaly_reviewed").values_list("actor_username", "outcome"))
    assert sorted(denied) == [("bergen_auditor", "denied"), ("coordinator", "denied")]


def test_it_reviews_from_the_web_page(world, client, listed):
    client.login(username="auditor", password=PASSWORD)
    page = client.get("/audit/anomalies/")
    assert page.status_code == 200 and f"/audit/anomalies/{listed.pk}/review/" in page.content.decode()
    response = client.post(f"/audit/anomalies/{listed.pk}/review/", {"note": "Checked with the unit.",
                                                                    "state": "open"})
    assert response.status_code == 302 and response["Location"] == "/audit/anomalies/?state=open"
    assert AnomalyReview.objects.filter(anomaly=listed, reviewed_by=world.auditor).exists()
    empty = client.post(f"/audit/anomalies/{listed.pk}/review/", {"note": ""})
    assert empty.status_code == 302 and AnomalyReview.objects.count() == 1


@pytest.mark.parametrize("extra", [0, 12])
def test_it_lists_anomalies_in_a_fixed_number_of_queries(world, api, client, listed,
                                                        django_assert_num_queries, extra):
    for i in range(extra):
        Anomaly.objects.create(key=f"k{i}", kind="denied", actor=world.coordinator, actor_username="coordinator",
                               agency=world.child_welfare, window_start=DAY, window_end=DAY, count=1,
                               first_event_id=1, last_event_id=1)
    with django_assert_num_queries(3):  # memberships, the page with agencies and reviews, the audit event
        assert api(world.auditor).get("/api/v1/audit/anomalies/", {"state": "all"}).status_code == 200
    client.force_login(world.auditor)
    with django_assert_num_queries(9):  # + session, user, the second factor, and the counts in the page header
        assert client.get("/audit/anomalies/").status_code == 200
