"""On SQLite, write transactions queue for the database's one writer (core.sqlite): a writer
waits its turn on a file lock, however short SQLite's own busy timeout, and lets go as soon as
its transaction ends. Each test uses a database file of its own, not the suite's."""

import fcntl
import os
import sqlite3
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.db import OperationalError
from django.db.utils import ConnectionHandler

pytestmark = pytest.mark.skipif(
    settings.DATABASES["default"]["ENGINE"] != "core.sqlite", reason="SQLite's writer queue"
)
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def database(tmp_path, django_db_blocker):
    path = tmp_path / "queue.sqlite3"
    with sqlite3.connect(path) as plain:
        plain.execute("PRAGMA journal_mode=WAL")
        plain.execute("CREATE TABLE counter (id INTEGER PRIMARY KEY, value INTEGER)")
        plain.execute("INSERT INTO counter VALUES (1, 0)")
    plain.close()
    with django_db_blocker.unblock():
        yield path


def _connections(path: Path, timeout: float = 20) -> ConnectionHandler:
    """Its own connection in each thread that asks, as Django's are."""
    options = {"transaction_mode": "IMMEDIATE", "timeout": timeout}
    return ConnectionHandler(
        {"default": {"ENGINE": "core.sqlite", "NAME": str(path), "OPTIONS": options}}
    )


def _begin(connection) -> None:
    # What transaction.atomic() does when its block is the outermost.
    connection.set_autocommit(False, force_begin_transaction_with_broken_autocommit=True)


def _commit(connection) -> None:
    connection.commit()
    connection.set_autocommit(True)


def _writer_file_is_free(path: Path) -> bool:
    probe = os.open(f"{path}-writer", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(probe, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    finally:
        os.close(probe)  # lets go of the probe's lock too
    return True


@pytest.mark.parametrize("ending", ["commit", "rollback", "close"])
def test_a_write_transaction_holds_the_writer_file_until_it_ends(database, ending):
    connection = _connections(database)["default"]
    _begin(connection)
    with connection.cursor() as cursor:
        cursor.execute("UPDATE counter SET value = value + 1")
    assert not _writer_file_is_free(database)
    if ending == "commit":
        _commit(connection)
    elif ending == "rollback":
        connection.rollback()
        connection.set_autocommit(True)
    else:
        connection.close()
    assert _writer_file_is_free(database)
    connection.close()
    with sqlite3.connect(database) as plain:
        value = plain.execute("SELECT value FROM counter").fetchone()[0]
    plain.close()
    assert value == (1 if ending == "commit" else 0)


def test_reading_outside_a_transaction_does_not_queue(database):
    holder = _connections(database)["default"]
    _begin(holder)
    reader = _connections(database, timeout=0.05)["default"]
    with reader.cursor() as cursor:
        cursor.execute("SELECT value FROM counter")
        assert cursor.fetchone() == (0,)
    _commit(holder)
    holder.close()
    reader.close()


CHILD = textwrap.dedent(
    """
    import sys, time
    import django
    from django.conf import settings
    settings.configure(DATABASES={"default": {"ENGINE": "core.sqlite", "NAME": sys.argv[1],
        "OPTIONS": {"transaction_mode": "IMMEDIATE", "timeout": 0.05}}})
    django.setup()
    from django.db import connection, transaction
    open(sys.argv[2], "w").close()  # about to begin
    with transaction.atomic():
        began = time.monotonic()
        connection.cursor().execute("UPDATE counter SET value = value * 10")
    print(began)
    """
)


def test_a_writer_in_another_process_waits_its_turn_though_sqlites_own_timeout_is_short(
    database, tmp_path
):
    """SQLite alone would refuse the second writer after its 0.05 s busy timeout."""
    holder = _connections(database)["default"]
    _begin(holder)
    with holder.cursor() as cursor:
        cursor.execute("UPDATE counter SET value = value + 1")
    ready = tmp_path / "child-ready"
    child = subprocess.Popen(  # noqa: S603 (our own interpreter and code)
        [sys.executable, "-c", CHILD, str(database), str(ready)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 60
    while not ready.exists() and child.poll() is None and time.monotonic() < deadline:
        time.sleep(0.01)
    time.sleep(0.5)  # the child is waiting now, ten times its busy timeout
    committed = time.monotonic()
    _commit(holder)
    holder.close()
    out, err = child.communicate(timeout=60)
    assert child.returncode == 0, err
    assert float(out.strip()) >= committed  # it began only once the holder had committed
    with sqlite3.connect(database) as plain:
        assert plain.execute("SELECT value FROM counter").fetchone() == (10,)  # (0 + 1) * 10
    plain.close()


def test_threads_of_one_process_wait_for_the_writer_no_longer_than_their_timeout(database):
    connections = _connections(database, timeout=0.2)
    holder = connections["default"]
    _begin(holder)
    failures: list[Exception] = []

    def second_writer() -> None:
        mine = connections["default"]  # this thread's own connection
        try:
            _begin(mine)
        except OperationalError as error:
            failures.append(error)
        finally:
            mine.close()

    thread = threading.Thread(target=second_writer)
    thread.start()
    thread.join(timeout=30)
    assert not thread.is_alive()
    assert [str(error) for error in failures] == ["database is locked"]
    with holder.cursor() as cursor:
        cursor.execute("UPDATE counter SET value = value + 1")
    _commit(holder)  # the holder is unharmed
    holder.close()
    assert _writer_file_is_free(database)


def test_concurrent_read_modify_write_transactions_lose_no_update(database):
    connections = _connections(database)
    errors: list[Exception] = []

    def increments(count: int) -> None:
        mine = connections["default"]
        try:
            for _ in range(count):
                _begin(mine)
                with mine.cursor() as cursor:
                    cursor.execute("SELECT value FROM counter")
                    value = cursor.fetchone()[0]
                    cursor.execute("UPDATE counter SET value = %s", [value + 1])
                _commit(mine)
        except Exception as error:  # noqa: BLE001 (reported by the test)
            errors.append(error)
        finally:
            mine.close()

    threads = [threading.Thread(target=increments, args=(25,)) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    with sqlite3.connect(database) as plain:
        assert plain.execute("SELECT value FROM counter").fetchone() == (100,)
    plain.close()
