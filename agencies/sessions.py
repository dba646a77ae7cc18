"""Idle timeout and absolute lifetime of a signed-in session, and ending a user's sessions.

A small middleware rather than a library: the maintained options either log out from
JavaScript in the page (which our CSP-ready pages avoid) or do only one of the two limits.
The session records when it began and when it was last used; a request after the idle
limit, after the absolute limit, or after the user's sessions were ended
(User.sessions_revoked_at) signs the user out and is audited, and the request goes on as
anonymous (pages then send to sign-in, the API answers 401/403).
"""

from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth import logout
from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver
from django.utils import timezone

from audit.recorder import record

STARTED = "_samvirke_session_started"
SEEN = "_samvirke_session_seen"
# Write "last seen" at most this often, so not every request saves the session.
SEEN_RESOLUTION = timedelta(seconds=60)


@receiver(user_logged_in, dispatch_uid="session_limits_start")
def on_login(sender, request, user, **kwargs):
    if request is not None and hasattr(request, "session"):
        now = timezone.now().isoformat()
        request.session[STARTED] = now
        request.session[SEEN] = now


def _when(value) -> datetime | None:
    try:
        return datetime.fromisoformat(value) if value else None
    except (TypeError, ValueError):
        return None


def expiry_reason(session, user, now: datetime) -> str:
    """Why this session is over, or "" while it is still good."""
    started, seen = _when(session.get(STARTED)), _when(session.get(SEEN))
    if started is None or seen is None:
        return "unknown_start"
    if user.sessions_revoked_at is not None and started <= user.sessions_revoked_at:
        return "revoked"
    if now - started > settings.SAMVIRKE_SESSION_MAX_AGE:
        return "absolute"
    if now - seen > settings.SAMVIRKE_SESSION_IDLE_TIMEOUT:
        return "idle"
    return ""


class SessionLimitsMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            now = timezone.now()
            reason = expiry_reason(request.session, user, now)
            if reason:
                record(action="auth.session_expired", actor=user, target=user, changes={"reason": reason})
                logout(request)
            elif now - _when(request.session[SEEN]) >= SEEN_RESOLUTION:
                request.session[SEEN] = now.isoformat()
        return self.get_response(request)
