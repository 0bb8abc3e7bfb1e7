"""Two task clusters on one PostgreSQL, as on two hosts: a due schedule fires once, and sweeps
running at the same time in both take each rung once. PostgreSQL only: SQLite has a single writer
and ignores `select_for_update`, which is what keeps a schedule from firing twice."""

import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django.utils import timezone
from django_q.models import Schedule, Task

from core.models import AuditEvent
from support.models import Case, EscalationStep, Notification
from tests.support.factories import coordinator_user, make_case, worker_user

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="two clusters need PostgreSQL's row locks"
)

REPO = Path(__file__).resolve().parents[2]
SWEEP = "support.tasks.escalation_sweep"
WAIT_SECONDS = 90


def _cluster_env() -> dict[str, str]:
    db = connection.settings_dict
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("DJANGO_", "RECOURSE_", "DATABASE_URL"))
    }
    env.update(
        DJANGO_SETTINGS_MODULE="core.settings",
        DJANGO_SECRET_KEY=str(settings.SECRET_KEY),
        DATABASE_URL=(
            f"postgres://{db['USER']}:{db['PASSWORD'] or ''}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
        ),
        RECOURSE_KEYRING_FILE=str(settings.RECOURSE_KEYRING_FILE),
        RECOURSE_MEDIA_ROOT=str(settings.MEDIA_ROOT),
        PYTHONPATH=str(REPO),
    )
    return env


def _start_cluster() -> subprocess.Popen:
    return subprocess.Popen(  # noqa: S603 (our own interpreter and command)
        [sys.executable, "manage.py", "qcluster"],
        cwd=REPO,
        env=_cluster_env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )


def _stop(cluster: subprocess.Popen) -> str:
    if cluster.poll() is None:
        os.killpg(cluster.pid, signal.SIGTERM)
    try:
        _, err = cluster.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(cluster.pid, signal.SIGKILL)
        _, err = cluster.communicate()
    return err.decode(errors="replace")


def _sweeps_done() -> int:
    return Task.objects.filter(func=SWEEP, success=True).count()


def test_two_clusters_fire_a_due_schedule_once_and_take_each_rung_once(committed_db):
    now = timezone.now()
    coordinator, worker = coordinator_user(), worker_user()
    cases = [make_case(coordinator=coordinator, workers=(worker,)) for _ in range(4)]
    Case.objects.filter(pk__in=[c.pk for c in cases]).update(
        response_due_at=now - timedelta(minutes=5), next_step_at=now - timedelta(minutes=5)
    )
    due = now - timedelta(seconds=1)
    Schedule.objects.create(
        name="escalation sweep",
        func=SWEEP,
        schedule_type=Schedule.MINUTES,
        minutes=60,
        repeats=-1,
        next_run=due,
    )
    # Two more sweeps due at once, so the clusters run sweeps side by side.
    for name in ("extra sweep a", "extra sweep b"):
        Schedule.objects.create(
            name=name, func=SWEEP, schedule_type=Schedule.ONCE, repeats=1, next_run=due
        )

    clusters = [_start_cluster(), _start_cluster()]
    try:
        deadline = time.monotonic() + WAIT_SECONDS
        while _sweeps_done() < 3 and time.monotonic() < deadline:
            time.sleep(1)
        time.sleep(3)  # a little longer: a second firing would show now
    finally:
        errors = [_stop(cluster) for cluster in clusters]

    assert _sweeps_done() == 3, errors
    assert Task.objects.filter(group="escalation sweep").count() == 1
    assert Task.objects.filter(func=SWEEP, success=False).count() == 0
    for case in cases:
        assert list(EscalationStep.objects.filter(case=case).values_list("level", flat=True)) == [1]
        assert (
            AuditEvent.objects.filter(
                action="case.escalation.remind", object_id=str(case.public_id)
            ).count()
            == 1
        )
        reminders = Notification.objects.filter(case=case, recipient=worker, kind="reminder")
        assert reminders.count() == 1
