"""Benchmark the escalation sweep (support.escalation.sweep) over 100,000 open cases.

Run with `make bench`, after bench/case_list.py. The sweep runs every minute, so two costs matter:
the work per overdue case (each climb is its own transaction: ladder step, notifications, sealed
timeline event, audit event) and the cost of finding the overdue cases, which must follow the
overdue count, not the number of open cases. Measured: a full sweep with 1% (1,000) and 0.1%
(100) of the cases overdue, each from the same restored rows, and the empty sweep at 10,000 and
100,000 cases with its query plan. bench/case_list.py rewrites docs/performance.md whole, so this
bench runs second and replaces only its own block between the markers below (appending it if
absent).
"""

# ruff: noqa: E402  (Django must be configured before models are imported)

import inspect
import os
import platform
import random
import re
import sqlite3
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # `python bench/escalation.py` puts bench/, not the project, first
    sys.path.insert(0, str(ROOT))
# Forced, not defaulted: an inherited core.settings would point the bench at the real database.
os.environ["DJANGO_SETTINGS_MODULE"] = "bench.settings"

import django

django.setup()

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core.management import call_command
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from bench.common import DOC, remove_temporary_folders, write_block
from core.keys import data_key_create
from core.models import Role, User
from incidents.models import Report
from incidents.taxonomy import Region, ReporterRole
from support import escalation, rules
from support.escalation import overdue_ids, sweep
from support.models import Case, CaseEvent, CaseStatus, EscalationStep, Notification, Severity

SIZES = (10_000, 100_000)
OVERDUE = (1_000, 100)  # 1% and 0.1% of the largest size
RUNS = {1_000: 3, 100: 5}  # timed sweeps per overdue count, each from restored rows
EMPTY_WARMUP = 3
EMPTY_REPEATS = 30
COORDINATORS = 3
ADMINISTRATORS = 2
BATCH = 5_000
SEED = 2025
# Status mix of the open cases: all watched by the ladder; in progress means already answered,
# so those cases run on their update deadline instead of the first-response one.
STATUSES = [CaseStatus.NEW] * 3 + [CaseStatus.TRIAGED] * 3 + [CaseStatus.IN_PROGRESS] * 4
INDEX = "case_next_step_due"
SYNCHRONOUS = {0: "OFF", 1: "NORMAL", 2: "FULL", 3: "EXTRA"}  # PRAGMA synchronous's numbers
# The fields a sweep changes on a case, and so the fields restored before each timed sweep.
FIELDS = ["response_due_at", "update_due_at", "escalation_level", "escalated_at", "next_step_at"]


Row = dict[str, Any]  # a case's FIELDS


@dataclass
class Bench:
    """The generated world: the fixed "now" every sweep runs at, and the overdue candidates
    (random cases over the whole id range) with their rows as generated and as overdue."""

    now: datetime
    reporter: User
    candidates: list[Case] = field(default_factory=list)
    due: dict[int, Row] = field(default_factory=dict)
    future: dict[int, Row] = field(default_factory=dict)


@dataclass
class Results:
    empty: dict[int, dict[str, float]]  # open cases -> median ms of each empty call
    plan: str
    sweeps: dict[int, list[float]]  # overdue cases -> seconds of each timed sweep
    queries: dict[int, int]  # rung taken -> SQL statements of one climb, BEGIN and COMMIT too
    machine: str
    runtime: float = 0.0


# --- data ------------------------------------------------------------------------------------


def create_people() -> User:
    """The reporter who owns every report, and the coordinators and administrators the ladder
    notifies. Nobody has an e-mail address, so no e-mail task is queued: the bench measures the
    sweep, not the mail transport. Passwords are unusable (no Argon2 hashing)."""
    staff = [(Role.COORDINATOR, COORDINATORS), (Role.ADMINISTRATOR, ADMINISTRATORS)]
    User.objects.bulk_create(
        [
            User(username=f"{role}{i}", role=role, email="", password=make_password(None))
            for role, count in staff
            for i in range(count)
        ]
    )
    return User.objects.create(username="reporter", password=make_password(None))


def schedule(case: Case, *, due: datetime, level: int) -> None:
    """Put the case's current deadline at `due` with `level` rungs already taken, and let the
    app's own reschedule() set next_step_at, so every row is one the app could have written."""
    if case.first_response_at is None:
        case.response_due_at = due
    else:
        case.update_due_at = due
    case.escalation_level = level
    case.escalated_at = due if level >= 2 else None
    escalation.reschedule(case)


