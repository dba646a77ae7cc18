"""The audit trail: append-only, carrying the request's context, and sign-in events."""

import pytest
from django.db import IntegrityError, transaction

from audit.models import AppendOnlyError, AuditEvent
from audit.recorder import record
from tests.factories import PASSWORD


def test_it_refuses_to_change_or_delete_an_event_through_the_orm(world):
    event = record(action="test.event", actor=world.coordinator)

    event.action = "changed"
    with pytest.raises(AppendOnlyError):
        event.save()
    with pytest.raises(AppendOnlyError):
        event.delete()
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.filter(pk=event.pk).update(action="changed")
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.filter(pk=event.pk).delete()
    assert AuditEvent.objects.get(pk=event.pk).action == "test.event"


def test_it_records_the_request_context(world, client):
    client.login(username=world.coordinator.username, password=PASSWORD)
    client.get("/referrals/SV-NOSUCH00/", HTTP_USER_AGENT="Tester/1.0", HTTP_X_REQUEST_ID="req-12345678",
               REMOTE_ADDR="10.1.2.3")
    denied = AuditEvent.objects.get(action="referral.read", outcome="denied")
    assert denied.request_id == "req-12345678"
    assert denied.ip_address == "10.1.2.3"
    assert denied.user_agent == "Tester/1.0"
    assert denied.actor == world.coordinator


def test_it_makes_up_a_request_id_when_the_given_one_is_not_safe(world, client):
    client.login(username=world.coordinator.username, password=PASSWORD)
    response = client.get("/referrals/SV-NOSUCH00/", HTTP_X_REQUEST_ID="<script>")
    event = AuditEvent.objects.get(action="referral.read")
    assert event.request_id != "<script>" and len(event.request_id) == 32
    assert response["X-Request-ID"] == event.request_id


def test_it_audits_sign_in_sign_out_and_failed_sign_in(world, client):
    client.post("/accounts/login/", {"username": world.reporter.username, "password": "wrong"})
    client.post("/accounts/login/", {"username": world.reporter.username, "password": PASSWORD})
    client.post("/accounts/logout/")

    events = list(AuditEvent.objects.order_by("id").values_list("action", "outcome", "actor_username"))
    assert events == [
        ("auth.login_failed", "failed", "reporter"),
        ("auth.login", "ok", "reporter"),
        ("auth.logout", "ok", "reporter"),
    ]
    assert "wrong" not in str(AuditEvent.objects.values_list("changes", flat=True))


def test_it_audits_a_failed_api_token_request_and_an_issued_token(world, api):
    client = api(None)
    bad = client.post("/api/v1/auth/token/", {"username": "reporter", "password": "nope"}, format="json")
    good = client.post("/api/v1/auth/token/", {"username": "reporter", "password": PASSWORD}, format="json")
    assert bad.status_code == 400 and good.status_code == 200 and good.json()["token"]
    assert list(AuditEvent.objects.order_by("id").values_list("action", flat=True)) == [
        "auth.login_failed", "auth.token_issued",
    ]
    token_client = api(None)
    token_client.credentials(HTTP_AUTHORIZATION=f"Token {good.json()['token']}")
    assert token_client.get("/api/v1/referrals/mine/").status_code == 200


def test_it_rolls_the_audit_event_back_with_a_failed_write(world):
    with pytest.raises(IntegrityError):
        with transaction.atomic():
            record(action="test.written", actor=world.coordinator)
            raise IntegrityError("the change failed")
    assert not AuditEvent.objects.filter(action="test.written").exists()
