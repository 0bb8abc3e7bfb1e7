"""SECURITY.md 8, "the task cluster runs only the project's own tasks".

A review found that a superuser could add a schedule in django-q2's admin naming any function
(it printed the keyring). Now the cluster runs only the functions on settings.RECOURSE_TASKS,
whatever a queue row, a schedule or a result hook names: anything else is replaced by a refusal
that fails, so django-q records a failure saying what was refused, and a warning is logged
(names only, never arguments). The list is checked against the source, so it cannot rot; and
django-q2's admin pages only show: nothing can be added, changed, deleted or resubmitted there.

The cluster here is django-q2's own pusher, worker and monitor, run one pass in this process on
the ORM queue; the scheduler is django-q2's own too."""

import logging
import pydoc
from datetime import timedelta
from io import StringIO
from multiprocessing import Event, Value
from types import SimpleNamespace
from unittest import mock

import pytest
from django.conf import settings
from django.contrib import admin
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_q.brokers import get_broker
from django_q.conf import Conf
from django_q.humanhash import uuid
from django_q.models import Failure, OrmQ, Schedule, Success, Task
from django_q.monitor import monitor
from django_q.pusher import pusher
from django_q.queues import Queue
from django_q.scheduler import scheduler
from django_q.signing import SignedPackage
from django_q.worker import worker

from core.tasks import REFUSED, ORMBroker, RedisBroker, enqueue
from tests.core.test_settings import SECRET, _run
from tests.security.support import canary
from tests.security.test_p20_tasks_idempotent import task_names_in_the_source
from tests.support.factories import superuser_user

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def queue_in_the_database():
    """The cluster here works on the ORM queue, as without Redis, whatever the run's broker."""
    with mock.patch.object(Conf, "ORM", "default"):
        yield


# A function that is not a task: if it ever runs, it leaves a group behind.
NOT_OURS = "tests.security.test_p08_task_allow_list.leave_a_mark"
MARK = "a function off the allow-list ran"
SWEEP = "support.tasks.escalation_sweep"


def leave_a_mark(*args, **kwargs) -> None:
    Group.objects.get_or_create(name=MARK)


def it_ran() -> bool:
    return Group.objects.filter(name=MARK).exists()


def queue_row(func: str, *args, **options) -> str:
    """A row written straight into the ORM queue, signed as django-q signs its packages."""
    name, task_id = uuid()
    package = {"id": task_id, "name": name, "func": func, "args": args, "kwargs": {}, **options}
    package["started"] = timezone.now()
    OrmQ.objects.create(
        key=get_broker().list_key,
        payload=SignedPackage.dumps(package),
        lock=timezone.now() - timedelta(seconds=1),
    )
    return name


def run_the_cluster_once() -> None:
    """One pass of django-q2's cluster: its pusher takes what the broker gives, its worker runs
    each task, its monitor records the results and acknowledges them."""
    broker = get_broker()
    tasks, results = Queue(), Queue()
    stop = Event()
    stop.set()  # the pusher makes one pass, then stops
    pusher(tasks, stop, broker=broker)
    tasks.put("STOP")
    worker(tasks, results, Value("f", -1))
    results.put("STOP")
    monitor(results, broker=broker)
    for queue in (tasks, results):
        queue.close()
        queue.join_thread()


def refusal_of(name: str) -> Task:
    task = Task.objects.get(name=name)
    assert (task.success, task.func) == (False, REFUSED)
    return task


# The list.


def test_every_task_the_project_queues_or_schedules_is_on_the_list_and_nothing_else_is():
    assert set(settings.RECOURSE_TASKS) == task_names_in_the_source()
    assert len(set(settings.RECOURSE_TASKS)) == len(settings.RECOURSE_TASKS)


@pytest.mark.parametrize("name", settings.RECOURSE_TASKS)
def test_each_task_on_the_list_is_an_importable_function(name):
    assert callable(pydoc.locate(name))