def new_case(report: Report, now: datetime, rng: random.Random) -> Case:
    """An open case whose next rung falls due 1 to 72 hours after `now`."""
    status = rng.choice(STATUSES)
    case = Case(report=report, severity=rng.choice(Severity.values), status=status)
    case.response_due_at = now - timedelta(hours=1)  # replaced by schedule() unless answered
    if status == CaseStatus.IN_PROGRESS:
        case.first_response_at = case.last_update_at = now - timedelta(hours=2)
    schedule(case, due=now + timedelta(minutes=rng.randint(60, 72 * 60)), level=0)
    return case


@transaction.atomic
def create_cases(count: int, bench: Bench, rng: random.Random) -> None:
    """`count` reports, each with its open case. Sealed fields hold a dummy byte: nothing is
    opened, and only the overdue candidates need a data key (see choose_candidates)."""
    reports = Report.objects.bulk_create(
        [
            Report(
                reporter=bench.reporter,
                role=rng.choice(ReporterRole.values),
                region=rng.choice(Region.values),
                municipality_sealed=b"x",
                contact_sealed=b"x",
            )
            for _ in range(count)
        ],
        batch_size=BATCH,
    )
    Case.objects.bulk_create(
        [new_case(report, bench.now, rng) for report in reports], batch_size=BATCH
    )


def longest_window() -> timedelta:
    """The longest deadline window: that long after its deadline, a case has every rung due."""
    return max(max(rules.response_deadline(s), rules.update_deadline(s)) for s in Severity.values)


def row(case: Case) -> Row:
    """The case's FIELDS: what arrange() puts back before each timed sweep."""
    return {name: getattr(case, name) for name in FIELDS}


@transaction.atomic
def choose_candidates(bench: Bench, count: int, rng: random.Random) -> None:
    """Pick the cases that may be overdue and keep two rows for each: as generated (not due),
    and overdue with rung 1, 2 or 3 next, in turn. A climb seals a timeline event under the
    report's data key, so these reports get real key wraps."""
    ids = rng.sample(list(Case.objects.values_list("pk", flat=True)), count)
    by_id = Case.objects.select_related("report").in_bulk(ids)
    bench.candidates = [by_id[pk] for pk in ids]
    overdue_by = longest_window() + timedelta(hours=1)
    for position, case in enumerate(bench.candidates):
        data_key_create(case.report)
        bench.future[case.pk] = row(case)
        # Distinct deadlines: the ladder's notification key holds the deadline and the rung but
        # not the case, so two cases with the same deadline instant would share notifications.
        due = bench.now - overdue_by - timedelta(seconds=30 * position + rng.randint(0, 29))
        schedule(case, due=due, level=position % 3)
        bench.due[case.pk] = row(case)


@transaction.atomic
def arrange(bench: Bench, overdue: int) -> None:
    """Make exactly the first `overdue` candidates due and the others not, and remove what
    earlier sweeps wrote, so every timed sweep starts from the same rows. (Audit events are
    append-only by trigger and stay: the sweep only appends to them.)"""
    EscalationStep.objects.all().delete()
    Notification.objects.all().delete()
    CaseEvent.objects.all().delete()
    for position, case in enumerate(bench.candidates):
        values = bench.due[case.pk] if position < overdue else bench.future[case.pk]
        for name, value in values.items():
            setattr(case, name, value)
    Case.objects.bulk_update(bench.candidates, FIELDS, batch_size=BATCH)


# --- the sweep with cases overdue ------------------------------------------------------------


def check_sweep(bench: Bench, overdue: int, climbed: int) -> None:
    """Refuse the time of a sweep that skipped work: each overdue case must have climbed one
    rung, with its step and timeline event, and notified the coordinators (rungs 1 and 2: the
    cases have no assignees) or the administrators (rung 3)."""
    levels = [bench.due[case.pk]["escalation_level"] + 1 for case in bench.candidates[:overdue]]
    want = {
        "climbs": overdue,
        "steps": overdue,
        "events": overdue,
        "notifications": sum(ADMINISTRATORS if lv == 3 else COORDINATORS for lv in levels),
    }
    got = {
        "climbs": climbed,
        "steps": EscalationStep.objects.count(),
        "events": CaseEvent.objects.count(),
        "notifications": Notification.objects.count(),
    }
    if got != want:
        raise RuntimeError(f"the sweep did {got}, expected {want}")


def timed_sweep(bench: Bench, overdue: int) -> float:
    """Seconds of one sweep over freshly arranged rows, checked afterwards."""
    arrange(bench, overdue)
    start = time.perf_counter()
    climbed = sweep(now=bench.now)
    elapsed = time.perf_counter() - start
    check_sweep(bench, overdue, climbed)
    return elapsed


def time_sweeps(bench: Bench) -> dict[int, list[float]]:
    """Timed sweeps, the overdue counts interleaved so drift in the machine's speed hits both
    alike, after one small untimed sweep (first keyring read, cold caches)."""
    timed_sweep(bench, 10)
    samples: dict[int, list[float]] = {count: [] for count in OVERDUE}
    for rep in range(max(RUNS.values())):
        for count in OVERDUE:
            if rep < RUNS[count]:
                samples[count].append(timed_sweep(bench, count))
                print(f"  sweep, {count:,} overdue: {samples[count][-1]:.2f} s", flush=True)
    return samples


