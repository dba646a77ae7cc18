"""The thin path through the API: a reporter files, child welfare is routed to and told,
a coordinator sees it in the queue and opens it, an outsider gets 404."""

from audit.models import AuditEvent
from referrals.models import Notification, Referral, Routing


def actions(**filters):
    return list(AuditEvent.objects.filter(**filters).order_by("id").values_list("action", flat=True))


def test_it_files_routes_and_notifies(world, api, referral_payload, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        response = api(world.reporter).post("/api/v1/referrals/", referral_payload, format="json")

    assert response.status_code == 201, response.content
    body = response.json()
    referral = Referral.objects.get(reference=body["reference"])
    assert referral.status == Referral.Status.SUBMITTED
    assert referral.reporting_agency == world.school
    assert referral.child.municipality == world.home
    assert [r["agency"]["id"] for r in body["routings"]] == [world.child_welfare.pk]
    assert body["routings"][0]["reasons"] and body["routings"][0]["rules"] == ["duty-to-report"]

    routing = Routing.objects.get(referral=referral)
    assert routing.agency == world.child_welfare and routing.legal_basis.code == "bvl-13-2"

    notified = set(Notification.objects.filter(referral=referral).values_list("recipient__username", flat=True))
    assert notified == {"coordinator", "coordinator2"}
    assert len(callbacks) == 2  # one delivery task per outbox row, enqueued only on commit

    submitted = AuditEvent.objects.get(action="referral.submitted")
    assert submitted.actor == world.reporter
    assert submitted.agency == world.school and submitted.role == "reporter"
    assert submitted.child_id == referral.child_id
    assert submitted.target_type == "referrals.referral" and submitted.target_id == str(referral.pk)
    routed = AuditEvent.objects.get(action="referral.routed")
    assert routed.legal_basis == "bvl-13-2" and routed.changes["agency"] == world.child_welfare.pk
    assert actions() == ["referral.submitted", "deadline.opened", "deadline.opened", "referral.routed",
                         "disclosure.made"]
    review = AuditEvent.objects.filter(action="deadline.opened").first()
    assert review.changes["kind"] == "review" and review.changes["law"] == "barnevernsloven § 2-1"


def test_it_shows_the_coordinator_the_queue_and_audits_the_opening(world, api, referral_payload):
    reference = api(world.reporter).post("/api/v1/referrals/", referral_payload, format="json").json()["reference"]
    referral = Referral.objects.get(reference=reference)
    coordinator = api(world.coordinator)

    queue = coordinator.get("/api/v1/referrals/")
    assert queue.status_code == 200
    assert [row["reference"] for row in queue.json()["results"]] == [reference]
    assert queue.json()["results"][0]["child_name"] == "Ola Nordmann"
    listed = AuditEvent.objects.get(action="referral.listed")
    assert listed.actor == world.coordinator and listed.child_id == referral.child_id
    assert listed.agency == world.child_welfare and listed.role == "coordinator"

    detail = coordinator.get(f"/api/v1/referrals/{reference}/")
    assert detail.status_code == 200
    assert detail.json()["child"]["given_name"] == "Ola"
    read = AuditEvent.objects.get(action="referral.read")
    assert read.actor == world.coordinator and read.agency == world.child_welfare
    assert read.child_id == referral.child_id and read.legal_basis == "bvl-13-2"
    assert read.outcome == AuditEvent.Outcome.OK


def test_it_answers_an_outsider_404_and_audits_the_attempt(world, api, referral_payload):
    reference = api(world.reporter).post("/api/v1/referrals/", referral_payload, format="json").json()["reference"]
    referral = Referral.objects.get(reference=reference)

    response = api(world.outsider).get(f"/api/v1/referrals/{reference}/")
    missing = api(world.outsider).get("/api/v1/referrals/SV-DOESNOTX/")

    assert response.status_code == 404
    assert response.json() == missing.json()  # forbidden and missing answer alike
    denied = AuditEvent.objects.filter(action="referral.read", outcome="denied").order_by("id")
    assert [(e.actor, e.target_id, e.child_id) for e in denied] == [
        (world.outsider, str(referral.pk), referral.child_id),
        (world.outsider, "", None),
    ]
    assert not AuditEvent.objects.filter(action="referral.read", outcome="ok").exists()
    assert api(world.outsider).get("/api/v1/referrals/").json()["results"] == []


def test_it_does_not_show_the_referral_to_other_roles_of_the_routed_agency(world, api, referral_payload):
    reference = api(world.reporter).post("/api/v1/referrals/", referral_payload, format="json").json()["reference"]
    for user in (world.auditor, world.caseworker, world.agency_admin, world.liaison, world.outsider_reporter):
        assert api(user).get(f"/api/v1/referrals/{reference}/").status_code == 404, user.username


def test_it_lets_the_reporter_see_their_own_referral(world, api, referral_payload):
    reference = api(world.reporter).post("/api/v1/referrals/", referral_payload, format="json").json()["reference"]
    mine = api(world.reporter).get("/api/v1/referrals/mine/")
    assert [r["reference"] for r in mine.json()["results"]] == [reference]
    assert api(world.reporter).get(f"/api/v1/referrals/{reference}/").status_code == 200
    assert api(world.outsider_reporter).get("/api/v1/referrals/mine/").json()["results"] == []


def test_it_requires_authentication(world, api, referral_payload):
    assert api(None).post("/api/v1/referrals/", referral_payload, format="json").status_code in (401, 403)
    assert Referral.objects.count() == 0


def test_it_rejects_bad_input_with_field_messages_and_saves_nothing(world, api):
    bad = {
        "child": {"given_name": "Ola", "estimated_age": 40, "date_of_birth": "not a date"},
        "categories": ["ZZ"],
        "concern": "x" * 10_001,
    }
    response = api(world.reporter).post("/api/v1/referrals/", bad, format="json")
    assert response.status_code == 400
    errors = response.json()
    assert set(errors) == {"child", "categories", "concern"}
    assert set(errors["child"]) == {"estimated_age", "date_of_birth"}
    assert Referral.objects.count() == 0 and AuditEvent.objects.count() == 0


def test_it_rejects_a_future_birth_date_from_the_service(world, api, referral_payload):
    referral_payload["child"]["date_of_birth"] = "2999-01-01"
    response = api(world.reporter).post("/api/v1/referrals/", referral_payload, format="json")
    assert response.status_code == 400
    assert response.json() == {"child": {"date_of_birth": ["Fødselsdatoen kan ikke være fram i tid."]}}
    assert Referral.objects.count() == 0 and Notification.objects.count() == 0


def test_it_needs_a_birth_date_or_an_estimated_age(world, api, referral_payload):
    referral_payload["child"] = {"given_name": "Ola"}
    response = api(world.reporter).post("/api/v1/referrals/", referral_payload, format="json")
    assert response.status_code == 400 and list(response.json()["child"]) == ["estimated_age"]

    referral_payload["child"] = {"given_name": "Ola", "estimated_age": 14}
    assert api(world.reporter).post("/api/v1/referrals/", referral_payload, format="json").status_code == 201


def test_it_refuses_filing_for_an_agency_the_user_is_not_member_of(world, api, referral_payload):
    referral_payload["reporting_agency"] = world.outsider_school.pk
    response = api(world.reporter).post("/api/v1/referrals/", referral_payload, format="json")
    assert response.status_code == 403
    assert Referral.objects.count() == 0
    denied = AuditEvent.objects.get(action="referral.create")
    assert denied.outcome == "denied" and denied.actor == world.reporter and denied.agency == world.outsider_school


def test_it_refuses_filing_by_an_auditor(world, api, referral_payload):
    response = api(world.auditor).post("/api/v1/referrals/", referral_payload, format="json")
    assert response.status_code == 400  # no agency the auditor may report for
    assert Referral.objects.count() == 0
