from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from core.audit import audit_record
from core.crypto.errors import KeyringError
from core.crypto.keyring import load_keyring, save_keyring
from core.keys import keywraps_using


class Command(BaseCommand):
    help = "Remove a key-encryption key from the keyring. Refuses while any data key uses it."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("kek_id", help="The key to retire, such as k1.")

    def handle(self, *args: Any, kek_id: str, **options: Any) -> None:
        try:
            keyring = load_keyring()
            in_use = keywraps_using(kek_id)
            if in_use:
                raise CommandError(
                    f"{kek_id} still wraps {in_use} data keys; run keyring_rotate --resume first."
                )
            save_keyring(keyring.without_kek(kek_id))
        except KeyringError as exc:
            raise CommandError(str(exc)) from exc
        with transaction.atomic():
            audit_record(actor=None, action="keyring.retire", object_type="keyring")
        self.stdout.write(f"Retired {kek_id}.")
