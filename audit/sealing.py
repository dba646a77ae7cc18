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

_dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), sort_keys=True, allow_nan=False).encode
_loads = json.loads
_ID = CANONICAL_COLUMNS.index("id")


def _utc(value) -> str:
    if isinstance(value, str):  # a backend that hands back text
        value = datetime.fromisoformat(value)
    if value.tzinfo is not None and value.utcoffset():
        value = value.astimezone(UTC)
    return value.replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"


def canonical_bytes(row) -> bytes:
    """The canonical bytes of one event given as a row of ``CANONICAL_COLUMNS`` values, as a
    database cursor returns them (JSON as text or already parsed)."""
    (pk, occurred_at, actor_id, actor_username, agency_id, role, action, outcome, target_type,
     target_id, child_id, legal_basis, request_id, ip_address, user_agent, changes) = row
    if isinstance(changes, str | bytes):
        changes = {} if changes == "{}" else _loads(changes)
    return _dumps([
        pk, _utc(occurred_at), actor_id, actor_username, agency_id, role, action, outcome,
        target_type, target_id, child_id, legal_basis, request_id,
        None if ip_address is None else str(ip_address), user_agent, changes,
    ]).encode()


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
    blob = bytes(blob)
    return struct.unpack(f">{len(blob) // 8}q", blob)


def split_digests(blob: bytes) -> list[bytes]:
    blob = bytes(blob)
    return [blob[i:i + DIGEST_SIZE] for i in range(0, len(blob), DIGEST_SIZE)]
