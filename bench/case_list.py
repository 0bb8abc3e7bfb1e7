"""Benchmark the support worker's case list against django-guardian's generic object permissions.

Run with `make bench`. For 10,000 and 100,000 cases and 1,000 workers, one worker holds 200 cases.
The same assignments are stored twice: as our direct permission rows (CaseUserObjectPermission,
which support.selectors reads) and as guardian's generic rows (UserObjectPermission: content type
+ object_pk text), which is what `get_objects_for_user` reads without direct models. The queries
run in the same process on the same data, interleaved, and docs/performance.md is rewritten with
the medians, so the numbers in the docs are always the last measured ones.
"""

# ruff: noqa: E402  (Django must be configured before models are imported)

import os
import platform
import random
import shutil
import sqlite3
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from importlib.metadata import version
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # `python bench/case_list.py` puts bench/, not the project, first
    sys.path.insert(0, str(ROOT))
# Forced, not defaulted: an inherited core.settings would point the bench at the real database.
os.environ["DJANGO_SETTINGS_MODULE"] = "bench.settings"

import django

django.setup()

from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.db import connection, transaction
from django.db.models import QuerySet
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from guardian.models import UserObjectPermission as GenericPermission
from guardian.shortcuts import get_objects_for_user

from bench.settings import BENCH_DIR
from core.models import Role, User
from incidents.models import Report
from incidents.taxonomy import Region, ReporterRole
from support.models import (
    WORK_PERMISSION,
    Case,
    CaseGroupObjectPermission,
    CaseStatus,
    CaseUserObjectPermission,
    Severity,
)
from support.selectors import case_visible, case_worker_list

SIZES = (10_000, 100_000)
WORKERS = 1_000
VISIBLE = 200
PAGE = 25
WARMUP = 3
REPEATS = 30
BATCH = 5_000
SEED = 2024
GOAL_RATIO = 5.0  # guardian generic / ours at the largest size, at least
GOAL_GROWTH = 1.5  # ours at the largest size / ours at the smallest, below
DOC = ROOT / "docs" / "performance.md"


# --- data ------------------------------------------------------------------------------------


def create_people() -> tuple[User, list[User]]:
    """One reporter who owns every report (the list never reads it) and the support workers;
    passwords are unusable because hashing 1,000 Argon2 passwords would dominate the run."""
    reporter = User.objects.create(username="reporter", password=make_password(None))
    workers = User.objects.bulk_create(
        [
            User(
                username=f"worker{i:04d}",
                role=Role.SUPPORT_WORKER,
                password=make_password(None),
            )
            for i in range(WORKERS)
        ],
        batch_size=BATCH,
    )
    return reporter, workers


def create_cases(size: int, reporter: User, rng: random.Random) -> list[int]:
    """`size` reports, each with its case. Sealed fields hold a dummy byte: nothing is opened."""
    reports = Report.objects.bulk_create(
        [
            Report(
                reporter=reporter,
                role=rng.choice(ReporterRole.values),
                region=rng.choice(Region.values),
                municipality_sealed=b"x",
                contact_sealed=b"x",
            )
            for _ in range(size)
        ],
        batch_size=BATCH,
    )
    now = timezone.now()
    cases = Case.objects.bulk_create(
        [
            Case(
                report=report,
                severity=rng.choice(Severity.values),
                status=rng.choice(CaseStatus.values),
                response_due_at=now + timedelta(hours=rng.randint(-72, 72)),
            )
            for report in reports
        ],
        batch_size=BATCH,
    )
    return [case.pk for case in cases]


def assign(case_ids: list[int], workers: list[User], rng: random.Random) -> list[tuple[int, int]]:
    """(worker id, case id) pairs: the measured worker (workers[0]) gets exactly VISIBLE cases
    spread over the whole id range; every other case gets one random other worker."""
    mine = set(rng.sample(case_ids, VISIBLE))
    others = [worker.pk for worker in workers[1:]]
    return [(workers[0].pk if pk in mine else rng.choice(others), pk) for pk in case_ids]


