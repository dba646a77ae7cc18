"""Handovers through the API: sending with a scope and a legal basis, the receiving
agency's inbox, acknowledging with an external reference, accepting, declining, revoking,
the message thread, what the receiver may see, and who is told."""

from datetime import timedelta

import pytest
from django.utils import timezone

from audit.models import AuditEvent
from referrals import clocks
from referrals.models import Handover, HandoverMessage, Notification, Referral


@pytest.fixture
def filed(world, api, referral_payload):
    payload = {**referral_payload, "identifiers": [{"kind": "username", "platform": "snapchat", "value": "jobb_fixer"}]}
    response = api(world.reporter).post("/api/v1/referrals/", payload, format="json")
    assert response.status_code == 201, response.json()
    return Referral.objects.get(reference=response.json()["reference"])


def send(api, world, referral, **overrides):
    body = {"referral": referral.reference, "receiving_agency": world.police.pk, "type": "concern_conversation",
            "legal_basis": "fvl-13b-6", "scope": ["categories_and_indicators", "identifiers"], **overrides}
    return api(world.coordinator).post("/api/v1/handovers/", body, format="json")


@pytest.fixture
def handover(world, api, filed):
    response = send(api, world, filed)
    assert response.status_code == 201, response.json()
    return Handover.objects.get(reference=response.json()["reference"])


def acknowledge(api, user, handover, reference="2026-00123"):
    return api(user).post(f"/api/v1/handovers/{handover.reference}/acknowledge/",
                          {"external_reference": reference}, format="json")


