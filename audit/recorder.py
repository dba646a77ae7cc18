"""The one way anything is written to the audit trail.

Services call record() inside their own transaction, so the event and the change commit
or roll back together. Reads of a child's data call it before the data is returned; if
the row cannot be written, the read fails (fail closed).
"""

from collections.abc import Iterable
from typing import Any

from django.db import models

from . import context
from .models import AuditEvent


def _target(target: models.Model | None, target_type: str, target_id: Any) -> tuple[str, str]:
    if target is not None:
        return target._meta.label_lower, str(target.pk)
    return target_type, "" if target_id is None else str(target_id)


def build(
    *,
    action: str,
    actor=None,
    actor_username: str = "",
    membership=None,
    agency=None,
    role: str = "",
    target: models.Model | None = None,
    target_type: str = "",
    target_id: Any = None,
    child_id: int | None = None,
    legal_basis: str = "",
    outcome: str = AuditEvent.Outcome.OK,
    changes: dict | None = None,
) -> AuditEvent:
    """An unsaved event carrying the current request's context."""
    if membership is not None:
        agency = agency or membership.agency
        role = role or membership.role
    if actor is not None and not getattr(actor, "is_authenticated", False):
        actor = None
    ctx = context.current()
    target_type, target_id = _target(target, target_type, target_id)
    return AuditEvent(
        action=action,
        actor=actor,
        actor_username=(actor.get_username() if actor is not None else actor_username)[:150],
        agency=agency,
        role=role,
        outcome=outcome,
        target_type=target_type,
        target_id=target_id,
        child_id=child_id,
        legal_basis=legal_basis,
        request_id=ctx.request_id,
        ip_address=ctx.ip_address,
        user_agent=ctx.user_agent,
        changes=changes or {},
    )


def record(**kwargs) -> AuditEvent:
    event = build(**kwargs)
    event.save()
    return event


def record_many(events: Iterable[AuditEvent]) -> list[AuditEvent]:
    """Write several events built with build() in one query (e.g. the rows of a list read)."""
    return AuditEvent.objects.bulk_create(list(events))
