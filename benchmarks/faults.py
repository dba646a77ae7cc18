"""Faults: notifications survive a killed worker and a Redis restart, and none reaches an
inbox twice.

A burst of handovers is sent (each one tells the receiving police agency's liaisons, so
two notifications per handover). A real Celery worker (with its embedded beat running the
sweep) delivers them through a real Redis that this script starts itself on the given
port. Mid-delivery the worker's whole process group is killed with SIGKILL, Redis is shut
down without saving (everything queued is lost) and started again, and a new worker is
started. The script then waits for the sweep to re-enqueue what was lost and prints the
counts: created, delivered, delivered twice (must be 0), undelivered (must be 0).

E-mails go to an SMTP sink in this process, so duplicates are counted independently of
the database: the in-app inbox is exactly once; e-mail is at least once (a worker killed
between the SMTP send and the commit sends that e-mail again), and the script says how
often that happened.

    .venv/bin/python -m benchmarks.faults --redis-port 6390 --handovers 500
    .venv/bin/python -m benchmarks.faults --redis-port 6390 --handovers 300 --measure

--measure sends at a steady pace without faults and prints the time from a handover's
commit to its notification in the inbox (p50, p95), then restarts Redis once more and
prints how long after Redis was back every notification sent during the outage reached
its inbox. It uses FAULTS_DATABASE_URL (default: a `samvirke_faults` database on the local
PostgreSQL), created and migrated if missing; it never touches Redis it did not start.
"""

import argparse
import email
import os
import shutil
import signal
import socket
import socketserver
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from email.header import decode_header, make_header
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/samvirke_faults"


# --- helpers: a free port, our own Redis, an SMTP sink, the worker --------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _port_open(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.2)
        return s.connect_ex(("127.0.0.1", port)) == 0


class OwnRedis:
    """A redis-server this script starts and restarts on one port (no persistence, so a
    restart loses every queued message). Refuses a port something else already uses."""

    def __init__(self, port: int):
        if shutil.which("redis-server") is None:
            raise RuntimeError("redis-server is not installed")
        if _port_open(port):
            raise RuntimeError(f"port {port} is in use; give a free port: this script restarts its Redis")
        self.port = port
        self.process: subprocess.Popen | None = None

    def start(self) -> float:
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while not _port_open(self.port):
            if time.monotonic() > deadline:
                raise RuntimeError("redis-server did not start")
            time.sleep(0.02)
        return time.time()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()  # like a crash: nothing is saved
            self.process.wait(10)
        self.process = None

    def restart(self) -> float:
        self.stop()
        return self.start()

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"


class _SMTPHandler(socketserver.StreamRequestHandler):
    def handle(self):
        self.wfile.write(b"220 sink\r\n")
        recipients, lines, in_data = [], [], False
        while True:
            line = self.rfile.readline()
            if not line:
                return
            if in_data:
                if line.rstrip(b"\r\n") == b".":
                    self.server.sink.add(recipients, b"".join(lines))
                    recipients, lines, in_data = [], [], False
                    self.wfile.write(b"250 OK\r\n")
                else:
                    lines.append(line[1:] if line.startswith(b"..") else line)
                continue
            command = line[:4].upper()
            if command == b"RCPT":
                recipients.append(line.split(b":", 1)[1].strip().strip(b"<>").decode())
            elif command == b"RSET":
                recipients, lines = [], []
            elif command == b"DATA":
                in_data = True
                self.wfile.write(b"354 go on\r\n")
                continue
            elif command == b"QUIT":
                self.wfile.write(b"221 bye\r\n")
                return
            self.wfile.write(b"250 OK\r\n")


class SMTPSink(socketserver.ThreadingTCPServer):
    """Counts e-mails by (recipient, subject): each notification's e-mail is unique."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self):
        super().__init__(("127.0.0.1", 0), _SMTPHandler)
        self.sink = self
        self.counts: Counter = Counter()
        self._lock = threading.Lock()
        threading.Thread(target=self.serve_forever, daemon=True).start()

    def add(self, recipients, data: bytes) -> None:
        subject = str(make_header(decode_header(email.message_from_bytes(data)["Subject"] or "")))
        with self._lock:
            for recipient in recipients:
                self.counts[(recipient, subject)] += 1

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.server_address[1]}"


class Worker:
    """`celery worker -B` in its own process group, so SIGKILL takes it all down at once."""

    def __init__(self, env: dict, schedule: Path):
        self.env, self.schedule, self.process = env, schedule, None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "config", "worker", "-B", "-s", str(self.schedule),
             "--pool=prefork", "--concurrency=2", "--loglevel=WARNING", "--without-mingle", "--without-gossip"],
            cwd=ROOT, env=self.env, start_new_session=True,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(10)
        self.process = None

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(10)
        self.process = None


def database_url_of(connection) -> str:
    s = connection.settings_dict
    auth = s["USER"] + (f":{s['PASSWORD']}" if s.get("PASSWORD") else "")
    return f"postgres://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


def use_broker(url: str) -> None:
    """Point this process's Celery producer at `url` (and drop pooled connections)."""
    from config.celery import app

    app.conf.task_always_eager = False
    app.conf.broker_url = url
    # Only forget the pools: kombu keeps one per broker URL process-wide, and the one for
    # the previous URL must stay usable when we switch back.
    app._pool = None
    app.amqp._producer_pool = None