def test_it_sends_a_handover_and_tells_the_receiving_agency_on_commit(world, api, filed,
                                                                      django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        response = send(api, world, filed, urgency="P2")
    assert response.status_code == 201
    body = response.json()
    handover = Handover.objects.get(reference=body["reference"])
    assert handover.status == "pending" and handover.sending_agency == world.child_welfare
    assert handover.receiving_agency == world.police and handover.created_by == world.coordinator
    assert handover.scope == ["categories_and_indicators", "identifiers"]
    assert handover.acknowledge_by == clocks.working_days_after(handover.created_at, 2)
    assert handover.next_escalation_at == handover.acknowledge_by
    event = AuditEvent.objects.get(action="handover.created")
    assert event.actor == world.coordinator and event.target_id == str(handover.pk)
    assert event.child_id == filed.child_id and event.legal_basis == "fvl-13b-6"
    assert event.changes["scope"] == handover.scope and event.changes["receiving_agency"] == world.police.pk
    rows = Notification.objects.filter(handover=handover)
    assert [(r.recipient, r.event, r.key) for r in rows] == [
        (world.liaison, "handover.received", f"handover:{handover.pk}:received")]
    assert len(callbacks) == 1  # delivery enqueued only after commit
    assert body["disclosed"].keys() == {"categories_and_indicators", "identifiers"}


@pytest.mark.parametrize("urgency,expected", [
    ("P0", lambda t: t + timedelta(hours=1)),
    ("P1", lambda t: clocks.due(t, days=0)),
])
def test_it_sets_the_acknowledgement_deadline_by_urgency(world, api, filed, urgency, expected):
    response = send(api, world, filed, urgency=urgency)
    handover = Handover.objects.get(reference=response.json()["reference"])
    assert handover.acknowledge_by == expected(handover.created_at)


def test_it_refuses_bad_input_with_field_messages_and_changes_nothing(world, api, filed):
    response = send(api, world, filed, scope=[], legal_basis="no-such-basis", type="gossip")
    assert response.status_code == 400
    assert {"scope", "legal_basis", "type"} <= response.json().keys()
    wrong_kind = send(api, world, filed, receiving_agency=world.slt.pk)  # SLT cannot take a police matter
    assert wrong_kind.status_code == 400 and "receiving_agency" in wrong_kind.json()
    assert not Handover.objects.exists() and not Notification.objects.filter(event="handover.received").exists()


def test_it_refuses_a_second_open_handover_of_the_same_kind_with_409(world, api, handover, filed):
    response = send(api, world, filed)
    assert response.status_code == 409 and "detail" in response.json()
    assert Handover.objects.count() == 1


def test_it_answers_404_to_someone_who_cannot_see_the_referral_and_audits_it(world, api, filed):
    response = api(world.outsider).post("/api/v1/handovers/", {
        "referral": filed.reference, "receiving_agency": world.police.pk, "type": "police_report",
        "legal_basis": "fvl-13b-6", "scope": ["identity"]}, format="json")
    assert response.status_code == 404
    assert AuditEvent.objects.filter(action="handover.create", outcome="denied", actor=world.outsider).exists()
    assert not Handover.objects.exists()


def test_it_refuses_a_caseworker_who_may_not_send_handovers(world, api, filed):
    from referrals import services

    services.caseworker_assign(actor=world.coordinator, referral=filed, caseworker=world.caseworker)
    response = api(world.caseworker).post("/api/v1/handovers/", {
        "referral": filed.reference, "receiving_agency": world.police.pk, "type": "police_report",
        "legal_basis": "fvl-13b-6", "scope": ["identity"]}, format="json")
    assert response.status_code == 403
    assert AuditEvent.objects.filter(action="handover.create", outcome="denied", actor=world.caseworker).exists()
    assert not Handover.objects.exists()


def test_it_lists_the_pending_inbox_of_the_receiving_agency_with_fixed_queries(world, api, filed, handover,
                                                                               django_assert_num_queries):
    client = api(world.liaison)
    with django_assert_num_queries(2):  # the page (agency scope as a subquery), the audit rows
        response = client.get("/api/v1/handovers/")
    assert response.status_code == 200
    assert [h["reference"] for h in response.json()["results"]] == [handover.reference]
    second = send(api, world, filed, type="police_report").json()["reference"]
    with django_assert_num_queries(2):  # independent of the number of rows
        response = client.get("/api/v1/handovers/")
    assert {h["reference"] for h in response.json()["results"]} == {handover.reference, second}
    assert AuditEvent.objects.filter(action="handover.listed", actor=world.liaison,
                                     child_id=filed.child_id).count() == 3
    assert api(world.coordinator).get("/api/v1/handovers/").json()["results"] == []
    sent = api(world.coordinator).get("/api/v1/handovers/?box=sent").json()["results"]
    assert [h["reference"] for h in sent] == [second, handover.reference]  # newest first
    assert api(world.outsider).get("/api/v1/handovers/?box=sent").json()["results"] == []


def test_it_shows_the_receiver_only_the_disclosed_parts(world, api, filed, handover):
    response = api(world.liaison).get(f"/api/v1/handovers/{handover.reference}/")
    assert response.status_code == 200
    body = response.json()
    assert body["side"] == "receiver"
    assert body["disclosed"]["identifiers"]["identifiers"][0]["value"] == "jobb_fixer"
    assert "identity" not in body["disclosed"] and "narrative" not in body["disclosed"]
    text = response.content.decode()
    assert "Ola" not in text and "Nordmann" not in text and "hungry" not in text
    event = AuditEvent.objects.get(action="handover.read", actor=world.liaison)
    assert event.child_id == filed.child_id and event.legal_basis == "fvl-13b-6"
    assert event.changes["scope"] == ["categories_and_indicators", "identifiers"]


def test_it_never_gives_the_receiver_the_whole_referral(world, api, filed, handover):
    response = api(world.liaison).get(f"/api/v1/referrals/{filed.reference}/")
    assert response.status_code == 404
    assert AuditEvent.objects.filter(action="referral.read", outcome="denied", actor=world.liaison).exists()
    assert api(world.liaison).get(f"/api/v1/referrals/{filed.reference}/chronology/").status_code == 404


def test_it_hides_a_handover_from_everyone_else(world, api, handover):
    for user in (world.outsider, world.immigration_officer, world.reporter, world.slt_coordinator):
        assert api(user).get(f"/api/v1/handovers/{handover.reference}/").status_code == 404
        assert acknowledge(api, user, handover).status_code == 404
    assert AuditEvent.objects.filter(action="handover.read", outcome="denied").count() == 4
    handover.refresh_from_db()
    assert handover.status == "pending"


def test_it_acknowledges_with_an_external_reference_and_tells_the_sender(world, api, handover,
                                                                       django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        response = acknowledge(api, world.liaison, handover, " 2026-00123 ")
    assert response.status_code == 200 and response.json()["status"] == "acknowledged"
    handover.refresh_from_db()
    assert handover.external_reference == "2026-00123" and handover.acknowledged_by == world.liaison
    assert handover.next_escalation_at is None
    event = AuditEvent.objects.get(action="handover.acknowledged")
    assert event.changes["before"] == "pending" and event.changes["after"] == "acknowledged"
    told = set(Notification.objects.filter(handover=handover, event="handover.acknowledged")
               .values_list("recipient__username", flat=True))
    assert told == {"coordinator", "coordinator2"}
    assert len(callbacks) == 2


def test_it_requires_the_external_reference(world, api, handover):
    response = acknowledge(api, world.liaison, handover, "  ")
    assert response.status_code == 400 and "external_reference" in response.json()
    handover.refresh_from_db()
    assert handover.status == "pending" and not AuditEvent.objects.filter(action="handover.acknowledged").exists()


def test_it_answers_409_to_a_second_acknowledgement(world, api, handover):
    assert acknowledge(api, world.liaison, handover).status_code == 200
    response = acknowledge(api, world.liaison, handover, "other")
    assert response.status_code == 409
    handover.refresh_from_db()
    assert handover.external_reference == "2026-00123"


def test_it_accepts_only_after_acknowledgement(world, api, handover):
    early = api(world.liaison).post(f"/api/v1/handovers/{handover.reference}/accept/")
    assert early.status_code == 409
    acknowledge(api, world.liaison, handover)
    response = api(world.liaison).post(f"/api/v1/handovers/{handover.reference}/accept/")
    assert response.status_code == 200 and response.json()["status"] == "accepted"
    assert Notification.objects.filter(handover=handover, event="handover.accepted").count() == 2
    assert AuditEvent.objects.filter(action="handover.accepted", actor=world.liaison).count() == 1


def test_it_declines_with_a_reason_only(world, api, handover):
    acknowledge(api, world.liaison, handover)
    url = f"/api/v1/handovers/{handover.reference}/decline/"
    assert api(world.liaison).post(url, {"reason": " "}, format="json").status_code == 400
    response = api(world.liaison).post(url, {"reason": "Belongs to Øst police district."}, format="json")
    assert response.status_code == 200 and response.json()["decline_reason"] == "Belongs to Øst police district."
    assert api(world.liaison).post(f"/api/v1/handovers/{handover.reference}/accept/").status_code == 409


def test_the_sender_may_revoke_only_while_pending(world, api, handover):
    assert api(world.liaison).post(f"/api/v1/handovers/{handover.reference}/revoke/").status_code == 403
    response = api(world.coordinator).post(f"/api/v1/handovers/{handover.reference}/revoke/",
                                           {"reason": "Sent to the wrong district."}, format="json")
    assert response.status_code == 200 and response.json()["status"] == "revoked"
    assert Notification.objects.filter(handover=handover, event="handover.revoked", recipient=world.liaison).exists()
    assert acknowledge(api, world.liaison, handover).status_code == 409
    # A revoked handover discloses nothing any more.
    assert api(world.liaison).get(f"/api/v1/handovers/{handover.reference}/").json()["disclosed"] == {}
    from referrals.access import grant_for

    assert grant_for(world.liaison, handover.referral) is None


def test_it_keeps_a_message_thread_and_tells_the_other_side(world, api, handover):
    url = f"/api/v1/handovers/{handover.reference}/messages/"
    asked = api(world.liaison).post(url, {"text": "Which school does the child attend?"}, format="json")
    assert asked.status_code == 201
    assert set(Notification.objects.filter(event="handover.message").values_list("recipient__username", flat=True)) \
        == {"coordinator", "coordinator2"}
    answered = api(world.coordinator).post(url, {"text": "Fjell skole."}, format="json")
    assert answered.status_code == 201
    assert Notification.objects.filter(event="handover.message", recipient=world.liaison).count() == 1
    thread = api(world.liaison).get(url).json()
    assert [m["text"] for m in thread] == ["Which school does the child attend?", "Fjell skole."]
    assert api(world.outsider).post(url, {"text": "hi"}, format="json").status_code == 404
    assert api(world.liaison).post(url, {"text": ""}, format="json").status_code == 400
    assert HandoverMessage.objects.count() == 2


def test_it_shows_the_detail_in_a_fixed_number_of_queries(world, api, handover, django_assert_num_queries):
    api(world.liaison).post(f"/api/v1/handovers/{handover.reference}/messages/", {"text": "More?"}, format="json")
    api(world.coordinator).post(f"/api/v1/handovers/{handover.reference}/messages/", {"text": "Yes."}, format="json")
    with django_assert_num_queries(11):
        response = api(world.liaison).get(f"/api/v1/handovers/{handover.reference}/")
    assert response.status_code == 200 and len(response.json()["messages"]) == 2


def test_it_acknowledges_a_routing_once(world, api, filed):
    url = f"/api/v1/referrals/{filed.reference}/acknowledge/"
    response = api(world.coordinator).post(url)
    assert response.status_code == 200
    routing = filed.routings.get(agency=world.child_welfare)
    assert routing.acknowledged_by == world.coordinator and routing.next_escalation_at is None
    assert api(world.second_coordinator).post(url).status_code == 409
    assert api(world.outsider).post(url).status_code == 404
    assert AuditEvent.objects.filter(action="routing.acknowledged").count() == 1


def test_it_documents_the_handover_operations(db, client):
    paths = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()["paths"]
    for path in ("/api/v1/handovers/", "/api/v1/handovers/{reference}/acknowledge/",
                 "/api/v1/handovers/{reference}/accept/", "/api/v1/handovers/{reference}/decline/",
                 "/api/v1/handovers/{reference}/revoke/", "/api/v1/handovers/{reference}/messages/",
                 "/api/v1/notifications/preferences/"):
        assert path in paths
    assert "post" in paths["/api/v1/handovers/"] and "get" in paths["/api/v1/handovers/"]


PEOPLE = ["reporter", "coordinator", "second_coordinator", "caseworker", "liaison", "emergency_coordinator",
          "slt_coordinator", "immigration_officer", "auditor", "agency_admin", "outsider", "outsider_reporter"]
# Who may do what with a handover from Drammen child welfare to the police, by person;
# 404 where the person cannot see the handover (or the referral) at all.
MAY_SEND = {"coordinator": 201, "second_coordinator": 201, "reporter": 403, "liaison": 403}
MAY_ACKNOWLEDGE = {"liaison": 200, "coordinator": 403, "second_coordinator": 403}
MAY_REVOKE = {"coordinator": 200, "second_coordinator": 200, "liaison": 403}


@pytest.mark.parametrize("person", PEOPLE)
def test_the_role_matrix_for_handovers(world, api, filed, person):
    user = getattr(world, person)
    created = send(api, world, filed)
    handover = Handover.objects.get(reference=created.json()["reference"])

    assert acknowledge(api, user, handover).status_code == MAY_ACKNOWLEDGE.get(person, 404)
    handover.refresh_from_db()
    if person != "liaison":
        assert handover.status == "pending"
        revoke = api(user).post(f"/api/v1/handovers/{handover.reference}/revoke/")
        assert revoke.status_code == MAY_REVOKE.get(person, 404)
    other = api(user).post("/api/v1/handovers/", {
        "referral": filed.reference, "receiving_agency": world.police.pk, "type": "avert_crime",
        "legal_basis": "fvl-13b-7", "scope": ["identity"]}, format="json")
    assert other.status_code == MAY_SEND.get(person, 404)
    # Everyone was refused something above (the coordinators the acknowledgement, the
    # liaison sending on a referral it only sees through a handover), and it is on record.
    assert AuditEvent.objects.filter(actor=user, outcome="denied").exists()


def test_the_email_names_the_handover_and_links_to_it_without_child_data(world, api, filed, handover):
    from django.core import mail

    from referrals.tasks import deliver_notification

    row = Notification.objects.get(handover=handover, recipient=world.liaison)
    assert deliver_notification(row.pk) == "delivered"
    [message] = mail.outbox
    assert message.to == [world.liaison.email]
    assert handover.reference in message.subject and f"/referrals/handovers/{handover.reference}/" in message.body
    for secret in ("Ola", "Nordmann", "hungry", "jobb_fixer", filed.reference):
        assert secret not in message.subject and secret not in message.body
