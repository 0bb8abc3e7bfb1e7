"""The restore drill: does a backup of the database, restored somewhere new, open with the keyring?

It backs up the database (or takes a backup you name), restores it into a scratch database,
decrypts every sealed value of every report in the restored copy with the configured keyring,
and removes the scratch database again. It reads the live database only to back it up.

- SQLite: the backup is a copy made with SQLite's online backup API; restoring is copying it.
- PostgreSQL: `pg_dump --format=custom`, then `pg_restore` into a new database on the same
  server, which the database role must be allowed to create (CREATEDB).
"""

import os
import secrets
import shutil
import sqlite3
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DatabaseError, connections
from django.db.models import F, Model
from django.db.utils import load_backend

from core.crypto import envelope
from core.crypto.errors import CryptoError, KeyringError
from core.crypto.keyring import Keyring, load_keyring
from core.keys import SYSTEM, _context
from core.models import KeyWrap, RecipientKind

PG_DUMP_SECONDS = 60 * 60


class DrillError(Exception):
    """The backup could not be made or restored, or something in it does not open."""


def _pg_tool(name: str) -> str:
    found = shutil.which(name)
    if found:
        return found
    versions = sorted(
        Path("/usr/lib/postgresql").glob(f"*/bin/{name}"),
        key=lambda path: int(path.parts[-3]) if path.parts[-3].isdigit() else 0,
    )
    if not versions:
        raise DrillError(f"{name} is not installed (Debian: postgresql-client).")
    return str(versions[-1])


def _pg_env(settings_dict: dict[str, Any], name: str) -> dict[str, str]:
    """libpq's variables for the server in `settings_dict` and database `name`: the password
    goes through the environment, never the command line."""
    env = dict(os.environ)
    for variable, key in (("PGHOST", "HOST"), ("PGPORT", "PORT"), ("PGUSER", "USER")):
        if settings_dict.get(key):
            env[variable] = str(settings_dict[key])
    if settings_dict.get("PASSWORD"):
        env["PGPASSWORD"] = str(settings_dict["PASSWORD"])
    if settings_dict.get("OPTIONS", {}).get("sslmode"):
        env["PGSSLMODE"] = str(settings_dict["OPTIONS"]["sslmode"])
    env["PGDATABASE"] = name
    return env


def _run(args: list[str], env: dict[str, str]) -> None:
    result = subprocess.run(  # noqa: S603 (a PostgreSQL tool found above, our own arguments)
        args, env=env, capture_output=True, text=True, timeout=PG_DUMP_SECONDS, check=False
    )
    if result.returncode != 0:
        reason = result.stderr.strip().splitlines()[-1:] or ["no message"]
        raise DrillError(f"{Path(args[0]).name} failed: {reason[0]}")


def backup_database(directory: Path, using: str = "default") -> Path:
    """Back up the database `using` into a new file in `directory`; returns the file."""
    connection = connections[using]
    if connection.vendor == "sqlite":
        target = directory / "backup.sqlite3"
        connection.ensure_connection()
        with closing(sqlite3.connect(target)) as copy:
            connection.connection.backup(copy)
        return target
    if connection.vendor == "postgresql":
        target = directory / "backup.dump"
        settings_dict = connection.settings_dict
        _run(
            [
                _pg_tool("pg_dump"),
                "--format=custom",
                "--no-owner",
                "--no-privileges",
                "-f",
                str(target),
            ],
            _pg_env(settings_dict, settings_dict["NAME"]),
        )
        return target
    raise DrillError(f"The restore drill does not know {connection.vendor} databases.")


@contextmanager
def restored_copy(backup: Path, using: str = "default") -> Iterator[str]:
    """Restore `backup` into a new scratch database on the same kind of server as `using`, and
    yield a connection alias for it; the scratch database is removed afterwards."""
    connection = connections[using]
    settings_dict = connection.settings_dict
    alias = f"restore_drill_{secrets.token_hex(4)}"
    with tempfile.TemporaryDirectory(prefix="recourse-drill-") as scratch_dir:
        if connection.vendor == "sqlite":
            name = str(Path(scratch_dir) / "restored.sqlite3")
            shutil.copyfile(backup, name)
        elif connection.vendor == "postgresql":
            name = f"{str(settings_dict['NAME'])[:40]}_{alias}"
            with connection.cursor() as cursor:
                cursor.execute(f"CREATE DATABASE {connection.ops.quote_name(name)}")
        else:
            raise DrillError(f"The restore drill does not know {connection.vendor} databases.")
        # A connection of our own, not a configured database: registered for this thread only.
        backend = load_backend(settings_dict["ENGINE"])
        connections[alias] = backend.DatabaseWrapper(
            {**settings_dict, "NAME": name, "CONN_MAX_AGE": 0}, alias
        )
        try:
            if connection.vendor == "postgresql":
                restore = [_pg_tool("pg_restore"), "--no-owner", "--no-privileges"]
                restore += ["--exit-on-error", "--single-transaction", "-d", name, str(backup)]
                _run(restore, _pg_env(settings_dict, name))
            yield alias
        finally:
            connections[alias].close()
            del connections[alias]
            if connection.vendor == "postgresql":
                with connection.cursor() as cursor:
                    cursor.execute(f"DROP DATABASE IF EXISTS {connection.ops.quote_name(name)}")