def test_enqueue_refuses_a_function_not_on_the_list(django_capture_on_commit_callbacks):
    with (
        django_capture_on_commit_callbacks() as callbacks,
        pytest.raises(ValueError, match="RECOURSE_TASKS"),
    ):
        enqueue("os.getcwd")

    assert callbacks == []
    assert not OrmQ.objects.exists()
    assert not Task.objects.exists()


# The cluster.


def test_the_cluster_runs_a_task_on_the_list_from_the_queue():
    """The pass below really runs what it is given (so the refusals are the allow-list's)."""
    name = queue_row(SWEEP)

    run_the_cluster_once()

    assert Task.objects.get(name=name).success
    assert not OrmQ.objects.exists()


@pytest.mark.parametrize("func", [NOT_OURS, "os.getcwd"])
def test_a_queue_row_naming_another_function_is_refused_recorded_and_not_run(func, caplog):
    secret = canary("argument")
    name = queue_row(func, secret)

    with caplog.at_level(logging.WARNING, logger="core.tasks"):
        run_the_cluster_once()

    assert not it_ran()
    assert not Success.objects.exists()  # os.getcwd would have stored the directory
    refused = refusal_of(name)
    assert func in refused.result
    assert "not one of Recourse's tasks" in refused.result
    assert secret not in repr((refused.args, refused.kwargs, refused.result))
    assert not OrmQ.objects.exists()  # acknowledged: a refusal is final
    warnings = [r.getMessage() for r in caplog.records if r.name == "core.tasks"]
    assert any(func in line for line in warnings)
    assert not any(secret in line for line in warnings)


def test_a_task_on_the_list_with_a_hook_not_ours_is_refused_whole():
    name = queue_row(SWEEP, hook=NOT_OURS)

    run_the_cluster_once()

    assert not it_ran()
    assert NOT_OURS in refusal_of(name).result


def test_a_task_on_the_list_with_a_chain_is_refused_whole():
    name = queue_row(SWEEP, chain=[(NOT_OURS, (), {})])

    run_the_cluster_once()

    assert not it_ran()
    assert "chain" in refusal_of(name).result


def test_the_cluster_takes_its_tasks_through_the_guarded_broker():
    assert type(get_broker()) is ORMBroker


def test_with_redis_the_cluster_takes_its_tasks_through_the_guarded_redis_broker(tmp_path):
    script = (
        "import django; django.setup(); from django_q.brokers import get_broker; "
        "print(type(get_broker()).__name__)"
    )
    result = _run(tmp_path, ["-c", script], DJANGO_SECRET_KEY=SECRET, REDIS_URL="redis://x:1/0")

    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip().splitlines()[-1] == "RedisBroker"


def test_the_redis_broker_refuses_a_task_it_pops_from_its_list_too():
    broker = RedisBroker()
    name, task_id = uuid()
    package = {"id": task_id, "name": name, "func": NOT_OURS, "args": (), "kwargs": {}}
    popped = (broker.list_key, SignedPackage.dumps(package))
    broker.connection = SimpleNamespace(blpop=lambda key, timeout: popped)

    [(_, payload)] = broker.dequeue()

    refusal = SignedPackage.loads(payload)
    assert (refusal["func"], refusal["name"]) == (REFUSED, name)


# The scheduler: a schedule row is turned into a queued task; "sync" would have the scheduler run
# it at once, in its own process, without a queue.


@pytest.mark.parametrize("kwargs", ["", "{'q_options': {'sync': True}}"])
def test_a_schedule_naming_another_function_is_never_run(kwargs):
    Schedule.objects.create(
        name="planted",
        func=NOT_OURS,
        kwargs=kwargs,
        schedule_type=Schedule.MINUTES,
        minutes=1,
        repeats=-1,
        next_run=timezone.now() - timedelta(seconds=1),
    )

    scheduler(broker=get_broker())
    assert not it_ran()
    run_the_cluster_once()

    assert not it_ran()
    refused = Task.objects.get(group="planted")
    assert (refused.success, refused.func) == (False, REFUSED)
    assert NOT_OURS in refused.result


