from django.core.management.base import BaseCommand, CommandError

from referrals.identity import NationalIdDecryptionError
from referrals.services.identity_keys import national_ids_rotate


class Command(BaseCommand):
    help = ("Re-encrypt every stored national identity number under the first key in "
            "SAMVIRKE_ID_ENCRYPTION_KEYS and recompute its keyed hash under SAMVIRKE_ID_HASH_KEY. "
            "Run after putting a new key first; remove the old keys only after it succeeded.")

    def add_arguments(self, parser):
        parser.add_argument("--batch-size", type=int, default=500)

    def handle(self, *args, batch_size: int, **options):
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1.")
        try:
            result = national_ids_rotate(batch_size=batch_size)
        except NationalIdDecryptionError:
            raise CommandError(
                "A stored number could not be decrypted with any configured key: put the old "
                "key back in SAMVIRKE_ID_ENCRYPTION_KEYS (after the new one) and run again. "
                "Batches already rewritten stay rewritten.") from None
        self.stdout.write(f"Re-encrypted {result.reencrypted} national identity numbers "
                          f"({result.rehashed} keyed hashes recomputed).")
