"""The auditor's reads of the audit trail: search, one event and anomalies (the access
report for one child is in audit/access_report.py). Every one of them is itself an
audit event.

Who is an auditor, and what they see (the scope):

* a user with an active membership whose role holds ``READ_AUDIT`` (the auditor role) sees
  the events recorded in the name of one of their auditor agencies, and every event about
  a child that has a referral routed to, or filed by, one of those agencies (whoever
  recorded it: that is what "who looked at this child's data?" needs);
* an active superuser (internal control across agencies, the county governor's office
  through the operator) sees every event;
* anyone else is refused (403), and the refusal is audited.

Auditors see events, never case content: events carry codes and references, not the
narrative (the recorder's callers store codes only; tests/audit guard this). Reading a
referral still needs a grant on the referral itself, like anyone else.
"""

import base64
import binascii
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _

from agencies import roles
from agencies.models import Membership, User

from .models import Anomaly, AuditEvent
from .recorder import build, record, record_many

MAX_PAGE_SIZE = 500
# Reads of a child's data. Other actions on a child are writes (or denials).
# Reads that show case content to the reader: what the anomaly scan counts. A handover's
# page, an export of case data and a consent's record or document show the child's data too.
CASE_READ_ACTIONS = frozenset({
    "referral.read", "referral.listed", "referral.listed_own", "referral.chronology_read",
    "child.match_viewed", "handover.read", "referral.exported", "consent.listed", "consent.document_read",
})
READ_ACTIONS = CASE_READ_ACTIONS | {"audit.report_read", "audit.export", "audit.child_lookup"}
BREAK_GLASS_ACTION = "referral.break_glass"


# --- Scope ------------------------------------------------------------------------------


@dataclass(frozen=True)
class AuditorScope:
    user: User
    memberships: tuple[Membership, ...]
    everything: bool = False

    @property
    def agency_ids(self) -> list[int]:
        return sorted({m.agency_id for m in self.memberships})

    @property
    def membership(self) -> Membership | None:
        return self.memberships[0] if self.memberships else None

    def record(self, **kwargs) -> AuditEvent:
        return record(actor=self.user, membership=self.membership, **kwargs)

    def build(self, **kwargs) -> AuditEvent:
        return build(actor=self.user, membership=self.membership, **kwargs)


def auditor_scope(user, *, action: str) -> AuditorScope:
    """The user's audit scope, or PermissionDenied (audited) for anyone who is not an
    auditor."""
    memberships = tuple(roles.memberships_for(user, roles.READ_AUDIT).order_by("pk"))
    is_superuser = bool(getattr(user, "is_superuser", False) and user.is_active)
    if not memberships and not is_superuser:
        record(action=action, actor=user, outcome=AuditEvent.Outcome.DENIED)
        raise PermissionDenied
    return AuditorScope(user=user, memberships=memberships, everything=is_superuser)


def _scoped_children(scope: AuditorScope):
    """Ids of the children with a referral routed to or filed by one of the scope's
    agencies (a subquery, never a list in Python)."""
    from referrals.models import Referral

    ids = scope.agency_ids
    return (Referral.objects.filter(Q(routings__agency_id__in=ids) | Q(reporting_agency_id__in=ids))
            .values("child_id"))


def scoped_events(scope: AuditorScope) -> QuerySet[AuditEvent]:
    if scope.everything:
        return AuditEvent.objects.all()
    return AuditEvent.objects.filter(Q(agency_id__in=scope.agency_ids) | Q(child_id__in=_scoped_children(scope)))


# --- Cursors ----------------------------------------------------------------------------


