"""Recompute the audit trail's hash chain; exit 1 naming the first event that was changed,
removed or reordered (and its block), or a broken block link.

    manage.py verify_audit [--no-progress]

Shows a progress bar on a terminal. The outcome is itself recorded as an audit event.
"""

import sys
import time

from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError
from tqdm import tqdm

from audit.models import AuditEvent
from audit.recorder import record
from audit.verification import CHUNK_SIZE, count_events, verify_chain


class Command(BaseCommand):
    help = "Verify the sealed audit trail: hash chain, every sealed event, and what is not sealed yet."

    def add_arguments(self, parser):
        parser.add_argument("--no-progress", action="store_true", help="no progress bar, even on a terminal")
        parser.add_argument("--chunk-size", type=int, default=CHUNK_SIZE, help="rows fetched per round trip")

    def handle(self, *args, no_progress=False, chunk_size=CHUNK_SIZE, **options):
        if chunk_size < 1:
            raise CommandError("--chunk-size must be at least 1.")
        show = not no_progress and sys.stderr.isatty()
        started = time.perf_counter()
        with tqdm(total=count_events() if show else None, disable=not show, unit=" events",
                  unit_scale=True, file=sys.stderr, desc="verifying") as bar:
            report = verify_chain(progress=bar.update, chunk_size=chunk_size)
        seconds = time.perf_counter() - started
        rate = report.checked_events / seconds if seconds else 0.0
        summary = (f"{report.blocks} blocks, {report.sealed_events} sealed events, "
                   f"{report.unsealed_events} events not sealed yet; "
                   f"{report.checked_events} events checked in {seconds:.1f} s ({rate:,.0f} events/s)")
        self._record(report)
        if report.intact:
            self.stdout.write(f"Audit trail intact: {summary}")
            return
        self.stderr.write(f"AUDIT TRAIL BROKEN: {summary}")
        self.stderr.write("Problems: " + ", ".join(f"{kind}: {n}" for kind, n in sorted(report.problems.items())))
        for problem in report.examples:
            self.stderr.write(f"  - {problem}")
        raise CommandError(f"first problem: {report.first_problem}")

    def _record(self, report) -> None:
        try:
            record(
                action="audit.verified",
                outcome=AuditEvent.Outcome.OK if report.intact else AuditEvent.Outcome.FAILED,
                changes={"blocks": report.blocks, "sealed_events": report.sealed_events,
                         "unsealed_events": report.unsealed_events, "problems": dict(report.problems),
                         "first_problem": str(report.first_problem or "")},
            )
        except DatabaseError as exc:  # e.g. verifying on a read-only standby
            self.stderr.write(f"(the verification could not be recorded in the audit trail: {exc.__class__.__name__})")
