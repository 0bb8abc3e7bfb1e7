from typing import Any

from django.core.management.base import BaseCommand

from insights.services import extract_rebuild


class Command(BaseCommand):
    help = "Rebuild the statistical extract from scratch (idempotent)."

    def handle(self, *args: Any, **options: Any) -> None:
        written = extract_rebuild()
        self.stdout.write(f"Statistical extract rebuilt: {written} records.")
