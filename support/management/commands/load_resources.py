from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from core.errors import DomainError
from support.resources import DATA_FILE, resources_load


class Command(BaseCommand):
    help = "Create or update the resource directory from its data file (idempotent)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--file", default=str(DATA_FILE))

    def handle(self, *args: Any, file: str, **options: Any) -> None:
        try:
            created, updated = resources_load(path=Path(file))
        except DomainError as exc:
            raise CommandError(" ".join(exc.messages)) from exc
        self.stdout.write(f"Resources: {created} created, {updated} updated.")
