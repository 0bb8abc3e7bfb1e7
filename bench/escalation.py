"""Benchmark the escalation sweep (support.escalation.sweep) over 100,000 open cases, on SQLite
and, when DATABASE_URL names a PostgreSQL server, on PostgreSQL too.

Run with `make bench` or `.venv/bin/python bench/escalation.py`; with DATABASE_URL naming a
PostgreSQL server it also runs there, in a database of its own (recourse_bench_escalation,
created and dropped). `--quick` measures small sizes a few times and leaves the docs alone.

The sweep runs every minute, so two costs matter: the work per overdue case (each climb is its
own transaction: ladder step, notifications, sealed timeline event, audit event) and the cost of
finding the overdue cases, which must follow the overdue count, not the number of open cases.
Measured on each database: a full sweep with 1% (1,000) and 0.1% (100) of the cases overdue,
each from the same restored rows, and the empty sweep at 10,000 and 100,000 cases with the query
plan of overdue_ids. Each database is measured by a fresh process (bench/harness.py) on
production settings (bench.settings_bench); this bench replaces only its own block of
docs/performance.md.
"""

from __future__ import annotations

import inspect
import random
import re
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypedDict

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import harness  # noqa: E402

if TYPE_CHECKING:  # the parent process imports no Django
    from core.models import User
    from incidents.models import Report
    from support.models import Case

SCRIPT = Path(__file__).resolve()
SIZES = (1_000, 10_000) if harness.QUICK else (10_000, 100_000)  # open cases
OVERDUE = (100, 10) if harness.QUICK else (1_000, 100)  # 1% and 0.1% of the largest size
# Timed sweeps per overdue count, each from restored rows.
RUNS = dict(zip(OVERDUE, (1, 2) if harness.QUICK else (3, 5), strict=True))
FIRST_SWEEP = 10  # overdue cases of the untimed sweep before the timed ones
EMPTY_WARMUP = 1 if harness.QUICK else 3
EMPTY_REPEATS = 5 if harness.QUICK else 30
COORDINATORS = 3
ADMINISTRATORS = 2
BATCH = 5_000
SEED = 2025
# Status mix of the open cases (CaseStatus values): all watched by the ladder; in progress means
# already answered, so those cases run on their update deadline instead of the first-response one.
STATUSES = ["new"] * 3 + ["triaged"] * 3 + ["in_progress"] * 4
INDEX = "case_next_step_due"
# The fields a sweep changes on a case, and so the fields restored before each timed sweep.
FIELDS = ["response_due_at", "update_due_at", "escalation_level", "escalated_at", "next_step_at"]
# Seconds one database's measuring process may take, data generation included: a few minutes on
# two busy cores.
TIMEOUT = 1_200


class EmptyTimes(TypedDict):
    size: int  # open cases
    overdue_ids: float  # median ms of finding nothing due
    sweep: float  # median ms of a whole sweep with nothing due


class SweepTimes(TypedDict):
    overdue: int
    seconds: list[float]  # each timed sweep


class Measured(TypedDict):
    """What a measuring process answers for its database."""

    empty: list[EmptyTimes]
    plan: str  # of overdue_ids at the largest size: EXPLAIN QUERY PLAN, or PostgreSQL's EXPLAIN
    sweeps: list[SweepTimes]
    statements: list[int]  # SQL statements of one climb taking rung 1, 2 and 3
    limit: int  # the most cases one sweep takes (overdue_ids's limit)
    timeout: int  # the task timeout of Q_CLUSTER
    sqlite: str  # journal_mode and synchronous on SQLite, empty on PostgreSQL


# --- the measuring process: data -------------------------------------------------------------

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


def create_people() -> User:
    """The reporter who owns every report, and the coordinators and administrators the ladder
    notifies. Nobody has an e-mail address, so no e-mail task is queued: the bench measures the
    sweep, not the mail transport. Passwords are unusable (no Argon2 hashing)."""
    from django.contrib.auth.hashers import make_password

    from core.models import Role, User

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
    from support.escalation import reschedule

    if case.first_response_at is None:
        case.response_due_at = due
    else:
        case.update_due_at = due
    case.escalation_level = level
    case.escalated_at = due if level >= 2 else None
    reschedule(case)


def new_case(report: Report, now: datetime, rng: random.Random) -> Case:
    """An open case whose next rung falls due 1 to 72 hours after `now`."""
    from support.models import Case, CaseStatus, Severity

    status = CaseStatus(rng.choice(STATUSES))
    case = Case(report=report, severity=rng.choice(Severity.values), status=status)
    case.response_due_at = now - timedelta(hours=1)  # replaced by schedule() unless answered
    if status == CaseStatus.IN_PROGRESS:
        case.first_response_at = case.last_update_at = now - timedelta(hours=2)
    schedule(case, due=now + timedelta(minutes=rng.randint(60, 72 * 60)), level=0)
    return case


