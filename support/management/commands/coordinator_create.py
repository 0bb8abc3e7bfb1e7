"""The first coordinator is made on the server: on the site, a role that reads cases needs an
active coordinator's confirmation, so someone with access to the server starts the chain."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from core.errors import DomainError
from support.roles import coordinator_create


class Command(BaseCommand):
    help = (
        "Make an existing, active account a coordinator (the person signs up at /signup/ first). "
        "Audited as done on the server."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username", help="The account's username.")

    def handle(self, *args: Any, **options: Any) -> None:
        username = options["username"]
        try:
            user = coordinator_create(username=username)
        except DomainError as exc:
            raise CommandError(f"{username}: {' '.join(exc.messages)}") from None
        self.stdout.write(
            f"{user.username} is now a coordinator. They set up their second factor at their "
            "next sign-in."
        )
