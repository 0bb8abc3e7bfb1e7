"""SQLite whose write transactions queue for the database's one writer.

SQLite lets one connection write at a time. With `BEGIN IMMEDIATE` the others wait in its busy
handler, which sleeps in growing steps (up to a tenth of a second) and tries again, so under
concurrent writes the lock often lies free while every waiter sleeps, and whoever happens to wake
first takes it, however long the others have waited. Here a connection queues instead: before its
transaction begins it takes an exclusive lock on a file beside the database (`NAME` plus
`-writer`), sleeping in the kernel until the holder lets go, and it lets go as soon as the
transaction commits, rolls back or its connection closes. The threads of one process first queue
on a lock of their own, which bounds their wait by the connection's `timeout` as SQLite's busy
handler would ("database is locked"); another process's transaction always runs to its end
without waiting on this one, so the wait for the file lock ends too.

Only transactions queue: a statement run in autocommit mode writes under SQLite's own locking,
as before, and a database in memory (one process's alone) has no file to lock.
"""

import fcntl
import os
import threading
from typing import Any

from django.db import OperationalError
from django.db.backends.sqlite3 import base

_process_locks: dict[str, threading.Lock] = {}
_process_locks_guard = threading.Lock()


def _process_lock(path: str) -> threading.Lock:
    with _process_locks_guard:
        return _process_locks.setdefault(path, threading.Lock())


class DatabaseWrapper(base.DatabaseWrapper):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._writer_fd: int | None = None
        self._writer_held: threading.Lock | None = None  # this process's lock, while queued

    def writer_lock_path(self) -> str | None:
        """The file writers queue on, or None for a database in memory."""
        if self.is_in_memory_db():
            return None
        return f"{os.path.abspath(self.settings_dict['NAME'])}-writer"

    def _writer_take(self) -> None:
        path = self.writer_lock_path()
        if path is None or self._writer_held is not None:
            return
        timeout = float(self.settings_dict["OPTIONS"].get("timeout", 5))
        ours = _process_lock(path)
        if not ours.acquire(timeout=timeout):
            raise OperationalError("database is locked")
        try:
            if self._writer_fd is None:
                self._writer_fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
            fcntl.flock(self._writer_fd, fcntl.LOCK_EX)
        except BaseException:
            ours.release()
            raise
        self._writer_held = ours

    def _writer_release(self) -> None:
        ours, self._writer_held = self._writer_held, None
        if ours is None:
            return
        try:
            if self._writer_fd is not None:
                fcntl.flock(self._writer_fd, fcntl.LOCK_UN)
        finally:
            ours.release()

    def _start_transaction_under_autocommit(self) -> None:
        self._writer_take()
        try:
            super()._start_transaction_under_autocommit()  # type: ignore[misc]
        except BaseException:
            self._writer_release()
            raise

    def _commit(self) -> None:
        try:
            super()._commit()  # type: ignore[misc]
        finally:
            self._writer_release()

    def _rollback(self) -> None:
        try:
            super()._rollback()  # type: ignore[misc]
        finally:
            self._writer_release()

    def _close(self) -> None:
        try:
            super()._close()  # type: ignore[misc]
        finally:
            self._writer_release()
            if self._writer_fd is not None:
                os.close(self._writer_fd)
                self._writer_fd = None
