"""Triage through the API: decisions as a state machine, deadlines, assignment through
django-guardian, feedback, notes, chronology and cases."""

from datetime import timedelta

import pytest
from django.utils import timezone

from audit.models import AuditEvent
from referrals import clocks
from referrals.models import Deadline, Referral
from referrals.services.deadlines import remind_and_escalate


@pytest.fixture
def filed(world, api, referral_payload):
    response = api(world.reporter).post("/api/v1/referrals/", referral_payload, format="json")
    assert response.status_code == 201
    return Referral.objects.get(reference=response.json()["reference"])


def decide(api, user, referral, **body):
    return api(user).post(f"/api/v1/referrals/{referral.reference}/decisions/", body, format="json")


def test_it_opens_the_review_and_receipt_clocks_at_receipt(filed):
    review = filed.deadlines.get(kind="review")
    assert review.due_at == clocks.due(filed.submitted_at, days=7)
    assert filed.deadlines.get(kind="feedback_receipt").due_at == clocks.due(filed.submitted_at, days=21)
    assert filed.routings.get().due_at == review.due_at


def test_it_opens_an_investigation_three_months_after_the_review_deadline(world, api, filed):
    response = decide(api, world.coordinator, filed, kind="open_investigation")
    assert response.status_code == 201 and response.json()["status"] == "investigating"
    review = filed.deadlines.get(kind="review")
    investigation = filed.deadlines.get(kind="investigation")
    assert review.state == "met" and investigation.due_at == clocks.due(review.due_at, months=3)
    assert filed.routings.get().due_at == investigation.due_at


def test_it_requires_a_justification_to_dismiss(world, api, filed):
    response = decide(api, world.coordinator, filed, kind="dismiss")
    assert response.status_code == 400 and "justification" in response.json()
    filed.refresh_from_db()
    assert filed.status == "submitted" and not filed.decisions.exists()

    ok = decide(api, world.coordinator, filed, kind="dismiss", justification="No grounds for concern found.")
    assert ok.status_code == 201 and ok.json()["status"] == "dismissed"
    assert not filed.routings.get().is_open  # out of the queue


def test_it_refuses_a_transition_not_allowed_from_the_current_state(world, api, filed):
    decide(api, world.coordinator, filed, kind="dismiss", justification="Nothing to act on.")
    response = decide(api, world.second_coordinator, filed, kind="open_investigation")
    assert response.status_code == 409 and "detail" in response.json()
    assert filed.decisions.count() == 1


def test_it_extends_an_investigation_once_with_a_reason(world, api, filed):
    decide(api, world.coordinator, filed, kind="open_investigation")
    assert decide(api, world.coordinator, filed, kind="extend_investigation").status_code == 400
    assert decide(api, world.coordinator, filed, kind="extend_investigation",
                  justification="Waiting for a police interview.").status_code == 201
    investigation = filed.deadlines.get(kind="investigation")
    assert investigation.due_at == clocks.due(investigation.starts_at, months=6)
    assert decide(api, world.coordinator, filed, kind="extend_investigation",
                  justification="Again").status_code == 409


def test_it_reroutes_to_the_right_municipality_keeping_the_clock(world, api, filed):
    due = filed.deadlines.get(kind="review").due_at
    response = decide(api, world.coordinator, filed, kind="reroute", target_agency=world.outsider_child_welfare.pk)
    assert response.status_code == 201
    old, new = filed.routings.get(agency=world.child_welfare), filed.routings.get(agency=world.outsider_child_welfare)
    assert not old.is_open and new.is_open and new.due_at == due
    assert api(world.outsider).get(f"/api/v1/referrals/{filed.reference}/").status_code == 200


def test_it_forwards_with_a_legal_basis(world, api, filed):
    assert decide(api, world.coordinator, filed, kind="forward", target_agency=world.police.pk).status_code == 400
    ok = decide(api, world.coordinator, filed, kind="forward", target_agency=world.police.pk,
                legal_basis="fvl-13b-6")
    assert ok.status_code == 201
    assert filed.routings.get(agency=world.police).legal_basis.code == "fvl-13b-6"
    assert api(world.liaison).get(f"/api/v1/referrals/{filed.reference}/").status_code == 200


def test_it_lets_only_coordinators_of_the_routed_service_decide(world, api, filed):
    for user in (world.caseworker, world.reporter, world.liaison):
        assert decide(api, user, filed, kind="open_investigation").status_code in (403, 404), user.username
    assert decide(api, world.outsider, filed, kind="open_investigation").status_code == 404
    filed.refresh_from_db()
    assert filed.status == "submitted"


def test_it_assigns_a_caseworker_through_an_object_permission_and_revokes_it(world, api, filed):
    url = f"/api/v1/referrals/{filed.reference}/"
    assert api(world.caseworker).get(url).status_code == 404
    assign = api(world.coordinator).post(url + "assign/", {"caseworker": world.caseworker.pk}, format="json")
    assert assign.status_code == 200
    assert world.caseworker.has_perm("referrals.work_on_referral", filed)
    assert api(world.caseworker).get(url).status_code == 200

    api(world.coordinator).post(url + "assign/", {"caseworker": None}, format="json")
    world.caseworker = type(world.caseworker).objects.get(pk=world.caseworker.pk)  # fresh permission cache
    assert not world.caseworker.has_perm("referrals.work_on_referral", filed)
    assert api(world.caseworker).get(url).status_code == 404
    assert list(AuditEvent.objects.filter(action__in=["referral.assigned", "referral.unassigned"])
                .values_list("action", flat=True).order_by("id")) == ["referral.assigned", "referral.unassigned"]


