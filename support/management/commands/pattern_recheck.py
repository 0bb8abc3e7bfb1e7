from typing import Any

from django.core.management.base import BaseCommand, CommandError

from core.crypto.errors import KeyringError
from support.patterns import patterns_recheck


class Command(BaseCommand):
    help = (
        "Link the cases of every identifier that consenting reporters share, from the blind "
        "index alone. Run it after blind_index_rebuild: reports filed while marks were of "
        "another generation could not be compared then. Running it again changes nothing."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            linked = patterns_recheck()
        except KeyringError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"Pattern alerts checked: {linked} new links.")
