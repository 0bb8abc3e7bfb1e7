"""SECURITY.md 20: every task is idempotent: run twice in a row with the same arguments, the second
run changes nothing, not a row of any table and no e-mail.

The tasks are found from the source: every function of a `tasks` module, every name queued with
`enqueue(...)` or `async_task(...)`, and every schedule `manage.py setup_schedules` makes. Each is
run in a world that gives it work to do (its first run must change something, or the test would
prove nothing), with the tasks it queues run as well, and the whole database is compared after
the first and the second run. Only django-q's own queue and result tables are left out."""

import ast
import importlib
import inspect
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from django.core import mail
from django.db import connection
from django.utils import timezone

from core.models import Role, User
from incidents.models import Report
from support.management.commands.setup_schedules import SCHEDULES
from support.models import Case, EmailStatus, Notification
from support.notifications import notify
from support.resources import resources_load
from tests.factories import UserFactory, make_report
from tests.support.factories import make_case

pytestmark = pytest.mark.django_db

REPO_ROOT = Path(__file__).resolve().parents[2]
APPS = ["core", "incidents", "support", "insights", "api"]
# django-q's bookkeeping: the queue and the stored results of the runs themselves.
NOT_COMPARED = {"django_q_task", "django_q_ormq"}


def _source_files() -> list[Path]:
    return [
        path
        for app in APPS
        for path in (REPO_ROOT / app).rglob("*.py")
        if "migrations" not in path.parts
    ]


def _queued_names(tree: ast.AST) -> set[str]:
    names = set()
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call) or not node.args:
            continue
        called = node.func.attr if isinstance(node.func, ast.Attribute) else None
        called = node.func.id if isinstance(node.func, ast.Name) else called
        first = node.args[0]
        if called in ("enqueue", "async_task", "schedule") and isinstance(first, ast.Constant):
            names.add(first.value)
    return names


def task_names_in_the_source() -> set[str]:
    """Every task django-q can run: queued by name, scheduled, or defined in a tasks module."""
    names = {spec["func"] for spec in SCHEDULES}
    for path in _source_files():
        names |= _queued_names(ast.parse(path.read_text(encoding="utf-8")))
        if path.stem == "tasks":
            module_name = ".".join(path.relative_to(REPO_ROOT).with_suffix("").parts)
            module = importlib.import_module(module_name)
            names |= {
                f"{module_name}.{name}"
                for name, function in inspect.getmembers(module, inspect.isfunction)
                if function.__module__ == module_name and not name.startswith("_")
            }
    # The helper that queues and the broker the cluster takes tasks from: not tasks.
    return names - {"core.tasks.enqueue", "core.tasks.guarded_broker"}


def task(name: str) -> Callable:
    module, _, function = name.rpartition(".")
    return getattr(importlib.import_module(module), function)


# A world in which every task has work to do.


@dataclass
class World:
    critical_case: Case
    consenting_report: Report
    pending_notification: Notification


def staff(role: str, name: str) -> User:
    return UserFactory(role=role, username=name, email=f"{name}@example.org")


def build_world() -> World:
    """Nothing queued by the filing services has run yet (their transaction never commits)."""
    resources_load()
    coordinator = staff(Role.COORDINATOR, "cora")
    worker = staff(Role.SUPPORT_WORKER, "wren")
    staff(Role.ADMINISTRATOR, "admin")
    # Two consenting reports naming the same account, one in danger: severity, matches, a
    # critical alert and a pattern to work out, and statistics records to write.
    critical = make_report(
        consent_matching=True,
        consent_statistics=True,
        perpetrator_identifiers=["@Same_Handle"],
        risk_flags=["imminent_danger"],
    )
    other = make_report(
        consent_matching=True, consent_statistics=True, perpetrator_identifiers=["@same_handle"]
    )
    # A case past its first-response deadline: the sweep reminds its worker.
    overdue = make_case(coordinator=coordinator, workers=(worker,))
    past = timezone.now() - timedelta(minutes=1)
    Case.objects.filter(pk=overdue.pk).update(response_due_at=past, next_step_at=past)
    # An e-mail that failed once: the sweep tries again. One not sent yet: its task sends it.
    notify(recipients=[coordinator], kind="reminder", case=None, key="failed-once")
    Notification.objects.filter(key="failed-once").update(
        email_status=EmailStatus.FAILED, email_attempts=1, email_error="SMTPException"
    )
    notify(recipients=[worker], kind="reminder", case=None, key="not-sent-yet")
    return World(
        critical_case=critical.case,
        consenting_report=other,
        pending_notification=Notification.objects.get(key="not-sent-yet"),
    )


