from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from core.audit import audit_record
from core.crypto.errors import CryptoError, KeyringError
from core.crypto.keyring import load_keyring, save_keyring
from core.keys import keywraps_rewrap_batch


class Command(BaseCommand):
    help = (
        "Add a new active key-encryption key and rewrap every data key under it, in batches. "
        "If interrupted, run again with --resume to finish rewrapping without adding another key."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--resume", action="store_true", help="Only finish rewrapping.")
        parser.add_argument("--batch-size", type=int, default=500)
        parser.add_argument("--max-batches", type=int, default=None, help="Stop after N batches.")

    def handle(
        self, *args: Any, resume: bool, batch_size: int, max_batches: int | None, **options: Any
    ) -> None:
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1.")
        try:
            keyring = load_keyring()
            if not resume:
                keyring = keyring.with_new_kek()
                save_keyring(keyring)
                with transaction.atomic():
                    audit_record(actor=None, action="keyring.rotate", object_type="keyring")
                self.stdout.write(f"New active key: {keyring.active}.")
            total, batches = 0, 0
            while max_batches is None or batches < max_batches:
                done = keywraps_rewrap_batch(batch_size=batch_size)
                if not done:
                    break
                total, batches = total + done, batches + 1
        except (KeyringError, CryptoError) as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"Rewrapped {total} data keys under {keyring.active}.")
