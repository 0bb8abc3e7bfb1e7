from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from core.audit import audit_record
from core.crypto.errors import KeyringError
from insights.services import extract_rekey_batch


class Command(BaseCommand):
    help = (
        "Move statistical-extract records written before the keys were separated (keyed with "
        "the raw index key) to the extract's own row key, so that erasure finds them. "
        "In batches of reports; interrupted, run it again; a second run changes nothing."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--batch-size", type=int, default=500, help="Reports per batch.")

    def handle(self, *args: Any, batch_size: int, **options: Any) -> None:
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1.")
        after_pk, total = 0, 0
        try:
            while True:
                last_pk, moved = extract_rekey_batch(after_pk=after_pk, batch_size=batch_size)
                if last_pk == after_pk:
                    break
                after_pk, total = last_pk, total + moved
        except KeyringError as exc:
            raise CommandError(str(exc)) from exc
        if total:
            with transaction.atomic():
                audit_record(actor=None, action="extract.rekey", object_type="keyring")
        self.stdout.write(f"Moved {total} extract records to the extract row key.")
