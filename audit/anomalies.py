"""Finding anomalies in the audit trail, one hour at a time.

A periodic task (audit.tasks.detect_anomalies, every hour) scans the last few whole hours
and materialises what it finds as Anomaly rows; auditors then work through that short
list. Scanning a window reads only that window's events through the time index, so the
cost is the same with ten million events in the table as with a thousand; re-scanning a
window changes nothing (each anomaly has a unique key: kind, user, agency, window).

What counts as an anomaly in a window:

* many reads: a user's reads of case data reach ``SAMVIRKE_ANOMALY_MIN_READS`` and are
  either ``SAMVIRKE_ANOMALY_READS_FACTOR`` times the median of the readers of the same
  agency in that window, or above ``SAMVIRKE_ANOMALY_READS_LIMIT`` whatever the others do;
* denied: any refused attempt (a referral outside the user's agencies, an audit page for a
  non-auditor);
* break the glass: every use of break-the-glass access (action ``referral.break_glass``);
* night reads: reads of case data between 22:00 and 06:00 Oslo time.
"""

import statistics
from collections import defaultdict
from datetime import datetime, timedelta
from datetime import timezone as dt_timezone
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Count, Max, Min, Q, QuerySet
from django.db.models.functions import ExtractHour
from django.utils import timezone

from .models import Anomaly, AuditEvent
from .selectors import BREAK_GLASS_ACTION, CASE_READ_ACTIONS

OSLO = ZoneInfo("Europe/Oslo")
NIGHT_STARTS, NIGHT_ENDS = 22, 6


def _grouped(qs: QuerySet[AuditEvent]) -> list[dict]:
    return list(
        qs.filter(actor__isnull=False)
        .values("actor_id", "actor_username", "agency_id")
        .annotate(n=Count("id"), first=Min("id"), last=Max("id"))
        .order_by("actor_id", "agency_id")
    )


def _anomaly(kind: str, row: dict, start: datetime, end: datetime, baseline: float | None = None) -> Anomaly:
    return Anomaly(
        key=f"{kind}:{row['actor_id']}:{row['agency_id'] or '-'}:{start.isoformat()}",
        kind=kind, actor_id=row["actor_id"], actor_username=row["actor_username"], agency_id=row["agency_id"],
        window_start=start, window_end=end, count=row["n"], baseline=baseline,
        first_event_id=row["first"], last_event_id=row["last"],
    )


def find(*, start: datetime, end: datetime) -> list[Anomaly]:
    """The anomalies of one window (unsaved)."""
    window = AuditEvent.objects.filter(occurred_at__gte=start, occurred_at__lt=end)
    reads = window.filter(action__in=CASE_READ_ACTIONS, outcome=AuditEvent.Outcome.OK)
    found: list[Anomaly] = []

    per_reader = _grouped(reads)
    by_agency: dict = defaultdict(list)
    for row in per_reader:
        by_agency[row["agency_id"]].append(row["n"])
    minimum = settings.SAMVIRKE_ANOMALY_MIN_READS
    factor = settings.SAMVIRKE_ANOMALY_READS_FACTOR
    limit = settings.SAMVIRKE_ANOMALY_READS_LIMIT
    for row in per_reader:
        median = statistics.median(by_agency[row["agency_id"]])
        if row["n"] >= minimum and (row["n"] >= factor * median or row["n"] > limit):
            found.append(_anomaly(Anomaly.Kind.MANY_READS, row, start, end, baseline=median))

    for row in _grouped(window.filter(outcome=AuditEvent.Outcome.DENIED)):
        found.append(_anomaly(Anomaly.Kind.DENIED, row, start, end))
    for row in _grouped(window.filter(action=BREAK_GLASS_ACTION, outcome=AuditEvent.Outcome.OK)):
        found.append(_anomaly(Anomaly.Kind.BREAK_GLASS, row, start, end))
    night = reads.annotate(hour=ExtractHour("occurred_at", tzinfo=OSLO)).filter(
        Q(hour__gte=NIGHT_STARTS) | Q(hour__lt=NIGHT_ENDS))
    for row in _grouped(night):
        found.append(_anomaly(Anomaly.Kind.NIGHT_READS, row, start, end))
    return found


def hour_start(moment: datetime) -> datetime:
    return moment.astimezone(dt_timezone.utc).replace(minute=0, second=0, microsecond=0)


def detect(*, hours: int = 3, now: datetime | None = None) -> int:
    """Scan the last `hours` whole hours, one window per hour; store what is new.
    Returns how many anomalies were found (already known ones included)."""
    end = hour_start(now or timezone.now())
    found = []
    for i in range(hours, 0, -1):
        start = end - timedelta(hours=i)
        found += find(start=start, end=start + timedelta(hours=1))
    Anomaly.objects.bulk_create(found, ignore_conflicts=True)
    return len(found)
