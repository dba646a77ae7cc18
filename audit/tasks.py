"""Celery tasks of the audit trail: sealing committed events into the hash chain, and
the hourly anomaly scan."""

import logging

from celery import shared_task

from . import anomalies
from .services import audit_events_seal

logger = logging.getLogger(__name__)


@shared_task(acks_late=True, ignore_result=True)
def seal_audit_events() -> str:
    """Run by beat every minute. Idempotent and safe to overlap with another run."""
    result = audit_events_seal()
    if not result.settled:
        logger.info("audit sealing: transactions still writing; sealed up to the first gap")
    return f"sealed {result.events} events in {result.blocks} blocks"


@shared_task(acks_late=True)
def detect_anomalies(hours: int = 3) -> int:
    """Hourly: scan the last whole hours for anomalies (idempotent; overlapping windows
    are harmless, so a missed run is covered by the next one)."""
    return anomalies.detect(hours=hours)