# --- the scenario ---------------------------------------------------------------------


@dataclass
class Scene:
    sender: object
    referrals: list
    receiving_agency: object
    legal_basis: object
    liaisons: int


def build_scene(handovers: int, liaisons: int = 2, tag: str = "") -> Scene:
    """A child welfare service, a police agency with `liaisons` liaisons, and one
    submitted referral per handover (a referral has one open handover of a kind)."""
    from django.utils import timezone

    from agencies.models import Agency, Membership, Municipality, PoliceDistrict, User
    from referrals.models import Child, LegalBasis, Referral, Routing

    tag = tag or str(int(time.time() * 1000))
    district, _ = PoliceDistrict.objects.get_or_create(code="faults", defaults={"name": "Faults district"})
    municipality, _ = Municipality.objects.get_or_create(number="9999", defaults={
        "name": "Faults", "police_district": district})
    child_welfare = Agency.objects.create(name=f"Faults child welfare {tag}", kind=Agency.Kind.CHILD_WELFARE,
                                          municipality=municipality)
    school = Agency.objects.create(name=f"Faults school {tag}", kind=Agency.Kind.SCHOOL, municipality=municipality)
    police = Agency.objects.create(name=f"Faults police {tag}", kind=Agency.Kind.POLICE, police_district=district)
    basis, _ = LegalBasis.objects.get_or_create(code="fvl-13b-6", defaults={
        "law_reference": "forvaltningsloven § 13 b nr. 6", "description_nb": "Anmelde eller forebygge lovbrudd",
        "description_en": "Report or prevent crime"})

    def member(name, agency, role):
        user = User.objects.create(username=f"{name}-{tag}", email=f"{name}-{tag}@example.invalid")
        Membership.objects.create(user=user, agency=agency, role=role)
        return user

    sender = member("coordinator", child_welfare, Membership.Role.COORDINATOR)
    reporter = member("reporter", school, Membership.Role.REPORTER)
    for i in range(liaisons):
        member(f"liaison{i}", police, Membership.Role.LIAISON)
    now = timezone.now()
    children = Child.objects.bulk_create([Child(given_name="Test", family_name=f"Child {i}",
                                                municipality=municipality) for i in range(handovers)])
    referrals = Referral.objects.bulk_create([
        Referral(child=c, reporter=reporter, reporting_agency=school, status=Referral.Status.SUBMITTED,
                 submitted_at=now, urgency="P2") for c in children])
    Routing.objects.bulk_create([Routing(referral=r, agency=child_welfare, legal_basis=basis,
                                         acknowledged_at=now) for r in referrals])
    return Scene(sender=sender, referrals=referrals, receiving_agency=police, legal_basis=basis,
                 liaisons=liaisons)


def send_one(scene: Scene, referral):
    from referrals.services import handover_create

    return handover_create(actor=scene.sender, referral=referral, receiving_agency=scene.receiving_agency,
                           type="police_report", legal_basis=scene.legal_basis, scope=["categories_and_indicators"],
                           urgency="P2")


@dataclass
class Result:
    created: int = 0
    delivered: int = 0
    delivered_twice: int = 0
    undelivered: int = 0
    emails_twice: int = 0
    emails_missing: int = 0
    seconds: float = 0.0
    events: list = field(default_factory=list)

    def lines(self) -> list[str]:
        return [
            f"notifications created:    {self.created}",
            f"delivered:                {self.delivered}",
            f"delivered twice:          {self.delivered_twice}",
            f"undelivered:              {self.undelivered}",
            f"e-mails sent twice:       {self.emails_twice} (e-mail is at least once; the inbox exactly once)",
            f"e-mails missing:          {self.emails_missing}",
            f"took:                     {self.seconds:.1f} s",
            *[f"  {e}" for e in self.events],
        ]


