"""Writes of the audit section: sealing the trail, and an auditor's review of an anomaly.

Sealing the audit trail: committed events, in id order, into hash-chained blocks.

Why it needs care: an event's id comes from a sequence when it is inserted, but
transactions commit in any order. A request that inserted event 103 may still be running
while event 105 is already committed and visible. Sealing 105 then would leave 103 outside
the chain for ever (verification would rightly report it as inserted into a sealed range).
The request path takes no lock for this; the sealer works out instead how far the trail
is *settled*, i.e. the highest id H such that every event with an id up to H that will
ever commit is already visible:

PostgreSQL
    1. H = the sequence's last allocated value (ids are allocated in increasing order; the
       sequence's cache is 1, PostgreSQL's default - with a larger cache the run keeps to
       the gap-free run described below).
    2. Then, the set W of other transactions holding a write lock on the audit table.
       An insert takes that lock before it draws its id and keeps it until it commits or
       rolls back. So a transaction that drew an id <= H (before step 1) and is still
       uncommitted is in W.
    3. Wait (bounded) until every transaction in W has ended; transactions that start
       later draw ids > H and do not matter. Now every id <= H is committed (visible to
       the next snapshot) or rolled back (a gap for ever), and everything <= H can be
       sealed.
    If W does not end in time (a long-running transaction), this run seals only the gap-
    free run of ids after the last block (no gap: nothing in flight below them) and the
    next run tries again. Nothing is skipped; at worst sealing waits.
SQLite (development and tests)
    One writer at a time: ids are drawn and committed in order, so the highest visible id
    is settled.

Single runner: every block is written in its own short transaction that first takes a
transaction-level advisory lock (PostgreSQL) or a row lock on the chain head, then reads
the head again, so concurrent runs (two beat ticks, a manual run) take turns and extend
the same chain. Unique block numbers and previous hashes make a fork impossible even
without the lock: a run that loses such a race rolls its block back and reads the head
again. Blocks hold at most ``AUDIT_SEAL_BLOCK_SIZE`` events and commit one by one, so a
large backlog is sealed progressively and an interrupted run loses nothing.

Sealing records no audit event of its own: it is housekeeping by no person, touches no
child's data, and the blocks table is its record (number, range, time; append-only). An
event per block would itself wait to be sealed, so an idle system would produce a block
every minute for ever just to seal the previous run's event.
"""

import logging
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils.translation import gettext as _

from agencies import roles
from config.exceptions import ConflictError

from .models import Anomaly, AnomalyReview, AuditEvent, SealedBlock
from .recorder import record
from .sealing import (
    GENESIS_HASH, SELECT_COLUMNS, BlockHasher, canonical_bytes, event_digest, fast_row_cursor, pack_ids,
)

logger = logging.getLogger(__name__)

# pg_advisory_xact_lock key: "samvirke audit sealing" (any fixed 64-bit number unique to this use).
SEALING_LOCK_KEY = 0x5A_4D_56_41_55_44_53_4C

_EVENT_TABLE = AuditEvent._meta.db_table


@dataclass
class SealResult:
    blocks: int = 0
    events: int = 0
    horizon: int = 0
    settled: bool = True


def audit_events_seal(*, block_size: int | None = None, max_blocks: int | None = None,
                      wait: float | None = None) -> SealResult:
    """Seal every settled, not yet sealed event into blocks; returns what was sealed.

    Idempotent: a second run with nothing new seals nothing. Safe to run concurrently.
    """
    block_size = block_size or settings.AUDIT_SEAL_BLOCK_SIZE
    wait = settings.AUDIT_SEAL_WAIT_SECONDS if wait is None else wait
    horizon, settled = settled_horizon(wait=wait)
    result = SealResult(horizon=horizon, settled=settled)
    races = 0
    while max_blocks is None or result.blocks < max_blocks:
        try:
            block = _seal_next_block(horizon=horizon, settled=settled, block_size=block_size)
        except IntegrityError:
            # Another run wrote this block number first (only possible without an advisory
            # lock); read the head again and continue after its block.
            races += 1
            if races > 3:
                raise
            continue
        if block is None:
            break
        result.blocks += 1
        result.events += block.event_count
    if result.blocks:
        logger.info("audit sealing: %s events in %s blocks (settled up to id %s: %s)",
                    result.events, result.blocks, horizon, settled)
    return result


