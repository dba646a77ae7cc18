"""Sign-ins, sign-outs, failed sign-ins and lockouts are audit events."""

from axes.signals import user_locked_out
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from .models import AuditEvent
from .recorder import record


@receiver(user_logged_in, dispatch_uid="audit_user_logged_in")
def on_login(sender, request, user, **kwargs):
    record(action="auth.login", actor=user, target=user)


@receiver(user_logged_out, dispatch_uid="audit_user_logged_out")
def on_logout(sender, request, user, **kwargs):
    if user is not None:
        record(action="auth.logout", actor=user, target=user)


@receiver(user_login_failed, dispatch_uid="audit_user_login_failed")
def on_login_failed(sender, credentials, request=None, **kwargs):
    # credentials arrive with the password masked; only the user name is kept.
    username = str(credentials.get("username", ""))[:150]
    record(
        action="auth.login_failed",
        actor_username=username,
        outcome=AuditEvent.Outcome.FAILED,
    )


@receiver(user_locked_out, dispatch_uid="audit_user_locked_out")
def on_locked_out(sender, request=None, username=None, ip_address=None, **kwargs):
    # django-axes: too many failures for this user name from this IP address.
    record(
        action="auth.locked_out",
        actor_username=str(username or "")[:150],
        outcome=AuditEvent.Outcome.DENIED,
        changes={"ip_address": ip_address},
    )
