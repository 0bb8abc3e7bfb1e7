from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from core.crypto.keyring import new_keyring, write_keyring_file


class Command(BaseCommand):
    # The checks refuse to pass without a keyring, which is what this command makes.
    requires_system_checks: list[str] = []
    help = "Create a new keyring file (mode 0600). Refuses to overwrite an existing one."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "path", help="Where to write the keyring; keep it off the database host's backups."
        )

    def handle(self, *args: Any, path: str, **options: Any) -> None:
        target = Path(path)
        if target.exists():
            raise CommandError(f"{target} exists already; a keyring is never overwritten.")
        write_keyring_file(new_keyring(), target)
        self.stdout.write(
            f"Wrote a new keyring to {target}. Set RECOURSE_KEYRING_FILE to this path."
        )