def store_permissions(pairs: list[tuple[int, int]]) -> None:
    """Write each assignment as our direct row and as guardian's generic row."""
    ctype = ContentType.objects.get_for_model(Case)
    perm = Permission.objects.get(content_type=ctype, codename=WORK_PERMISSION)
    CaseUserObjectPermission.objects.bulk_create(
        [
            CaseUserObjectPermission(user_id=user, permission=perm, content_object_id=case)
            for user, case in pairs
        ],
        batch_size=BATCH,
    )
    GenericPermission.objects.bulk_create(
        [
            GenericPermission(
                user_id=user, permission=perm, content_type=ctype, object_pk=str(case)
            )
            for user, case in pairs
        ],
        batch_size=BATCH,
    )


@transaction.atomic
def populate(size: int, reporter: User, workers: list[User], rng: random.Random) -> list[int]:
    """Replace all cases with `size` fresh ones; return the measured worker's case ids."""
    GenericPermission.objects.all().delete()
    Case.objects.all().delete()  # cascades to our direct permission rows
    Report.objects.all().delete()
    pairs = assign(create_cases(size, reporter, rng), workers, rng)
    store_permissions(pairs)
    return sorted(case for user, case in pairs if user == workers[0].pk)


# --- the queries -----------------------------------------------------------------------------


@contextmanager
def generic_permissions() -> Iterator[None]:
    """Make guardian ignore our direct models, as if they did not exist. `enabled` is the switch
    guardian itself checks when it looks for direct models (guardian.utils.get_obj_perms_model)."""
    direct: tuple[Any, ...] = (CaseUserObjectPermission, CaseGroupObjectPermission)
    for model in direct:
        model.enabled = False
    try:
        yield
    finally:
        for model in direct:
            model.enabled = True


def guardian_cases(worker: User) -> QuerySet[Case]:
    """guardian's answer to "which cases may this worker work on", object permissions only."""
    return get_objects_for_user(
        worker,
        f"support.{WORK_PERMISSION}",
        klass=Case,
        use_groups=False,
        with_superuser=False,
        accept_global_perms=False,
    )


def ours(worker: User) -> list[int]:
    """Our selector's full visible set, through the code path every case page starts from."""
    return list(case_visible(actor=worker).values_list("pk", flat=True))


def guardian_generic(worker: User) -> list[int]:
    with generic_permissions():
        return list(guardian_cases(worker).values_list("pk", flat=True))


def guardian_direct(worker: User) -> list[int]:
    """For reference: guardian on our direct table (its automatic choice)."""
    return list(guardian_cases(worker).values_list("pk", flat=True))


def ours_page(worker: User) -> list[Case]:
    """What the worker list page evaluates: one sorted page, with its assignee prefetch."""
    return list(case_worker_list(actor=worker)[:PAGE])


QUERIES: dict[str, Callable[[User], Any]] = {
    "ours": ours,
    "guardian_generic": guardian_generic,
    "guardian_direct": guardian_direct,
    "ours_page": ours_page,
}


# --- checking and timing ---------------------------------------------------------------------


def check(worker: User, expected: list[int]) -> None:
    """Refuse to time queries that disagree, or a "generic" run that did not read generic rows."""
    for name in ("ours", "guardian_generic", "guardian_direct"):
        got = sorted(QUERIES[name](worker))
        if got != expected:
            raise RuntimeError(f"{name} returned {len(got)} cases, not the {VISIBLE} expected")
    page = ours_page(worker)
    if len(page) != PAGE or not {case.pk for case in page} <= set(expected):
        raise RuntimeError("the worker list page is not a page of the worker's own cases")
    with CaptureQueriesContext(connection) as captured:
        guardian_generic(worker)
    table = GenericPermission._meta.db_table
    if not any(table in query["sql"] for query in captured.captured_queries):
        raise RuntimeError(f"guardian_generic did not read {table}")