def encode_cursor(at: datetime, pk: int) -> str:
    return base64.urlsafe_b64encode(f"{at.isoformat()}|{pk}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, int]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        at, pk = raw.split("|")
        parsed = parse_datetime(at)
        if parsed is None:
            raise ValueError
        return parsed, int(pk)
    except (ValueError, UnicodeDecodeError, binascii.Error):
        raise ValidationError({"cursor": [_("This page link is not valid. Start from the first page.")]})


@dataclass
class Page:
    rows: list
    next_cursor: str | None


def keyset_page(queryset, *, cursor: str, size: int, newest_first: bool, time_field: str) -> Page:
    size = max(1, min(size, MAX_PAGE_SIZE))
    if cursor:
        at, pk = decode_cursor(cursor)
        if newest_first:
            queryset = queryset.filter(Q(**{f"{time_field}__lt": at}) | Q(**{time_field: at, "pk__lt": pk}))
        else:
            queryset = queryset.filter(Q(**{f"{time_field}__gt": at}) | Q(**{time_field: at, "pk__gt": pk}))
    order = [f"-{time_field}", "-pk"] if newest_first else [time_field, "pk"]
    rows = list(queryset.order_by(*order)[: size + 1])
    next_cursor = None
    if len(rows) > size:
        last = rows[size - 1]
        next_cursor = encode_cursor(getattr(last, time_field), last.pk)
    return Page(rows=rows[:size], next_cursor=next_cursor)


# --- Children -----------------------------------------------------------------------------


@dataclass(frozen=True)
class ChildSubject:
    """One child as the audit trail knows them: every child record with this child's
    national ID number (or just the one record when it has none)."""

    reference: str
    child_ids: tuple[int, ...]
    references: tuple[str, ...] = field(default=())


def child_subject(scope: AuditorScope, reference: str) -> ChildSubject | None:
    """The child of a referral, if the referral is in the auditor's scope."""
    from referrals.models import Child, Referral

    referral = (Referral.objects.filter(reference=reference.strip().upper()[:16])
                .select_related("child").first())
    if referral is None:
        return None
    child = referral.child
    children = Child.objects.filter(pk=child.pk)
    if child.national_id_digest:
        children = Child.objects.filter(national_id_digest=child.national_id_digest)
    if not scope.everything:
        children = children.filter(pk__in=_scoped_children(scope))
    child_ids = tuple(children.order_by("pk").values_list("pk", flat=True))
    if child.pk not in child_ids:
        return None
    references = tuple(Referral.objects.filter(child_id__in=child_ids).order_by("pk")
                       .values_list("reference", flat=True))
    return ChildSubject(reference=referral.reference, child_ids=child_ids, references=references)


def find_child(*, user, national_id: str) -> ChildSubject:
    """A child found by national ID number through the keyed hash, among the children in
    the auditor's scope. The number itself is never stored, logged or put in a URL; the
    lookup is audited once per child record found."""
    from referrals.identity import national_id_digest, normalise_national_id
    from referrals.models import Child, Referral

    scope = auditor_scope(user, action="audit.child_lookup")
    number = normalise_national_id(national_id)
    if len(number) != 11 or not number.isdigit():
        raise ValidationError({"national_id": [_("Enter an 11-digit national identity number.")]})
    children = Child.objects.filter(national_id_digest=national_id_digest(number))
    if not scope.everything:
        children = children.filter(pk__in=_scoped_children(scope))
    child_ids = tuple(children.order_by("pk").values_list("pk", flat=True))
    if not child_ids:
        scope.record(action="audit.child_lookup", changes={"found": 0})
        raise ValidationError({"national_id": [_("No child with this number in the referrals you audit.")]})
    with transaction.atomic():
        record_many(scope.build(action="audit.child_lookup", child_id=pk, changes={"found": len(child_ids)})
                    for pk in child_ids)
    references = tuple(Referral.objects.filter(child_id__in=child_ids).order_by("pk")
                       .values_list("reference", flat=True))
    return ChildSubject(reference=references[0], child_ids=child_ids, references=references)


# --- Search -------------------------------------------------------------------------------


def _parse_moment(value: str, *, end: bool) -> datetime | None:
    """An ISO date or date-time; naive values are Oslo time. A bare date as the end of a
    range includes that whole day."""
    value = value.strip()
    day = parse_date(value) if len(value) == 10 else None
    if day is not None:
        moment = datetime.combine(day + timedelta(days=1) if end else day, time.min)
    else:
        moment = parse_datetime(value)
        if moment is None:
            raise ValueError(value)
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    return moment


@dataclass(frozen=True)
class EventFilters:
    user: str = ""
    agency: str = ""
    child: str = ""
    action: str = ""
    outcome: str = ""
    since: str = ""
    until: str = ""

    @classmethod
    def from_params(cls, params) -> "EventFilters":
        filters = cls(**{name: str(params.get(name) or "").strip()[:64] for name in cls.__dataclass_fields__})
        errors = {}
        if filters.agency and not filters.agency.isdigit():
            errors["agency"] = [_("Give an agency id.")]
        if filters.outcome and filters.outcome not in AuditEvent.Outcome.values:
            errors["outcome"] = [_("Choose ok, denied or failed.")]
        for name in ("since", "until"):
            try:
                if getattr(filters, name):
                    _parse_moment(getattr(filters, name), end=name == "until")
            except (ValueError, OverflowError):
                errors[name] = [_("Give a date (YYYY-MM-DD) or a date and time (YYYY-MM-DDTHH:MM).")]
        if errors:
            raise ValidationError(errors)
        return filters

    def as_dict(self) -> dict:
        return {k: v for k, v in self.__dict__.items() if v}


def _apply(scope: AuditorScope, qs: QuerySet[AuditEvent], filters: EventFilters) -> QuerySet[AuditEvent]:
    if filters.user:
        qs = qs.filter(actor_username=filters.user)
    if filters.agency:
        qs = qs.filter(agency_id=int(filters.agency))
    if filters.child:
        subject = child_subject(scope, filters.child)
        if subject is None:
            raise ValidationError({"child": [_("No referral with this reference in the agencies you audit.")]})
        qs = qs.filter(child_id__in=subject.child_ids)
    if filters.action:
        if filters.action.endswith("*"):
            qs = qs.filter(action__startswith=filters.action[:-1])
        else:
            qs = qs.filter(action=filters.action)
    if filters.outcome:
        qs = qs.filter(outcome=filters.outcome)
    if filters.since:
        qs = qs.filter(occurred_at__gte=_parse_moment(filters.since, end=False))
    if filters.until:
        qs = qs.filter(occurred_at__lt=_parse_moment(filters.until, end=True))
    return qs


def search_events(*, user, filters: EventFilters, cursor: str = "", size: int = 50) -> Page:
    """One page of events, newest first, keyset-paginated. The search is audited with its
    filters (a reference at most; never a national ID number)."""
    scope = auditor_scope(user, action="audit.search")
    qs = _apply(scope, scoped_events(scope), filters).select_related("agency")
    page = keyset_page(qs, cursor=cursor, size=size, newest_first=True, time_field="occurred_at")
    scope.record(action="audit.search", changes={"filters": filters.as_dict(), "cursor": bool(cursor),
                                                 "rows": len(page.rows)})
    return page


def event_detail(*, user, pk: int) -> AuditEvent:
    """One event and what changed. An event outside the scope answers 404, audited."""
    scope = auditor_scope(user, action="audit.event_read")
    event = scoped_events(scope).select_related("agency", "actor").filter(pk=pk).first()
    if event is None:
        scope.record(action="audit.event_read", outcome=AuditEvent.Outcome.DENIED,
                     target_type="audit.auditevent", target_id=pk)
        raise Http404
    scope.record(action="audit.event_read", target=event)
    return event


# --- Anomalies ------------------------------------------------------------------------------


def scoped_anomalies(scope: AuditorScope) -> QuerySet[Anomaly]:
    if scope.everything:
        return Anomaly.objects.all()
    members = Membership.objects.filter(user=OuterRef("actor_id"), agency_id__in=scope.agency_ids)
    return Anomaly.objects.filter(Q(agency_id__in=scope.agency_ids) | Exists(members))


def anomaly_list(*, user, state: str = "open", cursor: str = "", size: int = 50) -> Page:
    """Anomalies for the auditor to work through, newest window first. ``state`` is
    open (not reviewed yet), reviewed or all."""
    if state not in ("open", "reviewed", "all"):
        raise ValidationError({"state": [_("Choose open, reviewed or all.")]})
    scope = auditor_scope(user, action="audit.anomalies_listed")
    qs = scoped_anomalies(scope).select_related("agency", "review__reviewed_by")
    if state == "open":
        qs = qs.filter(review__isnull=True)
    elif state == "reviewed":
        qs = qs.filter(review__isnull=False)
    page = keyset_page(qs, cursor=cursor, size=size, newest_first=True, time_field="window_start")
    scope.record(action="audit.anomalies_listed", changes={"state": state, "rows": len(page.rows)})
    return page


def access_anomaly(*, user, pk: int, action: str) -> tuple[AuditorScope, Anomaly]:
    """An anomaly in the auditor's scope; otherwise 404, audited."""
    scope = auditor_scope(user, action=action)
    anomaly = scoped_anomalies(scope).filter(pk=pk).first()
    if anomaly is None:
        scope.record(action=action, outcome=AuditEvent.Outcome.DENIED, target_type="audit.anomaly",
                     target_id=pk)
        raise Http404
    return scope, anomaly