def unwrap(wrap: KeyWrap, keyring: Keyring) -> bytes:
    """A data key from its wrap, as core.keys.data_key opens it, from any database."""
    context = _context(wrap.owner_type, wrap.owner_id, wrap.recipient_kind, wrap.recipient)
    return envelope.unwrap_dek(
        bytes(wrap.wrapped), keyring=keyring, kek_id=wrap.kek_id, context=context
    )


def _sealed() -> list[tuple[str, type[Model], str, tuple[str, ...]]]:
    """Everything sealed under a report's data key: a label, the model, the path from it to the
    report's id, and its sealed fields (each stored as `<field>_sealed`)."""
    from incidents.models import Evidence, Incident, Report
    from support.models import CaseEvent, CaseNote, Match, Message

    return [
        ("reports", Report, "pk", ("municipality", "contact")),
        ("incidents", Incident, "report_id", ("narrative", "identifiers")),
        ("evidence records", Evidence, "report_id", ("meta",)),
        ("case events", CaseEvent, "case__report_id", ("reason",)),
        ("case notes", CaseNote, "case__report_id", ("body",)),
        ("messages", Message, "case__report_id", ("body",)),
        ("resource matches", Match, "case__report_id", ("reason",)),
    ]


def open_every_report(alias: str, keyring: Keyring) -> dict[str, int]:
    """Decrypt every sealed value of every report in the database `alias` with `keyring`.
    Returns how many records of each kind opened; raises DrillError at the first that does not."""
    from incidents.models import Report
    from incidents.sealing import open_field

    owner_type = Report._meta.label_lower
    report_ids = dict(Report.objects.using(alias).values_list("pk", "public_id"))
    keys: dict[Any, bytes] = {}
    wraps = KeyWrap.objects.using(alias).filter(
        owner_type=owner_type, recipient_kind=RecipientKind.KEYRING, recipient=SYSTEM
    )
    for wrap in wraps.iterator(chunk_size=500):
        try:
            keys[wrap.owner_id] = unwrap(wrap, keyring)
        except (CryptoError, KeyringError) as exc:
            raise DrillError(f"The key of report {wrap.owner_id} does not open: {exc}") from exc
    counts = {}
    for label, model, to_report, fields in _sealed():
        rows = (
            model._default_manager.using(alias).annotate(drill_report=F(to_report)).order_by("pk")
        )
        counts[label] = 0
        for row in rows.iterator(chunk_size=500):
            public_id = row.public_id
            key = keys.get(report_ids.get(row.drill_report))
            if key is None:
                raise DrillError(f"{model._meta.verbose_name} {public_id} has no report key.")
            for field in fields:
                if not getattr(row, f"{field}_sealed"):
                    continue  # an optional value never given (a match without a reason)
                try:
                    open_field(key, row, field)
                except CryptoError as exc:
                    raise DrillError(
                        f"The {field} of {model._meta.verbose_name} {public_id} does not open."
                    ) from exc
            counts[label] += 1
    return counts


class Command(BaseCommand):
    help = (
        "Back up the database (or take --backup FILE), restore it into a scratch database, and "
        "open every report in the restored copy with the keyring. Fails if anything does not open."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--backup",
            type=Path,
            help="Check this backup instead of making one now: a pg_dump custom-format archive "
            "on PostgreSQL, a copy of the database file on SQLite.",
        )

    def handle(self, *args: Any, backup: Path | None, **options: Any) -> None:
        try:
            keyring = load_keyring()
            with tempfile.TemporaryDirectory(prefix="recourse-drill-") as directory:
                if backup is None:
                    backup = backup_database(Path(directory))
                    self.stdout.write(f"Backed up the database ({_size(backup)}).")
                elif not backup.is_file():
                    raise DrillError(f"There is no backup file at {backup}.")
                with restored_copy(backup) as alias:
                    counts = open_every_report(alias, keyring)
        except (DrillError, KeyringError, DatabaseError) as exc:
            raise CommandError(f"Restore drill failed: {exc}") from exc
        opened = ", ".join(f"{count} {kind}" for kind, count in counts.items())
        self.stdout.write(f"Restored the backup into a scratch database and opened {opened}.")
        self.stdout.write("Restore drill passed; the scratch database is gone.")


def _size(path: Path) -> str:
    size = path.stat().st_size
    return f"{size / 1024 / 1024:.1f} MiB" if size >= 1024 * 1024 else f"{size / 1024:.0f} KiB"
