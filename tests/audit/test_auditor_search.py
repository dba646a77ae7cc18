"""The auditor searches the trail: each filter, pages, one event, a child found by
national ID number through the keyed hash; non-auditors are refused, and all of it is
audited."""

from datetime import timedelta

import pytest
from django.utils import timezone

from audit.models import AuditEvent
from audit.recorder import record
from tests.factories import PASSWORD, national_id


def ids(response) -> list[int]:
    return [row["id"] for row in response.json()["results"]]


@pytest.fixture
def trail(world, api, file_referral):
    """A referral filed in Drammen, opened by the coordinator, tried by the outsider; and a
    referral in Bergen (outside the Drammen auditor's scope)."""
    referral = file_referral(world.reporter)
    assert api(world.coordinator).get(f"/api/v1/referrals/{referral.reference}/").status_code == 200
    assert api(world.outsider).get(f"/api/v1/referrals/{referral.reference}/").status_code == 404
    bergen = file_referral(world.outsider_reporter)
    return referral, bergen


def search(api, who, **params):
    return api(who).get("/api/v1/audit/events/", params)


def test_it_searches_by_user(world, api, trail):
    response = search(api, world.auditor, user="coordinator")
    assert response.status_code == 200
    expected = list(AuditEvent.objects.filter(actor_username="coordinator").order_by("-occurred_at", "-id")
                    .values_list("id", flat=True))
    assert expected and ids(response) == expected


def test_it_searches_by_agency(world, api, trail):
    response = search(api, world.auditor, agency=world.school.pk)
    expected = set(AuditEvent.objects.filter(agency=world.school).values_list("id", flat=True))
    assert expected and set(ids(response)) == expected
    assert {row["agency_name"] for row in response.json()["results"]} == {"Fjell skole"}


def test_it_searches_by_child_reference(world, api, trail):
    referral, _bergen = trail
    response = search(api, world.auditor, child=referral.reference)
    rows = response.json()["results"]
    assert {row["child_id"] for row in rows} == {referral.child_id}
    assert {"referral.submitted", "referral.read"} <= {row["action"] for row in rows}
    assert ("referral.read", "denied") in {(row["action"], row["outcome"]) for row in rows}  # the outsider's try


def test_it_searches_by_action_exact_and_by_prefix(world, api, trail):
    exact = search(api, world.auditor, action="referral.read").json()["results"]
    assert exact and {row["action"] for row in exact} == {"referral.read"}
    prefix = search(api, world.auditor, action="deadline.*").json()["results"]
    assert prefix and {row["action"] for row in prefix} == {"deadline.opened"}


def test_it_searches_by_outcome_and_time_range(world, api, trail):
    denied = search(api, world.auditor, outcome="denied").json()["results"]
    assert [(row["actor_username"], row["action"]) for row in denied] == [("outsider", "referral.read")]

    old = record(action="referral.read", actor=world.coordinator, agency=world.child_welfare, child_id=1)
    AuditEvent.objects.bulk_create([AuditEvent(action="referral.read", actor=world.coordinator,
                                               actor_username="coordinator", agency=world.child_welfare,
                                               occurred_at=timezone.now() - timedelta(days=10))])
    ten_days_ago = (timezone.localdate() - timedelta(days=10)).isoformat()
    in_range = search(api, world.auditor, since=ten_days_ago, until=ten_days_ago).json()["results"]
    assert len(in_range) == 1 and in_range[0]["id"] != old.pk
    recent = search(api, world.auditor, since=timezone.localdate().isoformat()).json()["results"]
    assert old.pk in [row["id"] for row in recent] and in_range[0]["id"] not in [row["id"] for row in recent]


def test_it_keeps_events_outside_the_auditors_agencies_out(world, api, trail, outsider_auditor):
    referral, bergen = trail
    drammen = set(ids(search(api, world.auditor, page_size=500)))
    assert not AuditEvent.objects.filter(pk__in=drammen, child_id=bergen.child_id).exists()
    assert AuditEvent.objects.filter(pk__in=drammen, child_id=referral.child_id).exists()

    outside = search(api, world.auditor, child=bergen.reference)
    assert outside.status_code == 400 and "child" in outside.json()
    bergen_view = set(ids(search(api, outsider_auditor, page_size=500)))
    assert AuditEvent.objects.filter(pk__in=bergen_view, child_id=bergen.child_id).exists()
    # The outsider's denied try on the Drammen referral is the Drammen child's business.
    assert not AuditEvent.objects.filter(pk__in=bergen_view, child_id=referral.child_id).exists()


