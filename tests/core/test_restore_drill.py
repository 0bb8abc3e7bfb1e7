"""The restore drill: a backup of the database, restored into a fresh database, gives back a
report's content with the keyring, and nothing without it (docs/operations.md)."""

import io
import tempfile
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db import connection, connections
from django.utils.connection import ConnectionDoesNotExist

from core.crypto.errors import CryptoError
from core.crypto.keyring import load_keyring, new_keyring
from core.management.commands.restore_drill import (
    DrillError,
    backup_database,
    open_every_report,
    restored_copy,
    unwrap,
)
from core.models import KeyWrap, Role
from incidents.models import Incident, Report
from incidents.sealing import open_field
from support.services import message_send_reporter, note_add
from tests.factories import UserFactory, make_report

CANARY = "canary-7f3a9c-the-restored-narrative"


@pytest.fixture
def report(committed_db):
    """A report filed through the real service, committed so that a backup sees it."""
    return make_report(narrative=f"They painted {CANARY} on my campaign office.")


@pytest.fixture
def backup(report, tmp_path) -> Path:
    return backup_database(tmp_path)


@pytest.fixture
def scratch_dir(tmp_path, monkeypatch) -> Path:
    """Where the drill's temporary files go, to show it leaves none behind."""
    directory = tmp_path / "scratch"
    directory.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(directory))
    return directory


def _scratch_databases() -> set[str]:
    if connection.vendor != "postgresql":
        return set()
    with connection.cursor() as cursor:
        cursor.execute("SELECT datname FROM pg_database WHERE datname LIKE %s", ["%restore_drill%"])
        return {name for (name,) in cursor.fetchall()}


def _narrative_in(alias: str, report: Report, keyring) -> str:
    wrap = KeyWrap.objects.using(alias).get(owner_id=report.public_id)
    incident = Incident.objects.using(alias).get(report__public_id=report.public_id)
    return open_field(unwrap(wrap, keyring), incident, "narrative")


def test_the_backup_holds_the_canary_only_as_ciphertext(backup):
    assert backup.stat().st_size > 0
    assert CANARY.encode() not in backup.read_bytes()


def test_a_restored_copy_in_a_fresh_database_gives_the_canary_back_with_the_keyring(report, backup):
    with restored_copy(backup) as alias:
        assert connections[alias].settings_dict["NAME"] != connection.settings_dict["NAME"]
        assert Report.objects.using(alias).filter(public_id=report.public_id).exists()

        assert CANARY in _narrative_in(alias, report, load_keyring())


def test_without_the_keyring_the_restored_copy_does_not_open(report, backup):
    another_keyring = new_keyring()

    with restored_copy(backup) as alias:
        with pytest.raises(CryptoError):
            _narrative_in(alias, report, another_keyring)
        with pytest.raises(DrillError, match="does not open"):
            open_every_report(alias, another_keyring)


def test_every_sealed_value_of_every_report_in_the_restored_copy_opens(report, tmp_path):
    coordinator = UserFactory(role=Role.COORDINATOR)
    note_add(actor=coordinator, case=report.case, body="A note only staff see.")
    message_send_reporter(actor=report.reporter, report=report, body="Any news?")
    backup = backup_database(tmp_path)
    make_report(narrative="Filed after the backup, so not in the restored copy.")

    with restored_copy(backup) as alias:
        counts = open_every_report(alias, load_keyring())

    assert counts["reports"] == 1
    assert counts["incidents"] == 1
    assert counts["case notes"] == 1
    assert counts["messages"] == 1
    assert counts["case events"] >= 1


def test_the_scratch_database_is_gone_after_the_drill_even_when_it_fails(backup, scratch_dir):
    used = []

    def stop_half_way() -> None:
        with restored_copy(backup) as alias:
            used.append(alias)
            assert Report.objects.using(alias).exists()
            raise RuntimeError("the drill stopped half way")

    with pytest.raises(RuntimeError):
        stop_half_way()

    with pytest.raises(ConnectionDoesNotExist):
        connections[used[0]]
    assert _scratch_databases() == set()
    assert list(scratch_dir.iterdir()) == []


def test_the_command_backs_up_restores_and_opens_every_report(report, scratch_dir):
    out = io.StringIO()

    call_command("restore_drill", stdout=out)

    assert "opened 1 reports, 1 incidents" in out.getvalue()
    assert "Restore drill passed" in out.getvalue()
    assert CANARY not in out.getvalue()
    assert _scratch_databases() == set()
    assert list(scratch_dir.iterdir()) == []


def test_the_command_checks_a_backup_made_earlier(backup):
    out = io.StringIO()

    call_command("restore_drill", backup=backup, stdout=out)

    assert "Restore drill passed" in out.getvalue()


def test_the_command_fails_when_the_keyring_is_not_the_one_the_backup_needs(
    report, settings, tmp_path
):
    settings.RECOURSE_KEYRING_FILE = str(tmp_path / "another" / "keyring.json")  # created anew

    with pytest.raises(CommandError, match="Restore drill failed: The key of report"):
        call_command("restore_drill", stdout=io.StringIO())


def test_the_command_fails_when_the_named_backup_is_missing(committed_db, tmp_path):
    with pytest.raises(CommandError, match="no backup file"):
        call_command("restore_drill", backup=tmp_path / "nothing.dump", stdout=io.StringIO())


def test_the_command_fails_plainly_when_the_named_file_is_no_backup(committed_db, tmp_path):
    not_a_backup = tmp_path / "notes.txt"
    not_a_backup.write_text("this is not a database backup")

    with pytest.raises(CommandError, match="Restore drill failed"):
        call_command("restore_drill", backup=not_a_backup, stdout=io.StringIO())