ARGUMENTS: dict[str, Callable[[World], tuple[int, ...]]] = {
    "support.tasks.case_triage": lambda world: (world.critical_case.pk,),
    "support.tasks.escalation_sweep": lambda world: (),
    "support.tasks.notification_email": lambda world: (world.pending_notification.pk,),
    "insights.tasks.extract_refresh": lambda world: (world.consenting_report.pk,),
    "insights.tasks.extract_sync": lambda world: (),
}


def everything() -> dict:
    """Every row of every table (but django-q's own), whole, and every e-mail sent."""
    state: dict = {}
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            if table in NOT_COMPARED:
                continue
            cursor.execute(f'SELECT * FROM "{table}"')  # noqa: S608 (names from introspection)
            columns = tuple(column[0] for column in cursor.description)
            state[table] = (columns, sorted(cursor.fetchall(), key=repr))
    state["outbox"] = [(m.subject, m.body, tuple(m.to)) for m in mail.outbox]
    return state


def differences(before: dict, after: dict) -> dict:
    return {
        name: {
            "gone": [row for row in before[name][1] if row not in after[name][1]],
            "new": [row for row in after[name][1] if row not in before[name][1]],
        }
        if name != "outbox"
        else {"sent": after[name][len(before[name]) :]}
        for name in after
        if before.get(name) != after[name]
    }


def test_every_task_in_the_source_is_run_below():
    found = task_names_in_the_source()

    assert found == set(ARGUMENTS)
    assert {spec["func"] for spec in SCHEDULES} <= found


def run(name: str, arguments: tuple[int, ...], capture) -> object:
    """Run a task as the cluster would, then the tasks it queued (inline in the test settings)."""
    with capture(execute=True):
        return task(name)(*arguments)


@pytest.mark.parametrize("name", sorted(ARGUMENTS))
def test_a_task_run_twice_changes_nothing_the_second_time(name, django_capture_on_commit_callbacks):
    world = build_world()
    arguments = ARGUMENTS[name](world)
    before = everything()

    run(name, arguments, django_capture_on_commit_callbacks)
    after_first = everything()
    run(name, arguments, django_capture_on_commit_callbacks)
    after_second = everything()

    assert differences(before, after_first), "the first run had work to do"
    assert differences(after_first, after_second) == {}


TAKING_IDS = sorted(name for name in ARGUMENTS if inspect.signature(task(name)).parameters)


@pytest.mark.parametrize("name", TAKING_IDS)
def test_a_task_for_an_object_that_is_gone_changes_nothing(
    name, django_capture_on_commit_callbacks
):
    build_world()
    arguments = tuple(987654 for _ in inspect.signature(task(name)).parameters)
    before = everything()

    run(name, arguments, django_capture_on_commit_callbacks)

    assert differences(before, everything()) == {}


def test_the_sweep_run_twice_after_an_outage_changes_nothing_the_second_time(
    django_capture_on_commit_callbacks,
):
    """A case left far past its deadline (the cluster was down): every rung of the ladder is due
    at once. A second delivery of the same sweep must not take another rung."""
    coordinator = staff(Role.COORDINATOR, "cora")
    worker = staff(Role.SUPPORT_WORKER, "wren")
    staff(Role.ADMINISTRATOR, "admin")
    case = make_case(coordinator=coordinator, workers=(worker,))
    long_ago = timezone.now() - timedelta(days=30)
    Case.objects.filter(pk=case.pk).update(response_due_at=long_ago, next_step_at=long_ago)
    run("support.tasks.escalation_sweep", (), django_capture_on_commit_callbacks)
    after_first = everything()

    run("support.tasks.escalation_sweep", (), django_capture_on_commit_callbacks)

    assert differences(after_first, everything()) == {}