def settled_horizon(*, wait: float) -> tuple[int, bool]:
    """(H, settled): the highest event id drawn so far and whether every transaction that
    might still commit an id <= H has ended (see the module docstring)."""
    if connection.vendor != "postgresql":
        high = AuditEvent.objects.order_by("-id").values_list("id", flat=True).first()
        return high or 0, True
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_sequence_last_value(seqrelid), seqcache FROM pg_sequence"
            " WHERE seqrelid = pg_get_serial_sequence(%s, 'id')::regclass", [_EVENT_TABLE])
        high, cache = cursor.fetchone()
        high = high or 0
        if cache != 1:
            # Sessions would hand out ids from private ranges without touching the
            # sequence, so a low id could appear at any time: only the gap-free run is safe.
            return high, False
        # Only after H is read: who is writing to the audit table in this database now.
        cursor.execute(
            "SELECT DISTINCT virtualtransaction FROM pg_locks"
            " WHERE locktype = 'relation' AND relation = %s::regclass AND mode = 'RowExclusiveLock'"
            " AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
            " AND pid <> pg_backend_pid()",
            [_EVENT_TABLE],
        )
        writers = [row[0] for row in cursor.fetchall()]
        deadline = time.monotonic() + wait
        while writers:
            if time.monotonic() >= deadline:
                return high, False
            time.sleep(0.02)
            cursor.execute(
                "SELECT DISTINCT virtualtransaction FROM pg_locks WHERE virtualtransaction = ANY(%s)",
                [writers],
            )
            writers = [row[0] for row in cursor.fetchall()]
    return high, True


def _lock_chain() -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [SEALING_LOCK_KEY])


def _seal_next_block(*, horizon: int, settled: bool, block_size: int) -> SealedBlock | None:
    with transaction.atomic():
        _lock_chain()
        head = (SealedBlock.objects.select_for_update().order_by("-number")
                .values_list("number", "last_event_id", "block_hash").first())
        number, after, previous_hash = (head[0] + 1, head[1], head[2]) if head else (1, 0, GENESIS_HASH)
        if after >= horizon:
            return None
        with connection.cursor() as cursor:
            fast_row_cursor(cursor)
            cursor.execute(
                f"SELECT {SELECT_COLUMNS} FROM {_EVENT_TABLE} WHERE id > %s AND id <= %s ORDER BY id LIMIT %s",
                [after, horizon, block_size],
            )
            rows = cursor.fetchall()
        if not settled:
            # Not everything below the horizon is known to be final: keep to the ids that
            # follow the last block without a gap, which no transaction in flight can hold.
            contiguous = 0
            for contiguous, row in enumerate(rows):
                if row[0] != after + 1 + contiguous:
                    break
            else:
                contiguous = len(rows)
            rows = rows[:contiguous]
        if not rows:
            return None
        hasher = BlockHasher(previous_hash)
        ids, digests = [], []
        for row in rows:
            canonical = canonical_bytes(row)
            hasher.add(canonical)
            ids.append(row[0])
            digests.append(event_digest(canonical))
        return SealedBlock.objects.create(
            number=number, first_event_id=ids[0], last_event_id=ids[-1], event_count=len(ids),
            previous_hash=previous_hash, block_hash=hasher.hexdigest(),
            event_ids=pack_ids(ids), event_digests=b"".join(digests),
        )


# --- anomalies -------------------------------------------------------------------------

NOTE_MAX_LENGTH = 2000


@transaction.atomic
def anomaly_review(*, actor, anomaly: Anomaly, note: str) -> AnomalyReview:
    """Mark an anomaly as reviewed, with what the auditor concluded. Once only: a second
    review (also one racing the first) answers 409. Who may review is checked by the
    caller through audit.selectors.access_anomaly."""
    note = (note or "").strip()
    if not note:
        raise ValidationError({"note": [_("Write what you found.")]})
    if len(note) > NOTE_MAX_LENGTH:
        raise ValidationError({"note": [_("Keep the note under %(n)d characters.") % {"n": NOTE_MAX_LENGTH}]})
    anomaly = Anomaly.objects.select_for_update().get(pk=anomaly.pk)
    if AnomalyReview.objects.filter(anomaly=anomaly).exists():
        raise ConflictError(_("This anomaly has already been reviewed."))
    try:
        with transaction.atomic():
            review = AnomalyReview.objects.create(anomaly=anomaly, reviewed_by=actor, note=note)
    except IntegrityError:
        raise ConflictError(_("This anomaly has already been reviewed."))
    membership = roles.memberships_for(actor, roles.READ_AUDIT).order_by("pk").first()
    record(action="audit.anomaly_reviewed", actor=actor, membership=membership, target=anomaly,
           changes={"kind": anomaly.kind, "user": anomaly.actor_username,
                    "window_start": anomaly.window_start, "events": anomaly.count})
    return review
