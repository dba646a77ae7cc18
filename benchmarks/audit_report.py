"""Audit benchmark: the access report for one child with N events in the audit table
(p50, p95), and the cost of auditing a read (a referral detail request with its audit
row, against the same request with recording switched off, interleaved in one run).

    python -m benchmarks.audit_report --events 10000000 --requests 50

It uses its own database (BENCH_DATABASE_URL, default samvirke_bench on local PostgreSQL),
generates the data once (kept between runs; --reset starts over): children and referrals
through the shared generator, then audit events with COPY (indexes dropped during the load
and built again after it, as one would for a bulk load). One child, routed to the demo
auditor's agency, gets a heavy history (--child-events) spread over the year; the others
share the rest. Requests run in-process through the real URL, middleware, view and selector.
"""

import argparse
import io
import json
import random
import statistics
import time
from datetime import timedelta
from unittest import mock

from .setup import django_for_benchmarks

ACTIONS = [  # (action, share): mostly reads, as in production
    ("referral.listed", 45), ("referral.read", 30), ("referral.chronology_read", 5), ("child.match_viewed", 3),
    ("referral.submitted", 3), ("referral.routed", 3), ("deadline.opened", 4), ("referral.decided", 2),
    ("note.added", 2), ("auth.login", 3),
]


def percentile(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def _text(value) -> str:
    if value is None:
        return r"\N"
    return str(value).replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n")


def load_events(*, count: int, child_ids: list[int], bench_child: int, bench_child_events: int,
                users: list, seed: int = 3, batch: int = 200_000) -> None:
    """COPY `count` events, oldest first over the last year, with ids rising with time."""
    from django.db import connection
    from django.utils import timezone

    rng = random.Random(seed)
    names = [a for a, _ in ACTIONS]
    weights = [w for _, w in ACTIONS]
    start = timezone.now() - timedelta(days=365)
    step = 365 * 86400 / count
    bench_every = max(1, count // max(1, bench_child_events))
    columns = ("occurred_at, actor_id, actor_username, agency_id, role, action, outcome, target_type, target_id, "
               "child_id, legal_basis, request_id, ip_address, user_agent, changes")
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'audit_auditevent' "
                       "AND indexname NOT LIKE '%%pkey'")
        indexes = cursor.fetchall()
        for name, _definition in indexes:
            cursor.execute(f'DROP INDEX "{name}"')
        raw = cursor.cursor
        made = 0
        try:
            while made < count:
                n = min(batch, count - made)
                buffer = io.StringIO()
                for i in range(made, made + n):
                    user = rng.choice(users)
                    action = rng.choices(names, weights)[0]
                    child = bench_child if i % bench_every == 0 else rng.choice(child_ids)
                    if action == "auth.login":
                        child = None
                    at = start + timedelta(seconds=i * step)
                    changes = json.dumps({"reference": f"SV-B{child % 10**7:07d}"}) if child else "{}"
                    row = (at.isoformat(), user["id"], user["username"], user["agency_id"], user["role"], action,
                           "ok", "referrals.referral", child or "", child,
                           "bvl-13-2" if action.startswith("referral") else "", f"{rng.getrandbits(64):016x}",
                           "10.0.0.1", "Mozilla/5.0 (benchmark)", changes)
                    buffer.write("\t".join(_text(v) for v in row) + "\n")
                with raw.copy(f"COPY audit_auditevent ({columns}) FROM STDIN") as copy:
                    copy.write(buffer.getvalue())
                made += n
                print(f"  copied {made:,} events", flush=True)
        finally:  # the indexes come back even if the load is interrupted
            started = time.perf_counter()
            for name, definition in indexes:
                cursor.execute(definition)
            print(f"  rebuilt {len(indexes)} indexes in {time.perf_counter() - started:.0f} s", flush=True)
        cursor.execute("ANALYZE audit_auditevent")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=10_000_000)
    parser.add_argument("--children", type=int, default=200_000)
    parser.add_argument("--child-events", type=int, default=2_000,
                        help="events about the one child whose report is measured")
    parser.add_argument("--requests", type=int, default=50)
    parser.add_argument("--reads", type=int, default=200, help="detail requests each way for the audit cost")
    parser.add_argument("--reset", action="store_true")
    args = parser.parse_args()
    django_for_benchmarks(reset=args.reset)

    from django.db import connection
    from django.test import Client
    from rest_framework.test import APIClient

    from agencies.models import Agency, Membership, Municipality, User
    from audit.models import AuditEvent
    from referrals import selectors
    from referrals.models import Child, Referral

    from .generate import children_and_referrals

    reporter = User.objects.get(username="laerer")
    auditor = User.objects.get(username="revisor")
    coordinator = User.objects.get(username="koordinator")
    auditor_agency = Membership.objects.get(user=auditor, role="auditor").agency
    school = Agency.objects.get(kind=Agency.Kind.SCHOOL, memberships__user=reporter)
    municipalities = list(Municipality.objects.filter(agencies__kind=Agency.Kind.CHILD_WELFARE).distinct())
    welfare = {a.municipality_id: a for a in Agency.objects.filter(kind=Agency.Kind.CHILD_WELFARE)}
    have = Child.objects.count()
    if have < args.children:
        started = time.perf_counter()
        children_and_referrals(count=args.children - have, reporter=reporter, reporting_agency=school,
                               municipalities=municipalities, agency_for=lambda m: welfare[m.pk])
        print(f"generated {args.children - have:,} children and referrals in {time.perf_counter() - started:.0f} s")
    bench = (Referral.objects.filter(routings__agency=auditor_agency, status="submitted")
             .order_by("pk").select_related("child").first())
    with connection.cursor() as cursor:  # an estimate: counting 10M rows exactly takes a while
        cursor.execute("SELECT reltuples::bigint FROM pg_class WHERE relname = 'audit_auditevent'")
        estimated = cursor.fetchone()[0]
    if estimated < args.events * 0.9:
        users = [{"id": m.user_id, "username": m.user.username, "agency_id": m.agency_id, "role": m.role}
                 for m in Membership.objects.select_related("user").exclude(role="auditor")]
        child_ids = list(Child.objects.values_list("pk", flat=True))
        started = time.perf_counter()
        load_events(count=args.events, child_ids=child_ids, bench_child=bench.child_id,
                    bench_child_events=args.child_events, users=users)
        print(f"loaded {args.events:,} events in {time.perf_counter() - started:.0f} s")
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM audit_auditevent")
        total = cursor.fetchone()[0]
    about_child = AuditEvent.objects.filter(child_id=bench.child_id).count()
    print(f"audit events in the table: {total:,}; about the measured child: {about_child:,}")

    # The access report for one child: the first page (500 rows) of the web page, the API
    # page, and the whole report as CSV.
    web = Client()
    web.force_login(auditor)
    api = APIClient()
    api.force_authenticate(auditor)
    targets = {
        "report page (HTML, 500 rows)": lambda: web.get(f"/audit/children/{bench.reference}/"),
        "report API (JSON, 500 rows)": lambda: api.get(f"/api/v1/audit/children/{bench.reference}/access-report/"),
        "report CSV (all rows)": lambda: b"".join(
            web.get(f"/audit/children/{bench.reference}/export.csv").streaming_content),
    }
    targets["event search by user (JSON, newest 50)"] = lambda: api.get(
        "/api/v1/audit/events/", {"user": "saksbehandler", "action": "referral.read"})

    for label, request in targets.items():
        request()  # warm
        durations = []
        for _ in range(args.requests):
            t = time.perf_counter()
            request()
            durations.append(time.perf_counter() - t)
        print(f"{label}: p50 {percentile(durations, 50) * 1000:.1f} ms, p95 {percentile(durations, 95) * 1000:.1f} ms "
              f"({args.requests} requests)")

    # The hourly anomaly scan over one hour in the middle of the generated year.
    from audit import anomalies

    middle = AuditEvent.objects.filter(pk=total // 2).values_list("occurred_at", flat=True).first()
    if middle is not None:
        hour = anomalies.hour_start(middle)
        durations = []
        for _ in range(5):
            t = time.perf_counter()
            anomalies.find(start=hour, end=hour + timedelta(hours=1))
            durations.append(time.perf_counter() - t)
        in_hour = AuditEvent.objects.filter(occurred_at__gte=hour, occurred_at__lt=hour + timedelta(hours=1)).count()
        print(f"anomaly scan of one hour ({in_hour:,} events in it): median "
              f"{statistics.median(durations) * 1000:.1f} ms")

    # The cost of auditing a read: the coordinator opens the referral (API detail) with the
    # read recorded, and with recording patched out, in random interleaved order.
    reader = APIClient()
    reader.force_authenticate(coordinator)
    url = f"/api/v1/referrals/{bench.reference}/"
    assert reader.get(url).status_code == 200

    def noop(*args, **kwargs):
        return None

    timings = {"audited": [], "not audited": []}
    rng = random.Random(5)
    for _ in range(args.reads):
        for mode in rng.sample(list(timings), 2):
            patches = [] if mode == "audited" else [mock.patch.object(selectors, "record", noop),
                                                    mock.patch.object(selectors, "record_many", noop)]
            for p in patches:
                p.start()
            try:
                t = time.perf_counter()
                response = reader.get(url)
                timings[mode].append(time.perf_counter() - t)
            finally:
                for p in patches:
                    p.stop()
            assert response.status_code == 200
    audited, plain = statistics.median(timings["audited"]), statistics.median(timings["not audited"])
    print(f"referral detail (API), {args.reads} each, interleaved: audited p50 {audited * 1000:.2f} ms, "
          f"not audited p50 {plain * 1000:.2f} ms; ratio {audited / plain:.3f} "
          f"(p95 {percentile(timings['audited'], 95) * 1000:.2f} / "
          f"{percentile(timings['not audited'], 95) * 1000:.2f} ms)")


if __name__ == "__main__":
    main()