def test_it_pages_newest_first_with_a_cursor_and_never_repeats(world, api):
    now = timezone.now()
    AuditEvent.objects.bulk_create([
        AuditEvent(action="referral.read", actor_username="coordinator", agency=world.child_welfare,
                   occurred_at=now - timedelta(minutes=i % 3))  # equal timestamps across pages
        for i in range(7)
    ])
    seen, url = [], "/api/v1/audit/events/?page_size=3&action=referral.read"
    while url:
        body = api(world.auditor).get(url).json()
        seen += [row["id"] for row in body["results"]]
        url = body["next"]
    expected = list(AuditEvent.objects.filter(action="referral.read").order_by("-occurred_at", "-id")
                    .values_list("id", flat=True))
    assert seen == expected and len(seen) == 7


def test_it_refuses_bad_filters_with_field_messages(world, api):
    response = search(api, world.auditor, since="yesterday", outcome="maybe", agency="x", cursor="%%%")
    assert response.status_code == 400
    assert {"since", "outcome", "agency"} <= set(response.json())
    assert not AuditEvent.objects.filter(action="audit.search").exists()
    bad_cursor = search(api, world.auditor, cursor="bm90IGEgY3Vyc29y")
    assert bad_cursor.status_code == 400 and "cursor" in bad_cursor.json()


def test_it_audits_the_auditors_search(world, api, trail):
    referral, _bergen = trail
    search(api, world.auditor, child=referral.reference, action="referral.read")
    event = AuditEvent.objects.get(action="audit.search")
    assert event.actor == world.auditor and event.agency == world.child_welfare and event.role == "auditor"
    assert event.changes["filters"] == {"child": referral.reference, "action": "referral.read"}


@pytest.mark.parametrize("who", ["reporter", "coordinator", "caseworker", "agency_admin", "outsider"])
def test_it_refuses_non_auditors_and_audits_the_refusal(world, api, client, who):
    user = getattr(world, who)
    before = AuditEvent.objects.count()
    assert api(user).get("/api/v1/audit/events/").status_code == 403
    assert api(user).get("/api/v1/audit/anomalies/").status_code == 403
    assert api(user).post("/api/v1/audit/children/lookup/", {"national_id": national_id(
        timezone.localdate().replace(year=2012))}, format="json").status_code == 403
    client.force_login(user)
    assert client.get("/audit/events/").status_code == 403
    assert client.get("/audit/anomalies/").status_code == 403
    denied = list(AuditEvent.objects.filter(pk__gt=before, actor=user, outcome="denied")
                  .values_list("action", flat=True))
    assert sorted(denied) == sorted(["audit.search", "audit.anomalies_listed", "audit.child_lookup",
                                     "audit.search", "audit.anomalies_listed"])


def test_it_shows_one_event_with_what_changed(world, api, trail):
    referral, _bergen = trail
    routed = AuditEvent.objects.get(action="referral.routed", child_id=referral.child_id)
    response = api(world.auditor).get(f"/api/v1/audit/events/{routed.pk}/")
    assert response.status_code == 200
    body = response.json()
    assert body["changes"]["agency"] == world.child_welfare.pk and body["legal_basis"] == "bvl-13-2"
    read = AuditEvent.objects.get(action="audit.event_read")
    assert read.target_type == "audit.auditevent" and read.target_id == str(routed.pk)


def test_it_answers_404_for_an_event_outside_the_scope_and_audits_it(world, api, trail, outsider_auditor):
    referral, _bergen = trail
    routed = AuditEvent.objects.get(action="referral.routed", child_id=referral.child_id)
    assert api(outsider_auditor).get(f"/api/v1/audit/events/{routed.pk}/").status_code == 404
    assert api(world.auditor).get("/api/v1/audit/events/999999/").status_code == 404
    denied = list(AuditEvent.objects.filter(action="audit.event_read", outcome="denied")
                  .values_list("actor_username", "target_id"))
    assert denied == [("bergen_auditor", str(routed.pk)), ("auditor", "999999")]


