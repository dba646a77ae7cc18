"""verify_audit benchmark: events per second and peak memory of `manage.py verify_audit`
over N sealed audit events on PostgreSQL.

    python -m benchmarks.verify_audit --events 10000000

It uses a database of its own (BENCH_DATABASE_URL, default samvirke_bench_audit on local
PostgreSQL) and keeps the data between runs (--reset starts over). Generation: COPY from a
generator (ids given, the sequence moved past them afterwards; the secondary indexes are
dropped for the load and built again after, as a bulk load in production would), then the
real sealing service seals everything. The measured run is the management command itself
in a child process, so its peak resident memory (VmHWM, Linux) is its own.
"""

import argparse
import os
import random
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta

os.environ.setdefault("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/samvirke_bench_audit")

from .setup import ROOT, django_for_benchmarks  # noqa: E402

READS = ["referral.read", "referral.read", "referral.read", "referral.list", "child.read", "referral.chronology"]
WRITES = ["referral.submitted", "referral.assigned", "referral.decided", "triage.note_added", "case.linked"]
AGENTS = ["Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0 Safari/537.36",
          "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15",
          "python-requests/2.32.3"]
COLUMNS = ("id", "occurred_at", "actor_id", "actor_username", "agency_id", "role", "action", "outcome",
           "target_type", "target_id", "child_id", "legal_basis", "request_id", "ip_address", "user_agent",
           "changes")


def rows(*, start_id: int, count: int, people: list[tuple], seed: int = 7):
    """COPY text lines: people are (user id, user name, agency id, role)."""
    rng = random.Random(seed + start_id)
    base = datetime(2025, 1, 1, tzinfo=UTC) + timedelta(seconds=start_id * 3)
    step = timedelta(microseconds=3_000_017)
    bases = ["bvl-13-2", "bvl-4-2", "samtykke", ""]
    for i in range(count):
        pk = start_id + i
        user_id, username, agency_id, role = rng.choice(people)
        if rng.random() < 0.8:
            action, changes = rng.choice(READS), "{}"
        else:
            action = rng.choice(WRITES)
            changes = ('{"after": {"status": "assigned", "assignee": %d}, "before": {"status": "submitted"}, '
                       '"fields": ["status", "assignee"]}' % rng.randrange(1, 500))
        outcome = "denied" if rng.random() < 0.01 else "ok"
        yield (f"{pk}\t{(base + step * i).isoformat()}\t{user_id}\t{username}\t{agency_id}\t{role}\t{action}\t"
               f"{outcome}\treferrals.referral\t{rng.randrange(1, 2_000_000)}\t{rng.randrange(1, 1_000_000)}\t"
               f"{rng.choice(bases)}\t{rng.getrandbits(128):032x}\t10.{rng.randrange(256)}.{rng.randrange(256)}."
               f"{rng.randrange(1, 255)}\t{rng.choice(AGENTS)}\t{changes}\n")


def generate(count: int) -> None:
    from django.db import connection

    from agencies.models import Membership
    from audit.models import AuditEvent

    people = [(m.user_id, m.user.username, m.agency_id, m.role) for m in Membership.objects.select_related("user")]
    table = AuditEvent._meta.db_table
    start = (AuditEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0) + 1
    indexes = AuditEvent._meta.indexes
    with connection.schema_editor() as editor:  # build the secondary indexes once, after the load
        for index in indexes:
            editor.remove_index(AuditEvent, index)
    with connection.cursor() as cursor:
        # Benchmark data only: skip per-row foreign key checks during the load (the ids
        # come from existing users and agencies).
        cursor.execute("SET session_replication_role = replica")
        batch = 200_000
        with cursor.cursor.copy(f"COPY {table} ({', '.join(COLUMNS)}) FROM STDIN") as copy:
            made = 0
            while made < count:
                n = min(batch, count - made)
                copy.write("".join(rows(start_id=start + made, count=n, people=people)))
                made += n
                print(f"\r  copied {made:,} events", end="", file=sys.stderr, flush=True)
        print(file=sys.stderr)
        cursor.execute("SET session_replication_role = DEFAULT")
        cursor.execute("SELECT setval(pg_get_serial_sequence(%s, 'id'), (SELECT max(id) FROM " + table + "))",
                       [table])
    with connection.schema_editor() as editor:
        for index in indexes:
            editor.add_index(AuditEvent, index)
    with connection.cursor() as cursor:
        cursor.execute(f"VACUUM ANALYZE {table}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=10_000_000)
    parser.add_argument("--reset", action="store_true")
    args = parser.parse_args()
    django_for_benchmarks(reset=args.reset)

    from audit.models import AuditEvent, SealedBlock
    from audit.services import audit_events_seal

    have = AuditEvent.objects.count()
    if have < args.events:
        started = time.perf_counter()
        generate(args.events - have)
        seconds = time.perf_counter() - started
        print(f"generated {args.events - have:,} events in {seconds:.0f} s "
              f"({(args.events - have) / seconds:,.0f} events/s, COPY and index builds)")
    started = time.perf_counter()
    sealed = audit_events_seal(wait=0)
    seconds = time.perf_counter() - started
    if sealed.events:
        print(f"sealed {sealed.events:,} events into {sealed.blocks:,} blocks in {seconds:.0f} s "
              f"({sealed.events / seconds:,.0f} events/s)")
    total = AuditEvent.objects.count()
    print(f"trail: {total:,} events, {SealedBlock.objects.count():,} blocks")

    env = dict(os.environ)  # the benchmark database, set up above
    started = time.perf_counter()
    child = subprocess.Popen([sys.executable, str(ROOT / "manage.py"), "verify_audit", "--no-progress"],
                             env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    peak_kb = 0
    while child.poll() is None:  # the child's own high-water mark (its rusage would include ours)
        peak_kb = max(peak_kb, _high_water_kb(child.pid))
        time.sleep(0.1)
    seconds = time.perf_counter() - started
    print(child.stdout.read().strip())
    print(f"verify_audit: exit {child.returncode}, {total:,} events in {seconds:.1f} s wall "
          f"(process start included) = {total / seconds:,.0f} events/s; peak memory {peak_kb / 1024:.0f} MB")


def _high_water_kb(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


if __name__ == "__main__":
    main()
