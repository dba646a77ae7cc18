from django.core.management.base import BaseCommand, CommandError

from audit import anomalies


class Command(BaseCommand):
    help = "Scan the last whole hours of the audit trail for anomalies (e.g. after downtime)."

    def add_arguments(self, parser):
        parser.add_argument("--hours", type=int, default=24, help="How many whole hours back (default 24).")

    def handle(self, *args, hours: int, **options):
        if hours < 1:
            raise CommandError("--hours must be at least 1.")
        found = anomalies.detect(hours=hours)
        self.stdout.write(f"Scanned {hours} hours: {found} anomalies (known ones included).")