def test_a_schedule_with_a_hook_not_ours_is_never_run():
    Schedule.objects.create(
        name="hooked",
        func=SWEEP,
        hook=NOT_OURS,
        schedule_type=Schedule.ONCE,
        next_run=timezone.now() - timedelta(seconds=1),
    )

    scheduler(broker=get_broker())
    run_the_cluster_once()

    assert not it_ran()
    assert Task.objects.get(group="hooked").func == REFUSED


# django-q2's admin: it shows, it changes nothing.


@pytest.fixture
def superuser_client() -> Client:
    client = Client()
    client.force_login(superuser_user(username="root"))
    return client


@pytest.fixture
def rows() -> dict[str, object]:
    """One row of each model django-q2's admin shows."""
    call_command("setup_schedules", stdout=StringIO())
    now = timezone.now()
    for number, success in enumerate([True, False]):
        Task.objects.create(
            id=f"task{number}",
            name=f"task {number}",
            func=SWEEP,
            started=now,
            stopped=now,
            success=success,
            result="the sweep failed" if not success else 1,
        )
    queue_row(SWEEP)
    return {
        "schedule": Schedule.objects.first(),
        "success": Success.objects.get(),
        "failure": Failure.objects.get(),
        "ormq": OrmQ.objects.get(),
    }


def snapshot() -> list:
    return [
        sorted(Schedule.objects.values_list("pk", "func", "hook", "args", "kwargs", "repeats")),
        sorted(Task.objects.values_list("id", "func", "success", "result")),
        sorted(OrmQ.objects.values_list("pk", "payload", "lock")),
    ]


def url(model: str, view: str, *args) -> str:
    return reverse(f"admin:django_q_{model}_{view}", args=args)


# The queue's page exists only with the ORM broker (django_q.admin decides, when it loads).
MODELS = ["schedule", "success", "failure"] + (["ormq"] if admin.site.is_registered(OrmQ) else [])


@pytest.mark.parametrize("model", MODELS)
def test_a_superuser_can_list_and_open_each_django_q_page(superuser_client, rows, model):
    listed = superuser_client.get(url(model, "changelist"))
    opened = superuser_client.get(url(model, "change", rows[model].pk))

    assert listed.status_code == 200
    assert opened.status_code == 200
    assert b'name="_save"' not in opened.content  # shown, not a form


def test_a_failure_opens_with_its_result(superuser_client, rows):
    page = superuser_client.get(url("failure", "change", rows["failure"].pk))

    assert b"the sweep failed" in page.content


@pytest.mark.parametrize("model", MODELS)
def test_a_superuser_can_add_change_or_delete_nothing_on_django_q_pages(
    superuser_client, rows, model
):
    pk = rows[model].pk
    before = snapshot()
    planted = {"name": "planted", "func": "os.getcwd", "schedule_type": "O", "repeats": "-1"}
    answers = {
        "add GET": superuser_client.get(url(model, "add")),
        "add POST": superuser_client.post(url(model, "add"), planted),
        "change POST": superuser_client.post(url(model, "change", pk), planted),
        "delete GET": superuser_client.get(url(model, "delete", pk)),
        "delete POST": superuser_client.post(url(model, "delete", pk), {"post": "yes"}),
    }

    assert {what: answer.status_code for what, answer in answers.items()} == dict.fromkeys(
        answers, 403
    )
    assert snapshot() == before


@pytest.mark.parametrize("model", MODELS)
@pytest.mark.parametrize("action", ["resubmit_task", "delete_selected"])
def test_no_django_q_page_offers_an_action(superuser_client, rows, model, action):
    before = snapshot()

    listed = superuser_client.get(url(model, "changelist"))
    superuser_client.post(
        url(model, "changelist"), {"action": action, "_selected_action": [rows[model].pk]}
    )

    assert b'name="action"' not in listed.content
    assert snapshot() == before