def time_all(worker: User) -> dict[str, float]:
    """Median milliseconds per query. Runs are interleaved (one of each per round, the order
    rotating) so drift in the machine's speed hits every query alike."""
    names = list(QUERIES)
    for _ in range(WARMUP):
        for name in names:
            QUERIES[name](worker)
    samples: dict[str, list[float]] = {name: [] for name in names}
    for rep in range(REPEATS):
        for name in names[rep % len(names) :] + names[: rep % len(names)]:
            start = time.perf_counter()
            QUERIES[name](worker)
            samples[name].append((time.perf_counter() - start) * 1000)
    return {name: statistics.median(values) for name, values in samples.items()}


def query_plan(queryset: QuerySet[Any]) -> str:
    """SQLite's EXPLAIN QUERY PLAN for a queryset, as an indented tree."""
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN QUERY PLAN {sql}", params)
        rows = cursor.fetchall()
    depth: dict[int, int] = {0: -1}
    lines = []
    for node, parent, _unused, detail in rows:
        depth[node] = depth.get(parent, -1) + 1
        lines.append("  " * depth[node] + detail)
    return "\n".join(lines)


def plans(worker: User) -> dict[str, str]:
    with generic_permissions():
        generic = guardian_cases(worker).values_list("pk", flat=True)
    return {
        "ours": query_plan(case_visible(actor=worker).values_list("pk", flat=True)),
        "guardian_generic": query_plan(generic),
    }


# --- report ----------------------------------------------------------------------------------


def verdicts(results: dict[int, dict[str, float]]) -> dict[str, float | bool]:
    small, large = results[SIZES[0]], results[SIZES[-1]]
    ratio = large["guardian_generic"] / large["ours"]
    growth = large["ours"] / small["ours"]
    return {
        "ratio": ratio,
        "growth": growth,
        "ratio_met": ratio >= GOAL_RATIO,
        "growth_met": growth < GOAL_GROWTH,
    }


def table(results: dict[int, dict[str, float]]) -> str:
    lines = [
        "| cases | ours (ms) | guardian generic (ms) | generic / ours "
        "| guardian direct (ms) | ours, page of 25 (ms) |",
        "|---:|---:|---:|---:|---:|---:|",
    ]
    for size, row in results.items():
        ratio = row["guardian_generic"] / row["ours"]
        lines.append(
            f"| {size:,} | {row['ours']:.2f} | {row['guardian_generic']:.2f} | **{times(ratio)}** "
            f"| {row['guardian_direct']:.2f} | {row['ours_page']:.2f} |"
        )
    return "\n".join(lines)


def machine() -> str:
    return (
        f"{os.cpu_count()} cores ({platform.machine()}, {platform.system()}), "
        f"SQLite {sqlite3.sqlite_version}, Python {platform.python_version()}, "
        f"Django {django.get_version()}, django-guardian {version('django-guardian')}"
    )


def met(ok: bool | float) -> str:
    return "met" if ok else "**not met**"


def times(ratio: float) -> str:
    """A ratio with enough digits to show a slowdown too (0.014×, not 0.0×)."""
    return f"{ratio:.1f}×" if ratio >= 1 else f"{ratio:.2g}×"


