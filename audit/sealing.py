"""The canonical form of an audit event and the hash chain over sealed blocks.

This module is the one definition used by both sealing (audit.services) and verification
(audit.verification); nothing else may turn an event into bytes for hashing.

Canonical bytes of an event: a compact JSON array of EVERY stored column of the event, in
the order of ``CANONICAL_COLUMNS`` (a test checks that it names every column of the model,
so a new field cannot be forgotten): integers as integers, text as text, the time in UTC
as ``YYYY-MM-DDTHH:MM:SS.ffffffZ``, the IP address as text, and "what changed" as JSON with
sorted keys. JSON escaping makes the encoding unambiguous (no separator can be smuggled
into a value), so changing any field of any event changes its bytes.

Block hash: SHA-256 over ``DOMAIN``, the previous block's hash (32 bytes; zeros for the
first block), then each event's canonical bytes in id order, each prefixed with its
length (4 bytes, big-endian). Each block also keeps, as a locator, the ids it sealed and
an 8-byte digest of each event's canonical bytes: verification uses them to name the
first event that was changed, removed or moved, and the chain (not the locator) is what
proves integrity.
"""

import hashlib
import json
import struct
from datetime import UTC, datetime

import orjson

DOMAIN = b"samvirke-audit-block-v1\n"
GENESIS_HASH = "0" * 64
DIGEST_SIZE = 8

# Every column of audit_auditevent, in canonical order. Raw column names: verification
# reads rows with a plain cursor (no model instances) to stay fast.
CANONICAL_COLUMNS = (
    "id",
    "occurred_at",
    "actor_id",
    "actor_username",
    "agency_id",
    "role",
    "action",
    "outcome",
    "target_type",
    "target_id",
    "child_id",
    "legal_basis",
    "request_id",
    "ip_address",
    "user_agent",
    "changes",
)
SELECT_COLUMNS = ", ".join(CANONICAL_COLUMNS)

_OPTIONS = (orjson.OPT_SORT_KEYS | orjson.OPT_UTC_Z | orjson.OPT_NAIVE_UTC
            | orjson.OPT_PASSTHROUGH_SUBCLASS)
_dumps = orjson.dumps
_ID = CANONICAL_COLUMNS.index("id")


class _Number(str):
    """A JSON number kept exactly as stored: parsing 0.1000000000000000001 or 2**70 into a
    float would let a change in the last digits go unnoticed."""

    __slots__ = ()


def _int(text: str):
    return int(text) if len(text) < 19 else _Number(text)  # beyond that orjson would refuse it


def _loads(text):
    return json.loads(text, parse_float=_Number, parse_int=_int)


def _default(value):
    if value.__class__ is _Number:
        return orjson.Fragment(str.__str__(value))
    raise TypeError


def _plain(value):
    if value.__class__ is _Number:
        return {"$number": str.__str__(value)}
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, datetime):
        return _dumps(value, option=_OPTIONS).decode()[1:-1]
    return value


def _fallback(values: list) -> bytes:
    """For text orjson refuses (lone surrogates, which PostgreSQL cannot even store): the
    standard library's JSON, ASCII-escaped, numbers marked as such."""
    return json.dumps(_plain(values), ensure_ascii=True, separators=(",", ":"), sort_keys=True,
                      allow_nan=False).encode()


def canonical_bytes(row) -> bytes:
    """The canonical bytes of one event given as a row of ``CANONICAL_COLUMNS`` values, as a
    database cursor returns them (JSON as text or already parsed)."""
    (pk, occurred_at, actor_id, actor_username, agency_id, role, action, outcome, target_type,
     target_id, child_id, legal_basis, request_id, ip_address, user_agent, changes) = row
    if changes.__class__ is str or changes.__class__ is bytes:
        changes = {} if changes == "{}" else _loads(changes)
    if occurred_at.__class__ is str:  # a backend that hands back text
        occurred_at = datetime.fromisoformat(occurred_at)
    if occurred_at.utcoffset():
        occurred_at = occurred_at.astimezone(UTC)
    values = [pk, occurred_at, actor_id, actor_username, agency_id, role, action, outcome, target_type,
              target_id, child_id, legal_basis, request_id, None if ip_address is None else str(ip_address),
              user_agent, changes]
    try:
        return _dumps(values, default=_default, option=_OPTIONS)
    except orjson.JSONEncodeError:
        return _fallback(values)


def with_id(row, pk: int) -> tuple:
    """The same row as if it carried another id (to recognise an event moved elsewhere)."""
    row = list(row)
    row[_ID] = pk
    return tuple(row)


def event_digest(canonical: bytes) -> bytes:
    return hashlib.sha256(canonical).digest()[:DIGEST_SIZE]


class BlockHasher:
    """Incremental block hash: feed events in id order, then read ``hexdigest()``."""

    __slots__ = ("_hash",)

    def __init__(self, previous_hash: str):
        self._hash = hashlib.sha256(DOMAIN)
        self._hash.update(bytes.fromhex(previous_hash))

    def add(self, canonical: bytes) -> None:
        self._hash.update(len(canonical).to_bytes(4, "big"))
        self._hash.update(canonical)

    def hexdigest(self) -> str:
        return self._hash.hexdigest()


def pack_ids(ids: list[int]) -> bytes:
    return struct.pack(f">{len(ids)}q", *ids)


def unpack_ids(blob: bytes) -> tuple[int, ...]:
    count = len(blob) // 8  # a damaged blob yields fewer ids than the block's count
    return struct.unpack(f">{count}q", bytes(blob[:count * 8]))


def split_digests(blob: bytes) -> list[bytes]:
    blob = bytes(blob)
    return [blob[i:i + DIGEST_SIZE] for i in range(0, len(blob), DIGEST_SIZE)]


def fast_row_cursor(cursor) -> None:
    """On PostgreSQL, read times with psycopg's own (C) loader instead of Django's Python
    one: three times faster, and the session time zone is UTC either way."""
    raw = getattr(cursor, "cursor", cursor)
    adapters = getattr(raw, "adapters", None)
    if adapters is not None:
        from psycopg.types.datetime import TimestamptzBinaryLoader, TimestamptzLoader

        adapters.register_loader("timestamptz", TimestamptzLoader)
        adapters.register_loader("timestamptz", TimestamptzBinaryLoader)