def create_cases(count: int, bench: Bench, rng: random.Random) -> None:
    """`count` reports, each with its open case. Sealed fields hold a dummy byte: nothing is
    opened, and only the overdue candidates need a data key (see choose_candidates)."""
    from django.db import transaction

    from incidents.models import Report
    from incidents.taxonomy import Region, ReporterRole
    from support.models import Case

    with transaction.atomic():
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


def analyze() -> None:
    """On PostgreSQL, refresh the planner's statistics, as autovacuum keeps them on a live
    database; the bulk inserts here would otherwise leave them to an autovacuum run at a moment
    of its choosing, possibly in the middle of the timing. SQLite: nothing, as in the app."""
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")


def overdue_deadline(case: Case, now: datetime, level: int, position: int) -> datetime:
    """A deadline for the case, with `level` rungs taken, that puts `now` halfway between its
    next rung falling due and the rung after it (past the last rung: half a window past it), so
    that exactly one rung is due, as a sweep every minute finds cases. The sweep takes every rung
    due, so a case with more due would climb more than once. `position` milliseconds earlier:
    the ladder's notification key holds the deadline and the rung but not the case, so two cases
    with the same deadline instant would share notifications."""
    from support.escalation import LADDER, current_deadline

    deadline = current_deadline(case)
    if deadline is None:
        raise RuntimeError(f"case {case.pk} is not watched by the ladder")
    fractions = [fraction for _rung, _name, fraction in LADDER]
    after = fractions[level + 1] if level + 1 < len(fractions) else fractions[level] + 0.5
    halfway = (fractions[level] + after) / 2
    return now - deadline.window * halfway - timedelta(milliseconds=position)


def row(case: Case) -> Row:
    """The case's FIELDS: what arrange() puts back before each timed sweep."""
    return {name: getattr(case, name) for name in FIELDS}


def choose_candidates(bench: Bench, count: int, rng: random.Random) -> None:
    """Pick the cases that may be overdue and keep two rows for each: as generated (not due),
    and overdue with rung 1, 2 or 3 due, in turn. A climb seals a timeline event under the
    report's data key, so these reports get real key wraps."""
    from django.db import transaction

    from core.keys import data_key_create
    from support.models import Case

    with transaction.atomic():
        ids = rng.sample(list(Case.objects.order_by("pk").values_list("pk", flat=True)), count)
        by_id = Case.objects.select_related("report").in_bulk(ids)
        bench.candidates = [by_id[pk] for pk in ids]
        for position, case in enumerate(bench.candidates):
            data_key_create(case.report)
            bench.future[case.pk] = row(case)
            level = position % 3
            due = overdue_deadline(case, bench.now, level, position)
            schedule(case, due=due, level=level)
            bench.due[case.pk] = row(case)


def arrange(bench: Bench, overdue: int) -> None:
    """Make exactly the first `overdue` candidates due and the others not, and remove what
    earlier sweeps wrote, so every timed sweep starts from the same rows. (Audit events are
    append-only by trigger and stay: the sweep only appends to them.)"""
    from django.db import transaction

    from support.models import Case, CaseEvent, EscalationStep, Notification

    with transaction.atomic():
        EscalationStep.objects.all().delete()
        Notification.objects.all().delete()
        CaseEvent.objects.all().delete()
        for position, case in enumerate(bench.candidates):
            values = bench.due[case.pk] if position < overdue else bench.future[case.pk]
            for name, value in values.items():
                setattr(case, name, value)
        Case.objects.bulk_update(bench.candidates, FIELDS, batch_size=BATCH)


# --- the measuring process: the sweep with cases overdue -------------------------------------


def check_sweep(bench: Bench, overdue: int, climbed: int) -> None:
    """Refuse the time of a sweep that skipped work: each overdue case must have climbed one
    rung, with its step and timeline event, and notified the coordinators (rungs 1 and 2: the
    cases have no assignees) or the administrators (rung 3)."""
    from support.models import CaseEvent, EscalationStep, Notification

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
    from support.escalation import sweep

    arrange(bench, overdue)
    start = time.perf_counter()
    climbed = sweep(now=bench.now)
    elapsed = time.perf_counter() - start
    check_sweep(bench, overdue, climbed)
    return elapsed