DOC_TEMPLATE = """\
# Performance

Written by `make bench` (`bench/case_list.py`) on {date}; run it again to refresh this page.

## Worker case list against guardian's generic object permissions

Machine: {machine}. The whole run, data generation included, took {runtime:.0f} s.

**Goals** at {large:,} cases: ours at least {goal_ratio:.0f}× faster than guardian generic —
{ratio}, {ratio_met}; ours grows less than {goal_growth}× from {small:,} to {large:,} cases —
{growth:.2f}×, {growth_met}.{missed}

{table}

Medians of {repeats} timed runs per query after {warmup} warm-up runs, the queries interleaved in
rotating order, each evaluated in full (`list(...)`). Times include building the queryset.

- **ours** — `case_visible(actor=worker).values_list("pk", flat=True)`: the worker's whole
  visible set ({visible} cases), read from our direct table (`CaseUserObjectPermission`).
- **guardian generic** — `get_objects_for_user(worker, "support.{perm}", klass=Case,
  use_groups=False, with_superuser=False, accept_global_perms=False)`, same `values_list`, with
  our direct models switched off (`enabled = False`, the flag guardian checks) so it reads
  `guardian.UserObjectPermission` (content type + `object_pk` text). Its time includes the
  content type lookup guardian makes on every call (one small extra query).
- **guardian direct** — the same call on our direct table (guardian's automatic choice), for
  reference.
- **ours, page of 25** — `case_worker_list(actor=worker)[:25]`, what the worker list renders,
  its assignee prefetch included.

Data, generated afresh per size in a throwaway SQLite file (same PRAGMAs as the app):
{workers:,} support workers; the measured worker holds {visible} cases spread over the id range,
every other case has one random other worker (seed {seed}). Each assignment is stored both as our
direct row and as guardian's generic row, and the three visible-set queries are checked to return
the same {visible} ids before anything is timed. No `ANALYZE` is run, as in the app.

### Query plans at {large:,} cases (SQLite `EXPLAIN QUERY PLAN`)

Ours:

```
{plan_ours}
```

guardian generic (`CAST(id AS text) IN (...)`: every case is visited and cast):

```
{plan_generic}
```
"""


def write_doc(
    results: dict[int, dict[str, float]], query_plans: dict[str, str], runtime: float
) -> None:
    verdict = verdicts(results)
    DOC.write_text(
        DOC_TEMPLATE.format(
            date=datetime.now(UTC).date().isoformat(),
            machine=machine(),
            runtime=runtime,
            small=SIZES[0],
            large=SIZES[-1],
            goal_ratio=GOAL_RATIO,
            goal_growth=GOAL_GROWTH,
            ratio=times(verdict["ratio"]),
            ratio_met=met(verdict["ratio_met"]),
            growth=verdict["growth"],
            growth_met=met(verdict["growth_met"]),
            missed=""
            if verdict["ratio_met"] and verdict["growth_met"]
            else " The query plans at the end show where the time goes.",
            table=table(results),
            repeats=REPEATS,
            warmup=WARMUP,
            visible=VISIBLE,
            perm=WORK_PERMISSION,
            workers=WORKERS,
            seed=SEED,
            plan_ours=query_plans["ours"],
            plan_generic=query_plans["guardian_generic"],
        )
    )


def run() -> tuple[dict[int, dict[str, float]], dict[str, str]]:
    """Migrate the empty bench database, then generate, check and time each size in turn."""
    call_command("migrate", verbosity=0, interactive=False)
    rng = random.Random(SEED)  # noqa: S311  (benchmark data, not security)
    reporter, workers = create_people()
    worker = User.objects.get(pk=workers[0].pk)
    results: dict[int, dict[str, float]] = {}
    for size in SIZES:
        started = time.perf_counter()
        expected = populate(size, reporter, workers, rng)
        print(f"{size:,} cases generated in {time.perf_counter() - started:.1f} s", flush=True)
        check(worker, expected)
        results[size] = time_all(worker)
    return results, plans(worker)


def main() -> None:
    started = time.perf_counter()
    try:
        results, query_plans = run()
    finally:
        connection.close()
        shutil.rmtree(BENCH_DIR)  # the throwaway database (bench.settings made the folder)
    runtime = time.perf_counter() - started
    write_doc(results, query_plans, runtime)
    verdict = verdicts(results)
    print(table(results))
    print(
        f"generic / ours at {SIZES[-1]:,}: {times(verdict['ratio'])} "
        f"({met(verdict['ratio_met'])}); ours {SIZES[-1]:,} / {SIZES[0]:,}: "
        f"{verdict['growth']:.2f}× ({met(verdict['growth_met'])}); "
        f"{runtime:.0f} s; wrote {DOC.relative_to(ROOT)}"
    )


if __name__ == "__main__":
    main()
