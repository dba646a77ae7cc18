"""Sign-ins, sign-outs and failed sign-ins are audit events."""

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