def test_it_refuses_to_assign_someone_outside_the_agency(world, api, filed):
    response = api(world.coordinator).post(f"/api/v1/referrals/{filed.reference}/assign/",
                                           {"caseworker": world.outsider.pk}, format="json")
    assert response.status_code == 400 and filed.assignments.count() == 0


def test_it_sends_feedback_the_reporter_sees_and_meets_the_clock(world, api, filed):
    response = api(world.coordinator).post(f"/api/v1/referrals/{filed.reference}/feedback/",
                                           {"kind": "receipt", "message": "Received, thank you."}, format="json")
    assert response.status_code == 201
    assert filed.deadlines.get(kind="feedback_receipt").state == "met"
    assert filed.notifications.filter(event="referral.feedback", recipient=world.reporter).exists()


def test_it_keeps_internal_notes_to_the_writing_agency(world, api, filed):
    decide(api, world.coordinator, filed, kind="forward", target_agency=world.police.pk, legal_basis="fvl-13b-6")
    api(world.coordinator).post(f"/api/v1/referrals/{filed.reference}/notes/", {"text": "CW only"}, format="json")
    api(world.liaison).post(f"/api/v1/referrals/{filed.reference}/notes/", {"text": "Police only"}, format="json")
    cw = [e["detail"] for e in api(world.coordinator).get(f"/api/v1/referrals/{filed.reference}/chronology/").json()]
    police = [e["detail"] for e in api(world.liaison).get(f"/api/v1/referrals/{filed.reference}/chronology/").json()]
    assert "CW only" in cw and "Police only" not in cw
    assert "Police only" in police and "CW only" not in police


def test_it_links_referrals_into_a_case_and_unlinks_them(world, api, filed, referral_payload):
    other = api(world.reporter).post("/api/v1/referrals/", referral_payload, format="json").json()["reference"]
    response = api(world.coordinator).post("/api/v1/cases/", {"references": [filed.reference, other]}, format="json")
    assert response.status_code == 201
    case = response.json()["case"]
    assert set(Referral.objects.filter(case_id=case).values_list("reference", flat=True)) == {filed.reference, other}
    assert api(world.coordinator).delete(f"/api/v1/cases/{case}/referrals/{other}/").status_code == 204
    assert Referral.objects.get(reference=other).case_id is None
    assert AuditEvent.objects.filter(action="case.unlinked").count() == 1
    assert api(world.outsider).post("/api/v1/cases/", {"references": [filed.reference, other]},
                                    format="json").status_code == 404


def test_it_reminds_before_and_on_the_day_and_escalates_a_breach(world, filed):
    review = filed.deadlines.get(kind="review")
    assert remind_and_escalate(now=review.due_at - timedelta(days=3)) == {"soon": 0, "today": 0, "breached": 0}
    assert remind_and_escalate(now=review.due_at - timedelta(days=1, hours=12))["soon"] == 1
    assert remind_and_escalate(now=review.due_at - timedelta(hours=1))["today"] == 1
    assert remind_and_escalate(now=review.due_at - timedelta(minutes=30))["today"] == 0  # only once
    assert remind_and_escalate(now=review.due_at + timedelta(minutes=1))["breached"] == 1
    breached = set(filed.notifications.filter(event="deadline.breached").values_list("recipient__username", flat=True))
    assert breached == {"coordinator", "coordinator2", "agencyadmin"}
    assert AuditEvent.objects.filter(action="deadline.breached", target_id=str(review.pk)).count() == 1


def test_it_stops_reminding_once_the_review_is_decided(world, api, filed):
    decide(api, world.coordinator, filed, kind="open_investigation")
    review = Deadline.objects.get(referral=filed, kind="review")
    assert remind_and_escalate(now=review.due_at + timedelta(minutes=1))["breached"] == 0
    assert timezone.now() < review.due_at


def test_it_links_a_match_into_a_case_from_the_page_and_shows_the_case_chronology(world, client, api,
                                                                                  referral_payload):
    first = api(world.reporter).post("/api/v1/referrals/", referral_payload, format="json").json()["reference"]
    second = api(world.reporter).post("/api/v1/referrals/", referral_payload, format="json").json()["reference"]
    client.force_login(world.coordinator)
    page = client.get(f"/referrals/{second}/").content.decode()
    assert f'<option value="{first}">' in page  # the match suggestion is offered
    client.post(f"/referrals/{second}/case/link/", {"other": first.lower()})
    case_id = Referral.objects.get(reference=second).case_id
    assert case_id and Referral.objects.get(reference=first).case_id == case_id
    chronology = api(world.coordinator).get(f"/api/v1/cases/{case_id}/chronology/").json()
    assert {e["reference"] for e in chronology} == {first, second}
    assert api(world.outsider).get(f"/api/v1/cases/{case_id}/chronology/").status_code == 404
    client.post(f"/referrals/{second}/case/unlink/")
    assert Referral.objects.get(reference=second).case_id is None
