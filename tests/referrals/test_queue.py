"""The coordinator's queue: order, filters, counts, keyset pages and pinned query counts."""

import copy
from datetime import timedelta

import pytest
from django.test.utils import CaptureQueriesContext
from django.db import connection
from django.utils import timezone

from audit.models import AuditEvent
from referrals.models import Deadline, Referral, Routing

QUEUE = "/api/v1/referrals/"


@pytest.fixture
def file(world, api, referral_payload):
    """File referrals as the school's reporter; categories and names vary."""

    def file_one(n: int = 0, categories=("F",)) -> Referral:
        payload = copy.deepcopy(referral_payload)
        payload["child"]["given_name"] = f"Barn{n:03d}"
        payload["child"]["date_of_birth"] = f"2012-{(n % 12) + 1:02d}-{(n % 27) + 1:02d}"
        payload["categories"] = list(categories)
        response = api(world.reporter).post(QUEUE, payload, format="json")
        assert response.status_code == 201, response.json()
        return Referral.objects.get(reference=response.json()["reference"])

    return file_one


@pytest.fixture
def twelve(file):
    return [file(n, categories=("F",) if n % 3 else ("B", "F")) for n in range(12)]


def queue_rows(api, user, **params):
    """Walk the queue page by page through the next links; return every row."""
    client = api(user)
    rows, url, pages = [], QUEUE, 0
    params = {k: str(v) for k, v in params.items()}
    response = client.get(url, params)
    while True:
        assert response.status_code == 200, response.json()
        body = response.json()
        rows += body["results"]
        pages += 1
        if not body["next"]:
            return rows, pages, body["counts"]
        response = client.get(body["next"])


def test_it_pages_through_the_whole_queue_once_in_order(world, api, twelve):
    Routing.objects.filter(referral=twelve[5], agency=world.child_welfare).update(urgency="P0")
    rows, pages, counts = queue_rows(api, world.coordinator, page_size=5)

    references = [r["reference"] for r in rows]
    assert pages == 3 and len(references) == 12 and len(set(references)) == 12
    assert references[0] == twelve[5].reference  # most urgent first
    keys = [(r["urgency"], r["due_at"]) for r in rows]
    assert keys == sorted(keys)
    assert counts["total"] == 12


def test_it_keeps_pages_stable_when_rows_share_urgency_and_deadline(world, api, twelve):
    due = timezone.now() + timedelta(days=3)
    Routing.objects.filter(agency=world.child_welfare).update(urgency="P2", due_at=due)
    rows, pages, _counts = queue_rows(api, world.coordinator, page_size=4)
    assert [r["reference"] for r in rows] == [r.reference for r in sorted(twelve, key=lambda r: r.routings.get(
        agency=world.child_welfare).pk)]


def test_it_filters_by_category_status_caseworker_and_deadline_with_counts(world, api, twelve):
    api(world.coordinator).post(f"/api/v1/referrals/{twelve[1].reference}/assign/",
                                {"caseworker": world.caseworker.pk}, format="json")
    api(world.coordinator).post(f"/api/v1/referrals/{twelve[2].reference}/decisions/",
                                {"kind": "open_investigation"}, format="json")
    overdue = twelve[4]
    Routing.objects.filter(referral=overdue).update(due_at=timezone.now() - timedelta(hours=1))

    by_category, _, counts = queue_rows(api, world.coordinator, category="B")
    assert {r["reference"] for r in by_category} == {twelve[n].reference for n in (0, 3, 6, 9)}
    assert counts["category"] == {"B": 4, "F": 12}

    mine, _, _ = queue_rows(api, world.coordinator, caseworker=world.caseworker.pk)
    assert [r["reference"] for r in mine] == [twelve[1].reference] and mine[0]["caseworker"] == "caseworker"
    unassigned, _, _ = queue_rows(api, world.coordinator, caseworker="none")
    assert len(unassigned) == 11 and counts["unassigned"] == 11

    investigating, _, _ = queue_rows(api, world.coordinator, status="investigating")
    assert [r["reference"] for r in investigating] == [twelve[2].reference]
    assert counts["status"]["investigating"] == 1 and counts["status"]["submitted"] == 11

    late, _, _ = queue_rows(api, world.coordinator, deadline="overdue")
    assert [(r["reference"], r["deadline_state"]) for r in late] == [(overdue.reference, "overdue")]
    assert counts["deadline"] == {"overdue": 1, "due_soon": 0, "on_time": 11}

    combined, _, _ = queue_rows(api, world.coordinator, category="B", caseworker="none", status="submitted")
    assert {r["reference"] for r in combined} == {twelve[n].reference for n in (0, 3, 6, 9)}


def test_it_keeps_the_routing_copies_in_step_with_the_referral(world, api, twelve):
    referral = twelve[0]
    client = api(world.coordinator)
    client.post(f"/api/v1/referrals/{referral.reference}/assign/", {"caseworker": world.caseworker.pk}, format="json")
    client.post(f"/api/v1/referrals/{referral.reference}/decisions/", {"kind": "open_investigation"}, format="json")
    for routing in Routing.objects.filter(referral=referral):
        assert (routing.status, routing.caseworker_id) == ("investigating", world.caseworker.pk)
    client.post(f"/api/v1/referrals/{referral.reference}/assign/", {"caseworker": None}, format="json")
    assert set(Routing.objects.filter(referral=referral).values_list("caseworker", flat=True)) == {None}


