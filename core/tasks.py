"""Queue background work by id only, never before the data it is about is committed.

Tasks are delivered at least once and their arguments and results are stored by django-q, so a
task takes ids (never objects or decrypted content) and is idempotent by construction.

Where the queue lives decides how: with django-q2's ORM broker on this same database (SQLite, or
PostgreSQL without Redis) the task row is written inside the caller's transaction, so it is
committed with the data or not at all, and costs no commit of its own; a worker cannot see it
before the commit. With Redis, or when tasks run inline (tests), it is queued once the
transaction commits."""

from django.db import DEFAULT_DB_ALIAS, transaction
from django_q.conf import Conf
from django_q.tasks import async_task


def _queued_with_the_data() -> bool:
    """True when a task queued now is stored in the caller's transaction (see the module)."""
    return Conf.ORM == DEFAULT_DB_ALIAS and not Conf.SYNC


def enqueue(func: str, *ids: int) -> None:
    if not all(isinstance(value, int) and not isinstance(value, bool) for value in ids):
        raise TypeError("Tasks take integer ids only.")
    if _queued_with_the_data():
        async_task(func, *ids)
    else:
        transaction.on_commit(lambda: async_task(func, *ids))