def _counts(handover_ids, sink: SMTPSink | None) -> Result:
    from django.db.models import Count

    from referrals.models import Notification

    rows = Notification.objects.filter(handover_id__in=handover_ids)
    result = Result(created=rows.count(), delivered=rows.filter(delivered_at__isnull=False).count())
    result.undelivered = result.created - result.delivered
    # Twice into an inbox: a claim that succeeded twice, or the same news in one inbox twice.
    claimed_twice = rows.filter(attempts__gt=1).count()
    same_news_twice = (rows.values("recipient_id", "key").annotate(n=Count("pk")).filter(n__gt=1).count())
    result.delivered_twice = claimed_twice + same_news_twice
    if sink is not None:
        expected = rows.filter(emailed=True).count()
        result.emails_twice = sum(n - 1 for n in sink.counts.values() if n > 1)
        result.emails_missing = max(0, expected - len(sink.counts))
    return result


def _wait(condition, timeout: float, step: float = 0.1) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(step)
    return False


def worker_env(database_url: str, redis_url: str, smtp_url: str, *, sweep_after: int, sweep_every: int) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SAMVIRKE_", "DJANGO_"))}
    env.update({
        "DJANGO_SETTINGS_MODULE": "config.settings", "DJANGO_ENV": "development", "DJANGO_LOG_LEVEL": "WARNING",
        "DATABASE_URL": database_url, "REDIS_URL": redis_url, "EMAIL_URL": smtp_url,
        "SAMVIRKE_SWEEP_AFTER_SECONDS": str(sweep_after), "SAMVIRKE_SWEEP_EVERY_SECONDS": str(sweep_every),
        "SAMVIRKE_ESCALATION_REPEAT_MINUTES": "60",
    })
    for key in ("SAMVIRKE_ID_HASH_KEY", "SAMVIRKE_ID_ENCRYPTION_KEYS", "DJANGO_SECRET_KEY"):
        if key in os.environ:
            env[key] = os.environ[key]
    return env


def run_faults(*, handovers: int, redis_port: int, database_url: str, sweep_after: int = 10, sweep_every: int = 5,
               kill_after_fraction: float = 0.2, timeout: float = 300) -> Result:
    """The fault scenario. Django must be set up on `database_url` (PostgreSQL)."""
    from django.db import connection

    redis = OwnRedis(redis_port)
    sink = SMTPSink()
    started = time.monotonic()
    with tempfile.TemporaryDirectory() as tmp:
        worker = Worker(worker_env(database_url, redis.url, sink.url, sweep_after=sweep_after,
                                   sweep_every=sweep_every), Path(tmp) / "beat-schedule")
        try:
            redis.start()
            use_broker(redis.url)
            scene = build_scene(handovers)
            worker.start()
            ids: list[int] = []
            expected = handovers * scene.liaisons
            events: list[str] = []

            def delivered() -> int:
                from referrals.models import Notification

                return Notification.objects.filter(handover_id__in=list(ids), delivered_at__isnull=False).count()

            def inject():
                try:
                    _wait(lambda: delivered() >= expected * kill_after_fraction, timeout / 2, 0.05)
                    events.append(f"{time.monotonic() - started:6.1f} s  SIGKILL worker ({delivered()} delivered)")
                    worker.kill()
                    redis.restart()
                    events.append(f"{time.monotonic() - started:6.1f} s  Redis restarted (queue lost)")
                    worker.start()
                    events.append(f"{time.monotonic() - started:6.1f} s  worker started again")
                finally:
                    connection.close()  # this thread's own connection

            injector = threading.Thread(target=inject, daemon=True)
            injector.start()
            for referral in scene.referrals:
                ids.append(send_one(scene, referral).pk)
            events.append(f"{time.monotonic() - started:6.1f} s  burst of {handovers} handovers sent")
            injector.join(timeout)
            _wait(lambda: delivered() >= expected, timeout, 0.25)
            # A little longer: anything delivered twice would show up now.
            time.sleep(min(2.0, sweep_every))
            result = _counts(ids, sink)
            result.events = events
        finally:
            worker.stop()
            redis.stop()
            sink.shutdown()
            sink.server_close()
    result.seconds = time.monotonic() - started
    return result


