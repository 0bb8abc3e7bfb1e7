"""Queue background work after the current transaction commits, by id only.

Tasks are delivered at least once and their arguments and results are stored by django-q, so a
task takes ids (never objects or decrypted content) and is idempotent by construction."""

from django.db import transaction
from django_q.tasks import async_task


def enqueue(func: str, *ids: int) -> None:
    if not all(isinstance(value, int) and not isinstance(value, bool) for value in ids):
        raise TypeError("Tasks take integer ids only.")
    transaction.on_commit(lambda: async_task(func, *ids))
