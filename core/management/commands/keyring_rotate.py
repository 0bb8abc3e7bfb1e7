from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from core.audit import audit_record
from core.crypto.errors import CryptoError, KeyringError
from core.crypto.keyring import Keyring, load_keyring, save_keyring
from core.keys import keywraps_rewrap_batch


class Command(BaseCommand):
    help = (
        "Add a new active key-encryption key and rewrap every data key under it, in batches. "
        "If interrupted, run again with --resume to finish rewrapping without adding another key. "
        "With several hosts: --stage adds the key without using it; copy the keyring file to "
        "every host; then --activate KEY makes it the active key and rewraps. "
        "--index-generation starts a new blind-index key (and touches no data key); copy the "
        "keyring file to every host, then run blind_index_rebuild and pattern_recheck."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        step = parser.add_mutually_exclusive_group()
        step.add_argument("--resume", action="store_true", help="Only finish rewrapping.")
        step.add_argument(
            "--stage", action="store_true", help="Add a new key without activating it."
        )
        step.add_argument("--activate", metavar="KEY", help="Make a staged key active, rewrap.")
        step.add_argument(
            "--index-generation",
            action="store_true",
            help="Start a new blind-index generation (a new blind-index key), then stop.",
        )
        parser.add_argument("--batch-size", type=int, default=500)
        parser.add_argument("--max-batches", type=int, default=None, help="Stop after N batches.")

    def handle(
        self,
        *args: Any,
        resume: bool,
        stage: bool,
        activate: str | None,
        index_generation: bool,
        batch_size: int,
        max_batches: int | None,
        **options: Any,
    ) -> None:
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1.")
        try:
            keyring = load_keyring()
            if index_generation:
                self._next_index_generation(keyring)
                return
            if stage:
                keyring = keyring.with_new_kek(activate=False)
                staged = keyring.newest
                self._save(keyring, "keyring.stage")
                self.stdout.write(
                    f"Staged key: {staged}; {keyring.active} stays active. Copy the keyring file "
                    f"to every host, then run keyring_rotate --activate {staged}."
                )
                return
            if activate:
                keyring = keyring.with_active(activate)
            elif not resume:
                keyring = keyring.with_new_kek()
            if not resume:
                self._save(keyring, "keyring.rotate")
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

    def _next_index_generation(self, keyring: Keyring) -> None:
        keyring = keyring.with_next_index_generation()
        self._save(keyring, "keyring.index_generation")
        self.stdout.write(
            f"Blind-index generation {keyring.index_generation} started. Marks of earlier "
            "generations match nothing until rebuilt: copy the keyring file to every host, then "
            "run blind_index_rebuild and pattern_recheck."
        )

    def _save(self, keyring: Keyring, action: str) -> None:
        save_keyring(keyring)
        with transaction.atomic():
            audit_record(actor=None, action=action, object_type="keyring")
