"""Queue background work by id only, never before the data it is about is committed; and let the
task cluster run nothing but the project's own tasks.

Tasks are delivered at least once and their arguments and results are stored by django-q, so a
task takes ids (never objects or decrypted content) and is idempotent by construction.

Where the queue lives decides how: with django-q2's ORM broker on this same database (SQLite, or
PostgreSQL without Redis) the task row is written inside the caller's transaction, so it is
committed with the data or not at all, and costs no commit of its own; a worker cannot see it
before the commit. With Redis, or when tasks run inline (tests), it is queued once the
transaction commits.

The allow-list (settings.RECOURSE_TASKS) is enforced where django-q2 lets a project step in
before a function is looked up: the `pre_enqueue` signal, for every task `async_task` makes
(ours, the scheduler's from any Schedule row, chains), and the broker's `dequeue`, for rows
written straight into the queue. A package naming anything else is replaced by one that runs
`_refused`, which fails: the cluster records the failure and acknowledges it like any other.
(`pre_execute` cannot do this: django-q2 calls the function whatever its receivers do, and a
receiver that raises kills the worker.)"""

import logging
from typing import Any

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, transaction
from django.dispatch import receiver
from django_q.brokers.orm import ORM
from django_q.brokers.redis_broker import Redis
from django_q.conf import Conf
from django_q.humanhash import uuid
from django_q.signals import pre_enqueue
from django_q.signing import BadSignature, SignedPackage
from django_q.tasks import async_task

logger = logging.getLogger(__name__)

REFUSED = "core.tasks._refused"
# What a refusal keeps of the package it replaces: where it belongs, never its arguments.
_KEPT = ("id", "name", "group", "cluster", "started")


class TaskRefused(Exception):
    """A queued or scheduled task named a function that is not one of the project's tasks."""


def _queued_with_the_data() -> bool:
    """True when a task queued now is stored in the caller's transaction (see the module)."""
    return Conf.ORM == DEFAULT_DB_ALIAS and not Conf.SYNC


def enqueue(func: str, *ids: int) -> None:
    if func not in settings.RECOURSE_TASKS:
        raise ValueError(f"{func!r} is not in settings.RECOURSE_TASKS.")
    if not all(isinstance(value, int) and not isinstance(value, bool) for value in ids):
        raise TypeError("Tasks take integer ids only.")
    if _queued_with_the_data():
        async_task(func, *ids)
    else:
        transaction.on_commit(lambda: async_task(func, *ids))


def _refused(name: str) -> None:
    """Run in place of a refused task, so that django-q records a failure saying why."""
    raise TaskRefused(f"{name} is not one of Recourse's tasks (RECOURSE_TASKS); it was not run.")


def _allowed(package: dict[str, Any]) -> bool:
    """Our own task, with no result hook or chain (we use neither; each would call a function)."""
    func = package.get("func")
    names = {*settings.RECOURSE_TASKS, REFUSED}
    return (
        isinstance(func, str)
        and func in names
        and not package.get("hook")
        and not package.get("chain")
    )


def _named(package: dict[str, Any]) -> str:
    """What was refused, short: names only, never arguments (they may hold anything)."""
    func, hook = package.get("func"), package.get("hook")
    shown = func if isinstance(func, str) else f"a {type(func).__name__}"
    if hook:
        shown += f" with the hook {hook if isinstance(hook, str) else type(hook).__name__}"
    if package.get("chain"):
        shown += " with a chain"
    return repr(shown[:200])


def _refusal(package: dict[str, Any]) -> dict[str, Any]:
    name, task_id = uuid()
    kept = {key: package[key] for key in _KEPT if key in package}
    refused = _named(package)
    logger.warning("Refused a task not on the allow-list: %s (task %s).", refused, kept.get("name"))
    # Acknowledged when it fails: a refusal is final, never retried.
    return {
        "id": task_id,
        "name": name,
        **kept,
        "func": REFUSED,
        "args": (refused,),
        "kwargs": {},
        "ack_failure": True,
    }


@receiver(pre_enqueue, dispatch_uid="recourse-task-allow-list")
def _refuse_at_enqueue(sender: Any, task: dict[str, Any], **kwargs: Any) -> None:
    """Connected when this module is imported, which `async_task` does through get_broker (our
    broker class) before it sends the signal. A refusal is never run inline (`sync`), so that a
    schedule asking for that cannot make the scheduler itself run or fail it."""
    if not _allowed(task):
        replacement = _refusal(task)
        task.clear()
        task.update(replacement)


def _guarded(payload: Any) -> Any:
    try:
        package = SignedPackage.loads(payload)
    except (TypeError, BadSignature):
        return payload  # django-q's pusher logs it and fails it, as it would without us
    return payload if _allowed(package) else SignedPackage.dumps(_refusal(package))


class _AllowListBroker:
    """The cluster's pusher takes tasks through `dequeue`: only allowed ones pass unchanged."""

    def dequeue(self) -> Any:
        tasks = super().dequeue()  # type: ignore[misc]
        return [(ack_id, _guarded(payload)) for ack_id, payload in tasks] if tasks else tasks


class ORMBroker(_AllowListBroker, ORM):
    """django-q2's ORM broker, running only the allow-list (Q_CLUSTER["broker_class"])."""


class RedisBroker(_AllowListBroker, Redis):
    """django-q2's Redis broker, running only the allow-list (Q_CLUSTER["broker_class"])."""


def guarded_broker(list_key: str) -> ORMBroker | RedisBroker:
    """Q_CLUSTER["broker_class"]: the broker django-q2 would choose (the ORM queue when
    Q_CLUSTER names a database, else Redis), running only the allow-list."""
    broker = ORMBroker if Conf.ORM else RedisBroker
    return broker(list_key=list_key)