def test_it_finds_a_child_by_national_id_through_the_keyed_hash(world, api, file_referral):
    number = national_id(timezone.localdate().replace(year=2012, month=5, day=17))
    first = file_referral(world.reporter, child={"given_name": "Ola", "national_id": number})
    second = file_referral(world.reporter, child={"given_name": "Ola N.", "national_id": number})
    spaced = f"{number[:6]} {number[6:]}"

    response = api(world.auditor).post("/api/v1/audit/children/lookup/", {"national_id": spaced}, format="json")
    assert response.status_code == 200
    assert response.json()["references"] == [first.reference, second.reference]
    lookups = AuditEvent.objects.filter(action="audit.child_lookup")
    assert sorted(lookups.values_list("child_id", flat=True)) == sorted([first.child_id, second.child_id])
    # Then the child filter by reference covers both records of the child.
    rows = search(api, world.auditor, child=first.reference, action="referral.submitted").json()["results"]
    assert {row["child_id"] for row in rows} == {first.child_id, second.child_id}
    assert number not in str(list(AuditEvent.objects.values_list("changes", flat=True)))


def test_it_does_not_find_a_child_outside_the_scope_by_national_id(world, api, file_referral, outsider_auditor):
    number = national_id(timezone.localdate().replace(year=2011, month=3, day=9))
    file_referral(world.reporter, child={"given_name": "Kari", "national_id": number})
    response = api(outsider_auditor).post("/api/v1/audit/children/lookup/", {"national_id": number},
                                          format="json")
    assert response.status_code == 400 and "national_id" in response.json()
    event = AuditEvent.objects.get(action="audit.child_lookup")
    assert event.actor == outsider_auditor and event.child_id is None and event.changes == {"found": 0}
    assert api(world.auditor).post("/api/v1/audit/children/lookup/", {"national_id": "12"},
                                   format="json").status_code == 400


def test_it_takes_the_national_id_in_a_post_and_redirects_to_the_report(world, client, file_referral):
    number = national_id(timezone.localdate().replace(year=2013, month=1, day=2))
    referral = file_referral(world.reporter, child={"given_name": "Nora", "national_id": number})
    client.login(username="auditor", password=PASSWORD)
    response = client.post("/audit/children/find/", {"national_id": number})
    assert response.status_code == 302 and response["Location"] == f"/audit/children/{referral.reference}/"
    assert number not in response["Location"]
    assert client.get("/audit/children/find/").status_code == 405


def test_it_renders_the_search_page_with_filters(world, client, trail):
    referral, _bergen = trail
    client.login(username="auditor", password=PASSWORD)
    response = client.get("/audit/events/", {"child": referral.reference})
    assert response.status_code == 200
    html = response.content.decode()
    assert "referral.submitted" in html and f"/audit/children/{referral.reference}/" in html
    bad = client.get("/audit/events/", {"since": "soon"})
    assert bad.status_code == 200 and 'role="alert"' in bad.content.decode()


def _events(world, n):
    AuditEvent.objects.bulk_create([AuditEvent(action="referral.read", actor_username="coordinator",
                                               agency=world.child_welfare) for _ in range(n)])


@pytest.mark.parametrize("n", [3, 30])
def test_it_lists_events_in_a_fixed_number_of_queries(world, api, client, django_assert_num_queries, n):
    _events(world, n)
    auditor = api(world.auditor)
    # memberships, the page (events with their agency), the search's audit event
    with django_assert_num_queries(3):
        assert auditor.get("/api/v1/audit/events/").status_code == 200
    client.force_login(world.auditor)
    # + session, user, the second factor, the page header (unread count, two role checks), agency choices
    with django_assert_num_queries(10):
        assert client.get("/audit/events/").status_code == 200


@pytest.mark.parametrize("url", ["/audit/children/find/", "/audit/anomalies/1/review/"])
def test_it_checks_who_asks_before_the_method_on_post_only_pages(world, client, url):
    client.force_login(world.coordinator)
    assert client.get(url).status_code == 403
    assert AuditEvent.objects.filter(actor=world.coordinator, outcome="denied").count() == 1