def test_it_leaves_decided_referrals_out_of_the_queue(world, api, twelve):
    api(world.coordinator).post(f"/api/v1/referrals/{twelve[0].reference}/decisions/",
                                {"kind": "dismiss", "justification": "Checked with the school; no concern."},
                                format="json")
    rows, _, counts = queue_rows(api, world.coordinator)
    assert twelve[0].reference not in {r["reference"] for r in rows} and counts["total"] == 11


@pytest.mark.parametrize("params", [
    {"status": "nonsense"}, {"deadline": "tomorrow"}, {"caseworker": "bob"},
    {"cursor": "not-a-cursor"}, {"cursor": "UDB8bm90LWEtZGF0ZXwx"}, {"page_size": "many"}, {"queue": "x"},
])
def test_it_answers_bad_queue_parameters_with_400_and_a_field_message(world, api, twelve, params):
    response = api(world.coordinator).get(QUEUE, params)
    assert response.status_code == 400
    assert set(response.json()) & {"status", "deadline", "caseworker", "cursor", "queue"}


def test_it_refuses_a_queue_of_an_agency_the_user_is_not_in(world, api, twelve):
    response = api(world.outsider).get(QUEUE, {"queue": world.child_welfare.pk})
    assert response.status_code in (403, 404)
    assert AuditEvent.objects.filter(actor=world.outsider, outcome="denied").exists()


# --- pinned query counts, independent of page size -----------------------------------


def _queries(callable_):
    with CaptureQueriesContext(connection) as captured:
        response = callable_()
    assert response.status_code == 200
    return len(captured.captured_queries)


def test_it_reads_an_api_queue_page_in_a_fixed_number_of_queries(world, api, twelve, django_assert_num_queries):
    client = api(world.coordinator)
    client.get(QUEUE)  # warm caches that are not per request (content types, permissions)
    small = _queries(lambda: client.get(QUEUE, {"page_size": 2}))
    large = _queries(lambda: client.get(QUEUE, {"page_size": 12}))
    assert small == large
    with django_assert_num_queries(8):
        client.get(QUEUE, {"page_size": 12, "category": "B"})


def test_it_renders_the_queue_page_in_a_fixed_number_of_queries(world, client, twelve, django_assert_num_queries):
    client.force_login(world.coordinator)
    client.get("/referrals/queue/")
    small = _queries(lambda: client.get("/referrals/queue/", {"page_size": 2}))
    large = _queries(lambda: client.get("/referrals/queue/", {"page_size": 12}))
    assert small == large
    with django_assert_num_queries(small):
        client.get("/referrals/queue/", {"page_size": 5, "status": "submitted"})


def test_it_reads_a_referral_in_a_fixed_number_of_queries(world, api, client, file, django_assert_num_queries):
    simple = file(1)
    rich = file(2, categories=("B", "C", "F"))
    for referral in (simple, rich):
        api(world.coordinator).post(f"/api/v1/referrals/{referral.reference}/notes/", {"text": "Ringt skolen."},
                                    format="json")
    api(world.coordinator).post(f"/api/v1/referrals/{rich.reference}/notes/", {"text": "Ny info."}, format="json")
    coordinator = api(world.coordinator)
    coordinator.get(f"/api/v1/referrals/{simple.reference}/")
    assert _queries(lambda: coordinator.get(f"/api/v1/referrals/{simple.reference}/")) == \
        _queries(lambda: coordinator.get(f"/api/v1/referrals/{rich.reference}/"))

    client.force_login(world.coordinator)
    client.get(f"/referrals/{simple.reference}/")
    assert _queries(lambda: client.get(f"/referrals/{simple.reference}/")) == \
        _queries(lambda: client.get(f"/referrals/{rich.reference}/"))


def test_it_lists_a_reporters_own_referrals_in_a_fixed_number_of_queries(world, api, client, file):
    file(1)
    reporter = api(world.reporter)
    reporter.get("/api/v1/referrals/mine/")
    few = _queries(lambda: reporter.get("/api/v1/referrals/mine/"))
    for n in range(2, 7):
        file(n, categories=("B", "F"))
    assert _queries(lambda: reporter.get("/api/v1/referrals/mine/")) == few

    client.force_login(world.reporter)
    client.get("/referrals/mine/")
    few_web = _queries(lambda: client.get("/referrals/mine/"))
    file(8)
    assert _queries(lambda: client.get("/referrals/mine/")) == few_web


def test_it_shows_deadline_badges_in_the_queue_page(world, client, twelve):
    Routing.objects.filter(referral=twelve[0]).update(due_at=timezone.now() - timedelta(minutes=5))
    Routing.objects.filter(referral=twelve[1]).update(due_at=timezone.now() + timedelta(hours=20))
    client.force_login(world.coordinator)
    html = client.get("/referrals/queue/", {"page_size": 12}).content.decode()
    assert html.count("badge-overdue") >= 1 and html.count("badge-due_soon") >= 1
    assert Deadline.objects.filter(referral__in=twelve, kind="review", state="open").count() == 12
