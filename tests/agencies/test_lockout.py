"""Lockout after repeated failed sign-ins (django-axes), per user name and IP address;
failures and the lockout are audited; the API token endpoint is covered too."""

from datetime import timedelta

from axes.models import AccessAttempt
from django.test import Client
from django.urls import reverse

from audit.models import AuditEvent
from tests.factories import PASSWORD


def attempt(client, username, password, ip="10.0.0.1"):
    return client.post(reverse("login"), {"username": username, "password": password}, REMOTE_ADDR=ip)


def test_it_locks_a_user_name_out_after_five_failures_from_one_address(world):
    client = Client()
    for _ in range(4):
        assert attempt(client, "coordinator", "wrong").status_code == 200  # the form again

    fifth = attempt(client, "coordinator", "wrong")
    right_password = attempt(client, "coordinator", PASSWORD)

    assert fifth.status_code == 429 and right_password.status_code == 429
    assert "_auth_user_id" not in client.session
    assert "For mange forsøk".encode() in right_password.content
    failed = AuditEvent.objects.filter(action="auth.login_failed", actor_username="coordinator")
    assert failed.count() == 6 and set(failed.values_list("outcome", flat=True)) == {"failed"}
    locked = AuditEvent.objects.filter(action="auth.locked_out")
    assert locked.count() == 2  # when it locked (the fifth failure), and the refused sixth attempt
    assert (locked.first().actor_username, locked.first().outcome, locked.first().ip_address) == (
        "coordinator", "denied", "10.0.0.1")
    assert not AuditEvent.objects.filter(action="auth.login").exists()


def test_it_keeps_other_addresses_and_other_users_signing_in(world):
    client = Client()
    for _ in range(5):
        attempt(client, "coordinator", "wrong")

    assert attempt(Client(), "coordinator", PASSWORD, ip="10.0.0.2").status_code == 302
    assert attempt(Client(), "reporter", PASSWORD).status_code == 302


def test_it_lets_the_user_in_again_after_fifteen_minutes(world, settings):
    client = Client()
    for _ in range(5):
        attempt(client, "coordinator", "wrong")
    assert attempt(client, "coordinator", PASSWORD).status_code == 429

    AccessAttempt.objects.update(attempt_time=AccessAttempt.objects.get().attempt_time - timedelta(minutes=16))

    assert attempt(client, "coordinator", PASSWORD).status_code == 302


def test_it_forgets_failures_after_a_successful_sign_in(world):
    client = Client()
    for _ in range(4):
        attempt(client, "coordinator", "wrong")
    assert attempt(client, "coordinator", PASSWORD).status_code == 302
    client.logout()

    for _ in range(4):
        attempt(client, "coordinator", "wrong")
    assert attempt(client, "coordinator", PASSWORD).status_code == 302


def test_it_locks_out_the_api_token_endpoint_too(world, api):
    client = api(None)
    for _ in range(5):
        response = client.post("/api/v1/auth/token/", {"username": "reporter", "password": "wrong"},
                               format="json", REMOTE_ADDR="10.0.0.3")
    locked = client.post("/api/v1/auth/token/", {"username": "reporter", "password": PASSWORD},
                         format="json", REMOTE_ADDR="10.0.0.3")

    assert response.status_code in (400, 429)
    assert locked.status_code == 429
    assert "token" not in locked.content.decode()
    assert AuditEvent.objects.filter(action="auth.locked_out", actor_username="reporter").exists()
    assert not AuditEvent.objects.filter(action="auth.token_issued").exists()
