"""Recompute the audit hash chain and say where it no longer holds.

Streams the events in id order through a server-side cursor (constant memory, no model
instances) next to the blocks, in one read-only snapshot, and hashes incrementally with
the canonical form of audit.sealing. Finds:

- ``changed``: an event whose bytes differ from what was sealed;
- ``moved``: an event carrying what was sealed as another event (rows swapped/reordered);
- ``removed``: an event a block sealed that is no longer there;
- ``inserted``: an event inside an already sealed range that no block sealed;
- ``block``: a block whose own record was altered (hash or range no longer match its events);
- ``link``: a block whose previous hash is not the hash of the block before it, or a missing
  block number.

and counts the events not sealed yet (newer than the last block).
"""

import re
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from django.db import connection, transaction

from .models import AuditEvent, SealedBlock
from .sealing import (
    GENESIS_HASH, SELECT_COLUMNS, BlockHasher, canonical_bytes, event_digest, fast_row_cursor, split_digests,
    unpack_ids, with_id,
)

_HEX = re.compile("[0-9a-f]{64}")
CHUNK_SIZE = 1_000  # rows per round trip: small chunks stay in the CPU caches (measured faster than 10,000)
EXAMPLES = 20  # problems kept for the report; all are counted
MOVE_SEARCHES = 10  # mismatching events searched for as moved content (each costs a block's worth of hashing)


@dataclass(frozen=True)
class Problem:
    kind: str
    block: int
    event_id: int | None = None
    other_event_id: int | None = None

    def __str__(self) -> str:
        block = f"block {self.block}"
        match self.kind:
            case "changed":
                return f"event {self.event_id} ({block}) was changed after it was sealed"
            case "moved":
                return (f"event {self.event_id} ({block}) holds what was sealed as event "
                        f"{self.other_event_id}: events were reordered")
            case "removed":
                return f"event {self.event_id} ({block}) was removed"
            case "inserted":
                return f"event {self.event_id} was inserted into the already sealed range of {block}"
            case "block":
                return f"{block} was altered: its hash or range does not match the events it sealed"
            case _:
                return f"{block} does not link to the block before it (missing or altered block)"


@dataclass
class Report:
    blocks: int = 0
    sealed_events: int = 0
    unsealed_events: int = 0
    checked_events: int = 0
    problems: Counter = field(default_factory=Counter)
    examples: list[Problem] = field(default_factory=list)

    @property
    def intact(self) -> bool:
        return not self.problems

    @property
    def first_problem(self) -> Problem | None:
        return self.examples[0] if self.examples else None

    def add(self, problem: Problem) -> None:
        self.problems[problem.kind] += 1
        if len(self.examples) < EXAMPLES:
            self.examples.append(problem)


def count_events() -> int:
    return AuditEvent.objects.count()


def verify_chain(*, progress: Callable[[int], None] | None = None, chunk_size: int = CHUNK_SIZE) -> Report:
    """Verify the whole chain in one consistent, read-only snapshot."""
    outermost = not connection.in_atomic_block
    with transaction.atomic():
        if outermost and connection.vendor == "postgresql":
            # Outermost transaction: the same snapshot for the blocks and the events, even
            # while sealing and requests go on.
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        return _verify(progress or (lambda n: None), chunk_size)


def _rows(sql: str, params: list, chunk_size: int) -> Iterator[tuple]:
    cursor = connection.chunked_cursor()  # server-side (named) cursor on PostgreSQL
    fast_row_cursor(cursor)
    try:
        cursor.execute(sql, params)
        while rows := cursor.fetchmany(chunk_size):
            yield from rows
    finally:
        cursor.close()


def _verify(progress: Callable[[int], None], chunk_size: int) -> Report:
    report = Report()
    events = _rows(f"SELECT {SELECT_COLUMNS} FROM {AuditEvent._meta.db_table} ORDER BY id", [], chunk_size)
    blocks = _rows(
        "SELECT number, first_event_id, last_event_id, event_count, previous_hash, block_hash,"
        f" event_ids, event_digests FROM {SealedBlock._meta.db_table} ORDER BY number", [], 4)
    event = next(events, None)
    expected_number, expected_previous, previous_last = 1, GENESIS_HASH, 0
    move_searches = MOVE_SEARCHES
    pending_progress = 0

    for number, first, last, count, previous_hash, block_hash, id_blob, digest_blob in blocks:
        report.blocks += 1
        if number != expected_number or previous_hash != expected_previous:
            report.add(Problem("link", number))
        ids = unpack_ids(id_blob)
        digests = split_digests(digest_blob)
        record_altered = (len(ids) != count or len(digests) != count or not ids or ids[0] != first
                          or ids[-1] != last or first <= previous_last)
        # A previous hash that is not even hex is reported as a broken link above.
        hasher = BlockHasher(previous_hash if _HEX.fullmatch(previous_hash) else GENESIS_HASH)
        add = hasher.add
        events_ok = True
        j, n = 0, len(ids)
        # Every event up to this block's last id belongs to this block's range.
        while event is not None and event[0] <= last:
            pk = event[0]
            while j < n and ids[j] < pk:
                report.add(Problem("removed", number, ids[j]))
                events_ok = False
                j += 1
            if j < n and ids[j] == pk:
                canonical = canonical_bytes(event)
                add(canonical)
                if event_digest(canonical) != digests[j]:
                    events_ok = False
                    moved_from = None
                    if move_searches:
                        move_searches -= 1
                        moved_from = _sealed_as(event, ids, digests)
                    if moved_from is not None and moved_from != pk:
                        report.add(Problem("moved", number, pk, moved_from))
                    else:
                        report.add(Problem("changed", number, pk))
                j += 1
                report.checked_events += 1
            else:
                report.add(Problem("inserted", number, pk))
            pending_progress += 1
            if pending_progress >= chunk_size:
                progress(pending_progress)
                pending_progress = 0
            event = next(events, None)
        while j < n:
            report.add(Problem("removed", number, ids[j]))
            events_ok = False
            j += 1
        if record_altered or (events_ok and hasher.hexdigest() != block_hash):
            report.add(Problem("block", number))
        report.sealed_events += count
        expected_number, expected_previous, previous_last = number + 1, block_hash, last

    progress(pending_progress)
    events.close()
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM {AuditEvent._meta.db_table} WHERE id > %s", [previous_last])
        report.unsealed_events = cursor.fetchone()[0]
    progress(report.unsealed_events)
    return report


def _sealed_as(row, ids, digests) -> int | None:
    """The id this row's content was sealed under, if it was sealed in this block at all."""
    for other, digest in zip(ids, digests, strict=True):
        if event_digest(canonical_bytes(with_id(row, other))) == digest:
            return other
    return None
