"""Key rotation for national identity numbers at rest.

Encryption keys (``SAMVIRKE_ID_ENCRYPTION_KEYS``): put a new key first and keep the old ones
after it; run ``manage.py rotate_national_ids``: every stored number is re-encrypted under
the first key; then remove the old keys. The keyed hash (``SAMVIRKE_ID_HASH_KEY``) cannot
be "rotated" from the old digest, so the same run recomputes every digest from the
decrypted number under the current hash key: change the hash key and run it at once
(until it has finished, look-ups by number find only the children already rewritten).

Numbers are decrypted only in memory here; nothing is logged or recorded but counts.
"""

from dataclasses import dataclass

from django.db import transaction

from audit.recorder import record

from .. import identity
from ..models import Child


@dataclass
class RotationResult:
    children: int = 0
    reencrypted: int = 0
    rehashed: int = 0


def national_ids_rotate(*, batch_size: int = 500) -> RotationResult:
    """Re-encrypt every stored national identity number under the newest key and recompute
    its keyed hash, in batches of ``batch_size`` children (each batch one transaction, rows
    locked while rewritten, so a concurrent intake never loses its number). Idempotent: a
    second run rewrites every token again (Fernet tokens are random) and no digest."""
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1.")
    result = RotationResult()
    last_id = 0
    while True:
        with transaction.atomic():
            batch = list(
                Child.objects.select_for_update()
                .filter(pk__gt=last_id).exclude(national_id_encrypted="")
                .order_by("pk").only("pk", "national_id_encrypted", "national_id_digest")[:batch_size]
            )
            if not batch:
                break
            for child in batch:
                number = identity.decrypt_national_id(child.national_id_encrypted)
                child.national_id_encrypted = identity.encrypt_national_id(number)
                digest = identity.national_id_digest(number)
                if digest != child.national_id_digest:
                    child.national_id_digest = digest
                    result.rehashed += 1
            Child.objects.bulk_update(batch, ["national_id_encrypted", "national_id_digest"])
            result.children += len(batch)
            result.reencrypted += len(batch)
            last_id = batch[-1].pk
    record(action="identity.keys_rotated",
           changes={"children": result.children, "reencrypted": result.reencrypted,
                    "rehashed": result.rehashed})
    return result