def time_sweeps(bench: Bench) -> list[SweepTimes]:
    """Timed sweeps, the overdue counts interleaved so drift in the machine's speed hits both
    alike, after one small untimed sweep (first keyring read, cold caches)."""
    timed_sweep(bench, FIRST_SWEEP)
    samples: dict[int, list[float]] = {count: [] for count in OVERDUE}
    for rep in range(max(RUNS.values())):
        for count in OVERDUE:
            if rep < RUNS[count]:
                samples[count].append(timed_sweep(bench, count))
                harness.progress(f"  sweep, {count:,} overdue: {samples[count][-1]:.2f} s")
    return [{"overdue": count, "seconds": seconds} for count, seconds in samples.items()]


def statements_per_rung(bench: Bench) -> list[int]:
    """SQL statements of one climb taking rung 1, 2 and 3, on untimed climbs (capturing the
    queries slows them). BEGIN, savepoints and COMMIT count: each is a round trip too."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from support.escalation import climb

    arrange(bench, 3)  # the first three candidates have rungs 1, 2 and 3 next
    counts: dict[int, int] = {}
    for case in bench.candidates[:3]:
        with CaptureQueriesContext(connection) as captured:
            level = climb(case_id=case.pk, now=bench.now)
        if level is None:
            raise RuntimeError(f"case {case.pk} did not climb")
        counts[level] = len(captured)
    if sorted(counts) != [1, 2, 3]:
        raise RuntimeError(f"the first three candidates took rungs {sorted(counts)}, not 1, 2, 3")
    return [counts[level] for level in sorted(counts)]


# --- the measuring process: the sweep with nothing due ---------------------------------------


def time_empty(bench: Bench, size: int) -> EmptyTimes:
    """Median milliseconds of finding nothing due (overdue_ids) and of a whole empty sweep,
    interleaved: what every one-minute run costs when all is in order."""
    from support.escalation import overdue_ids, sweep

    calls = {
        "overdue_ids": lambda: overdue_ids(now=bench.now),
        "sweep": lambda: sweep(now=bench.now),
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
    return {
        "size": size,
        "overdue_ids": harness.median(samples["overdue_ids"]),
        "sweep": harness.median(samples["sweep"]),
    }


def overdue_plan(now: datetime) -> str:
    """The query plan of the statement overdue_ids runs, captured from the call itself so the
    plan follows the code: SQLite's EXPLAIN QUERY PLAN as an indented tree, PostgreSQL's EXPLAIN
    as it prints it."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from support.escalation import overdue_ids

    with CaptureQueriesContext(connection) as captured:
        overdue_ids(now=now)
    (query,) = captured.captured_queries
    with connection.cursor() as cursor:
        if connection.vendor != "sqlite":
            cursor.execute(f"EXPLAIN {query['sql']}")
            return "\n".join(line for (line,) in cursor.fetchall())
        cursor.execute(f"EXPLAIN QUERY PLAN {query['sql']}")
        rows = cursor.fetchall()
    depth: dict[int, int] = {0: -1}
    lines = []
    for node, parent, _unused, detail in rows:
        depth[node] = depth.get(parent, -1) + 1
        lines.append("  " * depth[node] + detail)
    return "\n".join(lines)


def measure() -> Measured:
    """Grow the migrated, empty database to each size and time the empty sweep; then time the
    sweeps with cases overdue at the largest size."""
    from django.conf import settings
    from django.utils import timezone

    from bench import served
    from support.escalation import overdue_ids
    from support.models import Case

    rng = random.Random(SEED)  # noqa: S311  (benchmark data, not security)
    bench = Bench(now=timezone.now(), reporter=create_people())
    empty = []
    for size in SIZES:
        started = time.perf_counter()
        create_cases(size - Case.objects.count(), bench, rng)
        analyze()
        harness.progress(f"  {size:,} cases generated in {time.perf_counter() - started:.1f} s")
        empty.append(time_empty(bench, size))
    plan = overdue_plan(bench.now)
    choose_candidates(bench, max(OVERDUE), rng)
    analyze()
    return {
        "empty": empty,
        "plan": plan,
        "sweeps": time_sweeps(bench),
        "statements": statements_per_rung(bench),
        "limit": inspect.signature(overdue_ids).parameters["limit"].default,
        "timeout": int(settings.Q_CLUSTER["timeout"]),
        "sqlite": served.sqlite_settings(),
    }


def child() -> None:
    harness.setup_django()
    harness.answer(measure())


# --- the report ------------------------------------------------------------------------------


def largest_sweep(result: Measured) -> SweepTimes:
    """The sweeps with 1% of the cases overdue."""
    return next(times for times in result["sweeps"] if times["overdue"] == max(OVERDUE))


