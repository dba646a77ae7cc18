"""Idle timeout, absolute lifetime, and disabling a user ends their sessions and tokens."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from rest_framework.authtoken.models import Token

from agencies import sessions
from agencies.services import membership_revoke, user_deactivate
from audit.models import AuditEvent


@pytest.fixture
def coordinator_client(world, client, signed_in):
    return signed_in(client, world.coordinator)


def age_session(client, *, started=None, seen=None):
    session = client.session
    now = timezone.now()
    if started is not None:
        session[sessions.STARTED] = (now - started).isoformat()
    if seen is not None:
        session[sessions.SEEN] = (now - seen).isoformat()
    session.save()


def test_it_keeps_a_session_in_use(world, coordinator_client):
    age_session(coordinator_client, started=timedelta(hours=9), seen=timedelta(minutes=29))

    response = coordinator_client.get(reverse("home"))

    assert response.status_code == 200
    assert not AuditEvent.objects.filter(action="auth.session_expired").exists()
    # ...and the request counts as activity.
    seen = sessions._when(coordinator_client.session[sessions.SEEN])
    assert timezone.now() - seen < timedelta(seconds=5)


@pytest.mark.parametrize("started,seen,reason", [
    (timedelta(hours=1), timedelta(minutes=31), "idle"),
    (timedelta(hours=10, minutes=1), timedelta(minutes=1), "absolute"),
])
def test_it_ends_an_idle_or_too_old_session(world, coordinator_client, settings, started, seen, reason):
    settings.SAMVIRKE_SESSION_IDLE_TIMEOUT = timedelta(minutes=30)
    settings.SAMVIRKE_SESSION_MAX_AGE = timedelta(hours=10)
    age_session(coordinator_client, started=started, seen=seen)

    response = coordinator_client.get(reverse("home"))

    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
    event = AuditEvent.objects.get(action="auth.session_expired")
    assert event.actor == world.coordinator and event.changes == {"reason": reason}
    assert coordinator_client.get(reverse("home")).status_code == 302  # signed out for good


def test_it_ends_sessions_and_tokens_when_a_user_is_disabled(world, coordinator_client, api):
    token = Token.objects.create(user=world.coordinator)
    assert coordinator_client.get(reverse("home")).status_code == 200

    user_deactivate(actor=world.agency_admin, user=world.coordinator)

    assert coordinator_client.get(reverse("home")).status_code == 302
    assert not Token.objects.filter(pk=token.pk).exists()
    world.coordinator.refresh_from_db()
    assert world.coordinator.is_active is False and world.coordinator.sessions_revoked_at is not None
    actions = list(AuditEvent.objects.filter(action__startswith="user.", target_id=str(world.coordinator.pk))
                   .order_by("id").values_list("action", "actor__username"))
    assert actions == [("user.deactivated", "agencyadmin"), ("user.sessions_ended", "agencyadmin")]
    ended = AuditEvent.objects.get(action="user.sessions_ended")
    assert ended.changes == {"user": world.coordinator.pk, "reason": "deactivated", "tokens_deleted": 1}


def test_it_ends_sessions_when_the_last_membership_is_revoked(world, client, signed_in):
    signed_in(client, world.caseworker)
    Token.objects.create(user=world.caseworker)
    membership = world.caseworker.memberships.get()

    membership_revoke(actor=world.agency_admin, membership=membership)

    assert client.get(reverse("home")).status_code == 302
    assert not Token.objects.filter(user=world.caseworker).exists()
    assert AuditEvent.objects.get(action="user.sessions_ended").changes["reason"] == "no_memberships"


def test_it_keeps_sessions_while_another_membership_remains(world, client, signed_in):
    from agencies.services import membership_grant

    extra = membership_grant(actor=world.agency_admin, user=world.caseworker, agency=world.emergency,
                             role="caseworker")
    signed_in(client, world.caseworker)

    membership_revoke(actor=world.agency_admin, membership=extra)

    assert client.get(reverse("home")).status_code == 200
    assert not AuditEvent.objects.filter(action="user.sessions_ended").exists()


def test_it_starts_a_new_session_after_the_old_ones_ended(world, client, signed_in):
    user_deactivate(actor=world.agency_admin, user=world.coordinator)
    world.coordinator.is_active = True
    world.coordinator.save(update_fields=["is_active"])

    signed_in(client, world.coordinator)

    assert client.get(reverse("home")).status_code == 200


def test_it_ends_sessions_when_the_admin_unticks_active(world, client, signed_in, rf):
    from django.contrib.admin.sites import site

    from agencies.models import User

    superuser = User.objects.create_superuser("drift", password="x-Drift-2026-pass")
    signed_in(client, world.coordinator)
    Token.objects.create(user=world.coordinator)
    admin = site._registry[User]
    request = rf.post("/admin/")
    request.user = superuser
    form = admin.get_form(request, world.coordinator)(
        instance=world.coordinator,
        data={"username": "coordinator", "is_active": "", "language": "nb", "date_joined_0": "2026-01-01",
              "date_joined_1": "10:00:00"})
    assert form.is_valid(), form.errors
    obj = form.save(commit=False)

    admin.save_model(request, obj, form, change=True)

    assert client.get(reverse("home")).status_code == 302
    assert not Token.objects.filter(user=world.coordinator).exists()
    ended = AuditEvent.objects.get(action="user.sessions_ended")
    assert (ended.actor, ended.changes["reason"]) == (superuser, "deactivated")
