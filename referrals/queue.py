"""An agency's queue: its open referrals, most urgent and nearest deadline first, with
filters, counts per filter, and keyset (cursor) pagination that stays fast deep down.

The queue reads the routing rows (one per agency and referral) whose copies of urgency and
next deadline the services keep current, so that a page is one range scan of the index
(agency, is_open, urgency, due_at, id), however deep."""

import base64
import binascii
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.db.models import Count, F, Q, QuerySet
from django.db.models.fields.tuple_lookups import Tuple, TupleGreaterThan
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from agencies.models import Agency

from .models import Referral, Routing

DUE_SOON = timedelta(days=2)
DEADLINE_STATES = ("overdue", "due_soon", "on_time")
MAX_PAGE_SIZE = 100


@dataclass(frozen=True)
class Filters:
    status: str = ""
    category: str = ""
    deadline: str = ""
    municipality: str = ""
    caseworker: str = ""  # a user id, or "none" for unassigned

    @classmethod
    def from_params(cls, params) -> "Filters":
        filters = cls(**{name: (params.get(name) or "").strip()[:40] for name in cls.__dataclass_fields__})
        errors = {}
        if filters.status and filters.status not in Referral.Status.values:
            errors["status"] = [_("Unknown status.")]
        if filters.deadline and filters.deadline not in DEADLINE_STATES:
            errors["deadline"] = [_("Choose overdue, due_soon or on_time.")]
        if filters.caseworker and filters.caseworker != "none" and not filters.caseworker.isdigit():
            errors["caseworker"] = [_("Give a user id, or none.")]
        if errors:
            raise ValidationError(errors)
        return filters


@dataclass
class Page:
    rows: list[Routing]
    next_cursor: str | None
    counts: dict = field(default_factory=dict)


def _deadline_q(state: str, now: datetime) -> Q:
    if state == "overdue":
        return Q(due_at__lt=now)
    if state == "due_soon":
        return Q(due_at__gte=now, due_at__lt=now + DUE_SOON)
    return Q(due_at__gte=now + DUE_SOON)


def base(agency: Agency) -> QuerySet[Routing]:
    return Routing.objects.filter(agency=agency, is_open=True)


def filtered(agency: Agency, filters: Filters, now: datetime) -> QuerySet[Routing]:
    qs = base(agency)
    if filters.status:
        qs = qs.filter(status=filters.status)
    if filters.category:
        qs = qs.filter(referral__categories__code=filters.category)
    if filters.deadline:
        qs = qs.filter(_deadline_q(filters.deadline, now))
    if filters.municipality:
        qs = qs.filter(referral__child__municipality__number=filters.municipality)
    if filters.caseworker == "none":
        qs = qs.filter(caseworker__isnull=True)
    elif filters.caseworker:
        qs = qs.filter(caseworker_id=int(filters.caseworker))
    return qs


def encode_cursor(row: Routing) -> str:
    raw = f"{row.urgency}|{row.due_at.isoformat()}|{row.pk}"
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[str, datetime, int]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        urgency, due, pk = raw.split("|")
        due_at = parse_datetime(due)
        if due_at is None or urgency not in ("P0", "P1", "P2", "P3"):
            raise ValueError
        return urgency, due_at, int(pk)
    except (ValueError, UnicodeDecodeError, binascii.Error):
        raise ValidationError({"cursor": [_("This page link is not valid. Start from the first page.")]})


def after(qs: QuerySet[Routing], cursor: str) -> QuerySet[Routing]:
    """The rows after the cursor's: a row-value comparison, (urgency, due_at, id) > (…),
    which PostgreSQL answers with one range scan of the queue index however deep."""
    urgency, due_at, pk = decode_cursor(cursor)
    return qs.filter(TupleGreaterThan(Tuple(F("urgency"), F("due_at"), F("pk")), (urgency, due_at, pk)))


def page(agency: Agency, filters: Filters, *, cursor: str = "", size: int = 25) -> Page:
    """One page of the queue. Rows come with their referral, child, reporting agency and
    caseworker, and the referral's categories: a fixed number of queries, whatever the size."""
    size = max(1, min(size, MAX_PAGE_SIZE))
    now = timezone.now()
    qs = filtered(agency, filters, now)
    if cursor:
        qs = after(qs, cursor)
    rows = list(
        qs.select_related("referral__child__municipality", "referral__reporting_agency", "referral__caseworker")
        .prefetch_related("referral__categories")
        .order_by("urgency", "due_at", "pk")[: size + 1]
    )
    next_cursor = encode_cursor(rows[size - 1]) if len(rows) > size else None
    return Page(rows=rows[:size], next_cursor=next_cursor)


def counts(agency: Agency, now: datetime | None = None) -> dict:
    """How many open referrals per filter value: one query over the routing rows alone for
    deadlines, statuses and the unassigned; one for categories."""
    now = now or timezone.now()
    qs = base(agency)
    aggregates = {f"deadline_{state}": Count("pk", filter=_deadline_q(state, now)) for state in DEADLINE_STATES}
    aggregates.update({f"status_{s}": Count("pk", filter=Q(status=s)) for s in Referral.OPEN_STATUSES})
    aggregates["unassigned"] = Count("pk", filter=Q(caseworker__isnull=True))
    aggregates["total"] = Count("pk")
    result = qs.aggregate(**aggregates)
    # From the referral-category link table alone, semi-joined to the queue's rows: no pass
    # over the referrals table.
    by_category = dict(Referral.categories.through.objects.filter(referral_id__in=qs.values("referral_id"))
                       .values_list("category__code").annotate(n=Count("pk")).order_by())
    return {
        "total": result["total"],
        "unassigned": result["unassigned"],
        "deadline": {state: result[f"deadline_{state}"] for state in DEADLINE_STATES},
        "status": {s: result[f"status_{s}"] for s in Referral.OPEN_STATUSES},
        "category": {code: n for code, n in by_category.items() if code},
    }


def deadline_state(row: Routing, now: datetime) -> str:
    if row.due_at < now:
        return "overdue"
    if row.due_at < now + DUE_SOON:
        return "due_soon"
    return "on_time"