def batch_seconds(result: Measured) -> float:
    """How long the largest batch one sweep takes would run, at the 1% cost per case."""
    times = largest_sweep(result)
    return harness.median(times["seconds"]) / times["overdue"] * result["limit"]


def uses_index(result: Measured) -> bool:
    """Both plans name an index only when the statement reads it."""
    return re.search(rf"\b{INDEX}\b", result["plan"]) is not None


def verdict(results: dict[str, Measured]) -> str:
    return "; ".join(
        f"{backend}: partial index — {harness.met(uses_index(result))}, full batch "
        f"{batch_seconds(result):.1f} s — {harness.met(batch_seconds(result) <= result['timeout'])}"
        for backend, result in results.items()
    )


def sweep_table(results: dict[str, Measured]) -> str:
    """With the time per overdue case, which should not change from 0.1% to 1%: the sweep's
    cost ought to follow the overdue count alone."""
    size = SIZES[-1]
    lines = [
        "| database | overdue cases | sweep (s) | per overdue case (ms) | timed runs (s) |",
        "|---|---:|---:|---:|---:|",
    ]
    for backend, result in results.items():
        for times in result["sweeps"]:
            count, seconds = times["overdue"], harness.median(times["seconds"])
            runs = ", ".join(f"{sample:.2f}" for sample in times["seconds"])
            lines.append(
                f"| {backend} | {count:,} ({count / size * 100:g}% of {size:,}) "
                f"| **{seconds:.2f}** | {seconds / count * 1000:.2f} | {runs} |"
            )
    return "\n".join(lines)


def empty_table(results: dict[str, Measured]) -> str:
    lines = [
        "| database | open cases | `overdue_ids` (ms) | whole `sweep` (ms) |",
        "|---|---:|---:|---:|",
    ]
    for backend, result in results.items():
        for times in result["empty"]:
            lines.append(
                f"| {backend} | {times['size']:,} | {times['overdue_ids']:.3f} "
                f"| {times['sweep']:.3f} |"
            )
    return "\n".join(lines)


def each(results: dict[str, Measured], text: Callable[[Measured], str]) -> str:
    """`text(result)` for every database measured, as "X on SQLite, Y on PostgreSQL"."""
    return ", ".join(f"{text(result)} on {backend}" for backend, result in results.items())


def growth(result: Measured) -> str:
    """How the empty overdue_ids changes from the smallest size to the largest."""
    first, last = result["empty"][0], result["empty"][-1]
    return harness.times(last["overdue_ids"] / first["overdue_ids"])


def plans(results: dict[str, Measured]) -> str:
    """Each database's plan, and whether it reads the partial index."""
    how = {harness.SQLITE: "`EXPLAIN QUERY PLAN`", harness.POSTGRES: "`EXPLAIN`"}
    parts = []
    for backend, result in results.items():
        note = (
            f"It searches the partial index `{INDEX}` (`next_step_at IS NOT NULL`): only the due "
            "entries are read, however many cases are open."
            if uses_index(result)
            else f"**The query does not use the partial index `{INDEX}`**: it reads every case."
        )
        parts.append(f"{backend} ({how[backend]}):\n\n```\n{result['plan']}\n```\n\n{note}")
    return "\n\n".join(parts)