def queries_per_rung(bench: Bench) -> dict[int, int]:
    """SQL statements of one climb by the rung it takes, on untimed climbs (capturing the
    queries slows them). BEGIN, savepoints and COMMIT count: each is a round trip too."""
    arrange(bench, 3)  # the first three candidates have rungs 1, 2 and 3 next
    counts: dict[int, int] = {}
    for case in bench.candidates[:3]:
        with CaptureQueriesContext(connection) as captured:
            level = escalation.climb(case_id=case.pk, now=bench.now)
        if level is None:
            raise RuntimeError(f"case {case.pk} did not climb")
        counts[level] = len(captured)
    return dict(sorted(counts.items()))


# --- the sweep with nothing due --------------------------------------------------------------


def time_empty(now: datetime) -> dict[str, float]:
    """Median milliseconds of finding nothing due (overdue_ids) and of a whole empty sweep,
    interleaved: what every one-minute run costs when all is in order."""
    calls: dict[str, Callable[[], Any]] = {
        "overdue_ids": lambda: overdue_ids(now=now),
        "sweep": lambda: sweep(now=now),
    }
    for name, call in calls.items():
        if call():
            raise RuntimeError(f"{name} found cases due; the bench expects none")
    for _ in range(EMPTY_WARMUP):
        for call in calls.values():
            call()
    samples: dict[str, list[float]] = {name: [] for name in calls}
    for _ in range(EMPTY_REPEATS):
        for name, call in calls.items():
            start = time.perf_counter()
            call()
            samples[name].append((time.perf_counter() - start) * 1000)
    return {name: statistics.median(values) for name, values in samples.items()}


def overdue_plan(now: datetime) -> str:
    """SQLite's EXPLAIN QUERY PLAN of the statement overdue_ids runs, captured from the call
    itself so the plan follows the code, as an indented tree."""
    with CaptureQueriesContext(connection) as captured:
        overdue_ids(now=now)
    (query,) = captured.captured_queries
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN QUERY PLAN {query['sql']}")
        rows = cursor.fetchall()
    depth: dict[int, int] = {0: -1}
    lines = []
    for node, parent, _unused, detail in rows:
        depth[node] = depth.get(parent, -1) + 1
        lines.append("  " * depth[node] + detail)
    return "\n".join(lines)


# --- running ---------------------------------------------------------------------------------


def machine() -> str:
    """The machine, and the SQLite journal settings: every climb commits, so they matter."""
    with connection.cursor() as cursor:
        journal = cursor.execute("PRAGMA journal_mode").fetchone()[0]
        level = cursor.execute("PRAGMA synchronous").fetchone()[0]
    synchronous = SYNCHRONOUS.get(level, level)
    return (
        f"{os.cpu_count()} cores ({platform.machine()}, {platform.system()}), "
        f"SQLite {sqlite3.sqlite_version} (journal_mode={journal}, synchronous={synchronous}), "
        f"Python {platform.python_version()}, Django {django.get_version()}"
    )


def run() -> Results:
    """Migrate the empty bench database; grow it to each size and time the empty sweep; then
    time the sweeps with cases overdue at the largest size."""
    call_command("migrate", verbosity=0, interactive=False)
    rng = random.Random(SEED)  # noqa: S311  (benchmark data, not security)
    bench = Bench(now=timezone.now(), reporter=create_people())
    empty: dict[int, dict[str, float]] = {}
    for size in SIZES:
        started = time.perf_counter()
        create_cases(size - Case.objects.count(), bench, rng)
        print(f"{size:,} cases generated in {time.perf_counter() - started:.1f} s", flush=True)
        empty[size] = time_empty(bench.now)
    plan = overdue_plan(bench.now)
    choose_candidates(bench, max(OVERDUE), rng)
    return Results(
        empty=empty,
        plan=plan,
        sweeps=time_sweeps(bench),
        queries=queries_per_rung(bench),
        machine=machine(),
    )


# --- report ----------------------------------------------------------------------------------


def sweep_table(results: Results) -> str:
    """With the time per overdue case, which should not change from 0.1% to 1%: the sweep's
    cost ought to follow the overdue count alone."""
    size = SIZES[-1]
    lines = [
        "| overdue cases | sweep (s) | per overdue case (ms) | timed runs (s) |",
        "|---:|---:|---:|---:|",
    ]
    for count, samples in results.sweeps.items():
        seconds = statistics.median(samples)
        runs = ", ".join(f"{sample:.2f}" for sample in samples)
        lines.append(
            f"| {count:,} ({count / size * 100:g}% of {size:,}) | **{seconds:.2f}** "
            f"| {seconds / count * 1000:.2f} | {runs} |"
        )
    return "\n".join(lines)