def run_measure(*, handovers: int, redis_port: int, database_url: str, rate: float = 20.0, sweep_after: int = 10,
                sweep_every: int = 5) -> dict:
    """Latency from commit to inbox with a healthy worker; then recovery after a Redis
    restart: handovers sent while Redis is down, and how long after it is back the last
    of their notifications reaches its inbox."""
    from django.db import connection
    from django.utils import timezone

    from referrals.models import Notification

    redis = OwnRedis(redis_port)
    sink = SMTPSink()
    figures: dict = {}
    with tempfile.TemporaryDirectory() as tmp:
        worker = Worker(worker_env(database_url, redis.url, sink.url, sweep_after=sweep_after,
                                   sweep_every=sweep_every), Path(tmp) / "beat-schedule")
        try:
            redis.start()
            use_broker(redis.url)
            scene = build_scene(handovers + 20)
            worker.start()
            # Warm up: the worker is ready once a first notification is delivered.
            first = send_one(scene, scene.referrals[-1])
            _wait(lambda: Notification.objects.filter(handover=first, delivered_at__isnull=False).exists(), 60)
            committed: dict[int, float] = {}
            for referral in scene.referrals[:handovers]:
                handover = send_one(scene, referral)
                committed[handover.pk] = timezone.now().timestamp()
                time.sleep(1.0 / rate)
            rows = Notification.objects.filter(handover_id__in=committed)
            _wait(lambda: not rows.filter(delivered_at__isnull=True).exists(), 120, 0.25)
            latencies = sorted((n.delivered_at.timestamp() - committed[n.handover_id]) * 1000
                               for n in rows.exclude(delivered_at__isnull=True))
            figures["notifications"] = len(latencies)
            figures["p50_ms"] = statistics.median(latencies)
            figures["p95_ms"] = latencies[int(0.95 * (len(latencies) - 1))]
            figures["max_ms"] = latencies[-1]

            # Recovery: Redis goes down, 20 handovers are sent meanwhile, Redis comes back.
            redis.stop()
            outage = [send_one(scene, r).pk for r in scene.referrals[handovers:handovers + 19]]
            back_at = redis.start()
            pending = Notification.objects.filter(handover_id__in=outage)
            _wait(lambda: not pending.filter(delivered_at__isnull=True).exists(), 180, 0.1)
            last = max(n.delivered_at.timestamp() for n in pending)
            figures["recovery_s"] = last - back_at
            figures["outage_notifications"] = pending.count()
            figures["outage_undelivered"] = pending.filter(delivered_at__isnull=True).count()
            figures["sweep_after_s"], figures["sweep_every_s"] = sweep_after, sweep_every
            connection.close()
        finally:
            worker.stop()
            redis.stop()
            sink.shutdown()
            sink.server_close()
    return figures


# --- command line ----------------------------------------------------------------------


def _django(database_url: str, redis_url: str) -> None:
    import psycopg

    parsed = urlparse(database_url)
    with psycopg.connect(parsed._replace(path="/postgres").geturl(), autocommit=True) as conn:
        name = parsed.path.lstrip("/")
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')
    os.environ["DATABASE_URL"] = database_url
    os.environ["REDIS_URL"] = redis_url
    os.environ["EMAIL_URL"] = "dummymail://"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("DJANGO_LOG_LEVEL", "WARNING")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--redis-port", type=int, required=True,
                        help="a free port: the script starts (and restarts) its own redis-server there")
    parser.add_argument("--handovers", type=int, default=500)
    parser.add_argument("--measure", action="store_true", help="latency and recovery figures instead of faults")
    parser.add_argument("--rate", type=float, default=20.0, help="handovers per second in --measure")
    parser.add_argument("--sweep-after", type=int, default=10, help="seconds before the sweep re-enqueues a row")
    parser.add_argument("--sweep-every", type=int, default=5, help="seconds between sweeps")
    args = parser.parse_args()
    database_url = os.environ.get("FAULTS_DATABASE_URL", DEFAULT_URL)
    if not database_url.startswith("postgres"):
        sys.exit("The faults script runs on PostgreSQL: set FAULTS_DATABASE_URL=postgres://...")
    _django(database_url, f"redis://127.0.0.1:{args.redis_port}/0")
    if args.measure:
        figures = run_measure(handovers=args.handovers, redis_port=args.redis_port, database_url=database_url,
                              rate=args.rate, sweep_after=args.sweep_after, sweep_every=args.sweep_every)
        print(f"commit → inbox, {figures['notifications']} notifications at {args.rate:g} handovers/s: "
              f"p50 {figures['p50_ms']:.0f} ms, p95 {figures['p95_ms']:.0f} ms, max {figures['max_ms']:.0f} ms")
        print(f"recovery after a Redis restart: the last of {figures['outage_notifications']} notifications "
              f"sent during the outage reached its inbox {figures['recovery_s']:.1f} s after Redis was back "
              f"(sweep after {figures['sweep_after_s']} s, every {figures['sweep_every_s']} s); "
              f"undelivered: {figures['outage_undelivered']}")
        return
    result = run_faults(handovers=args.handovers, redis_port=args.redis_port, database_url=database_url,
                        sweep_after=args.sweep_after, sweep_every=args.sweep_every)
    print("\n".join(result.lines()))
    sys.exit(0 if result.delivered_twice == 0 and result.undelivered == 0 else 1)


if __name__ == "__main__":
    main()
