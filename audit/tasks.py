"""Celery tasks of the audit trail."""

from celery import shared_task

from . import anomalies


@shared_task(acks_late=True)
def detect_anomalies(hours: int = 3) -> int:
    """Hourly: scan the last whole hours for anomalies (idempotent; overlapping windows
    are harmless, so a missed run is covered by the next one)."""
    return anomalies.detect(hours=hours)