def empty_table(results: Results) -> str:
    lines = ["| open cases | `overdue_ids` (ms) | whole `sweep` (ms) |", "|---:|---:|---:|"]
    for size, row in results.empty.items():
        lines.append(f"| {size:,} | {row['overdue_ids']:.3f} | {row['sweep']:.3f} |")
    return "\n".join(lines)


def batch_note(results: Results) -> str:
    """How long the largest batch one sweep takes would run, against the task's time limit."""
    limit = inspect.signature(overdue_ids).parameters["limit"].default
    per_case = statistics.median(results.sweeps[max(OVERDUE)]) / max(OVERDUE)
    timeout = settings.Q_CLUSTER.get("timeout")
    return (
        f"One sweep takes at most {limit:,} cases (`overdue_ids(limit={limit})`); more wait for "
        f"the next minute. At the 1% cost a full batch takes {per_case * limit:.1f} s, against "
        f"the task timeout of {timeout} s (`Q_CLUSTER`) and the one-minute schedule."
    )


BLOCK_TEMPLATE = """\
## Escalation sweep

Written by `bench/escalation.py` (in `make bench`, after the case list) on {date}.

Machine: {machine}. The whole run, data generation included, took {runtime:.0f} s.

{size:,} open cases; `support.escalation.sweep(now=...)` takes the rung due on each overdue case:
an `EscalationStep`, notifications, a timeline event sealed under the report's data key and an
audit event, each case in its own transaction.

{sweeps}

Medians of the timed runs (1% and 0.1% interleaved, after one untimed 10-case sweep), each from
the same rows: before each run the candidates are reset and the steps, notifications and events
of the previous run deleted. Each sweep is checked to have climbed every overdue case once, with
its step, event and notifications. One climb runs {queries} SQL statements for rungs 1, 2 and 3
(`BEGIN`, savepoints and `COMMIT` included; counted on separate, untimed climbs).

{batch}

**With nothing due** — what every minute costs when all is in order (medians of {repeats} runs
after {warmup} warm-up runs; `sweep` returns at once when `overdue_ids` finds nothing):

{empty}

From {small:,} to {size:,} open cases the empty `overdue_ids` changes {growth:.2f}×.

### Query plan of `overdue_ids` at {size:,} cases (SQLite `EXPLAIN QUERY PLAN`)

```
{plan}
```

{index_note}

Data, generated in a throwaway SQLite file (same PRAGMAs as the app): every case open and
watched by the ladder ({statuses}), unassigned, its next rung due 1 to 72 hours ahead;
{candidates:,} candidates spread over the id range (seed {seed}) are made overdue for a run, a
third each with rung 1, 2 or 3 next, all rungs due, each with its own deadline. Rungs 1 and 2
notify the {coordinators} coordinators (nobody is assigned), rung 3 the {administrators}
administrators; nobody has an e-mail address, so no e-mail task is queued. Only the candidates'
reports have data keys; sealed report fields hold a dummy byte.
"""


def block(results: Results) -> str:
    """This bench's section of docs/performance.md, without its markers."""
    small, size = SIZES[0], SIZES[-1]
    uses_index = re.search(rf"\bUSING (COVERING )?INDEX {INDEX}\b", results.plan) is not None
    return BLOCK_TEMPLATE.format(
        date=datetime.now(UTC).date().isoformat(),
        machine=results.machine,
        runtime=results.runtime,
        size=size,
        small=small,
        sweeps=sweep_table(results),
        queries="/".join(str(count) for count in results.queries.values()),
        batch=batch_note(results),
        repeats=EMPTY_REPEATS,
        warmup=EMPTY_WARMUP,
        empty=empty_table(results),
        growth=results.empty[size]["overdue_ids"] / results.empty[small]["overdue_ids"],
        plan=results.plan,
        index_note=f"It searches the partial index `{INDEX}` (`next_step_at IS NOT NULL`): only "
        "the due entries are read, however many cases are open."
        if uses_index
        else f"**The query does not use the partial index `{INDEX}`**: it reads every case.",
        statuses=", ".join(sorted({str(status) for status in STATUSES})),
        candidates=max(OVERDUE),
        seed=SEED,
        coordinators=COORDINATORS,
        administrators=ADMINISTRATORS,
    )


def main() -> None:
    started = time.perf_counter()
    try:
        results = run()
    finally:
        remove_temporary_folders()
    results.runtime = time.perf_counter() - started
    write_block("escalation", block(results))
    print(sweep_table(results))
    print(empty_table(results))
    print(f"{results.runtime:.0f} s; wrote the escalation block of {DOC.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