BLOCK = """\
## Escalation sweep

Written by `bench/escalation.py` (in `make bench`, after the case list) on {date}. Reproduce with
`make bench` or `.venv/bin/python bench/escalation.py`; with `DATABASE_URL` naming a PostgreSQL
server, that server is measured too, in a database of its own (`recourse_bench_escalation`,
created and dropped).

Machine: {machine}. The whole run, data generation included, took {runtime:.0f} s ({runtimes}).

**Goals**, on each database: finding the overdue cases reads the partial index `{index}`, so its
cost follows the overdue count and not the number of open cases (query plans below); and a full
batch of {limit:,} overdue cases, at the measured 1% cost per case, ends within the sweep task's
timeout of {timeout} s (`Q_CLUSTER`; the sweep is scheduled every minute) —
{verdict}.{postgres_note}

{size:,} open cases; `support.escalation.sweep(now=...)` takes the rung due on each overdue case:
an `EscalationStep`, notifications, a timeline event sealed under the report's data key and an
audit event, each case in its own transaction.

{sweeps}

Medians of the timed runs (1% and 0.1% interleaved, after one untimed {first}-case sweep), each
from the same rows: before each run the candidates are reset and the steps, notifications and
events of the previous run deleted. Each sweep is checked to have climbed every overdue case
once, with its step, event and notifications. SQL statements of one climb taking rung 1, 2 and
3: {statements} (`BEGIN`, savepoints and `COMMIT` included; counted on separate, untimed
climbs).

One sweep takes at most {limit:,} cases (`overdue_ids(limit={limit})`); more wait for the next
minute. At the 1% cost a full batch takes {batches}, against the task timeout of {timeout} s
(`Q_CLUSTER`) and the one-minute schedule.

**With nothing due** — what every minute costs when all is in order (medians of {repeats} runs
after {warmup} warm-up runs; `sweep` returns at once when `overdue_ids` finds nothing):

{empty}

From {small:,} to {size:,} open cases the empty `overdue_ids` changes {growth}.

### Query plan of `overdue_ids` at {size:,} cases

{plans}

Data, generated in each database by the measuring process on production settings
(`bench/settings_bench.py`), after the migrations: every case open and watched by the ladder
({statuses}), unassigned, its next rung due 1 to 72 hours ahead; {candidates:,} candidates
spread over the id range (seed {seed}) are made overdue for a run, a third each with rung 1, 2
or 3 due, each with its own deadline. Only that rung is due (the sweep runs halfway between it
falling due and the next rung), as a sweep every minute finds cases: `sweep` takes every rung
due, so a case further behind would climb more than once. Rungs 1 and 2 notify the
{coordinators} coordinators (nobody is assigned), rung 3 the {administrators} administrators;
nobody has an e-mail address, so no e-mail task is queued. Only the candidates' reports have
data keys, under the workspace's keyring; sealed report fields hold a dummy byte.

Every climb commits, so how commits reach the disk shapes the figures. On SQLite the app's own
connection settings apply ({sqlite}); they concern the SQLite figures only, and no `ANALYZE` is
run, as in the app. On PostgreSQL the server's settings are in the machine line, and `ANALYZE`
runs after each size is generated and after the candidates are chosen, before anything is
timed: a live database's statistics are kept by autovacuum, while these tables are filled by
bulk inserts seconds before the timing, and without it autovacuum would analyze them at a moment
of its own choosing, possibly mid-run, changing the plans between runs.
"""


def block(
    results: dict[str, Measured], machine: str, runtime: float, runtimes: dict[str, float]
) -> str:
    """This bench's section of docs/performance.md, without its markers."""
    first = next(iter(results.values()))
    postgres_note = (
        ""
        if harness.POSTGRES in results
        else "\nPostgreSQL was not measured in this run: `DATABASE_URL` named no PostgreSQL server."
    )
    return BLOCK.format(
        date=datetime.now(UTC).date().isoformat(),
        machine=machine,
        runtime=runtime,
        runtimes=", ".join(f"{backend} {seconds:.0f} s" for backend, seconds in runtimes.items()),
        index=INDEX,
        limit=first["limit"],
        timeout=first["timeout"],
        verdict=verdict(results),
        postgres_note=postgres_note,
        size=SIZES[-1],
        small=SIZES[0],
        sweeps=sweep_table(results),
        first=FIRST_SWEEP,
        statements=each(results, lambda result: "/".join(map(str, result["statements"]))),
        batches=each(results, lambda result: f"{batch_seconds(result):.1f} s"),
        repeats=EMPTY_REPEATS,
        warmup=EMPTY_WARMUP,
        empty=empty_table(results),
        growth=each(results, growth),
        plans=plans(results),
        statuses=", ".join(sorted(set(STATUSES))),
        candidates=max(OVERDUE),
        seed=SEED,
        coordinators=COORDINATORS,
        administrators=ADMINISTRATORS,
        sqlite=harness.sqlite_note(results[harness.SQLITE]["sqlite"]),
    )


def main() -> None:
    started_run = time.perf_counter()
    machine = harness.machine()
    results: dict[str, Measured] = {}
    runtimes: dict[str, float] = {}
    for backend in harness.backends():
        started = time.perf_counter()
        harness.progress(f"{backend}: migrating a fresh database")
        with harness.workspace("escalation", backend) as space:
            harness.migrate(space)
            results[backend] = harness.run_child(SCRIPT, [], space, timeout=TIMEOUT)
        runtimes[backend] = time.perf_counter() - started
    runtime = time.perf_counter() - started_run
    harness.write_doc_block("escalation", block(results, machine, runtime, runtimes))
    print(sweep_table(results))
    print(empty_table(results))
    print(f"{verdict(results)}; {runtime:.0f} s")


if __name__ == "__main__":
    if "--child" in sys.argv:
        child()
    else:
        main()
