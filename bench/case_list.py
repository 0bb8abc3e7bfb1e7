"""Benchmark the support worker's case list: our direct permission rows against django-guardian's
generic object permissions.

For 10,000 and 100,000 cases and 1,000 workers, one worker holds 200 cases. The same assignments
are stored twice: as our direct permission rows (CaseUserObjectPermission, which support.selectors
reads) and as guardian's generic rows (UserObjectPermission: content type + object_pk text), which
is what `get_objects_for_user` reads without direct models. The queries run in one process on the
same data, interleaved, after checking that they return the same cases.

Run with `make bench` or `.venv/bin/python bench/case_list.py` (`--quick`: small data, few runs,
docs left alone). It measures on SQLite, and with DATABASE_URL naming a PostgreSQL server also
there, in a database of its own (recourse_bench_case_list, created and dropped). Each database is
measured by a fresh process (bench/harness.py) on production settings (bench.settings_bench), and
this bench replaces only its own block of docs/performance.md.
"""

import random
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import harness  # noqa: E402

if TYPE_CHECKING:
    from django.db.models import QuerySet

    from core.models import User
    from support.models import Case

SCRIPT = Path(__file__).resolve()
SIZES = (1_000, 5_000) if harness.QUICK else (10_000, 100_000)
WORKERS = 100 if harness.QUICK else 1_000
VISIBLE = 200  # cases of the measured worker, at every size
PAGE = 25
WARMUP = 1 if harness.QUICK else 3
REPEATS = 5 if harness.QUICK else 30
SEED = 2024
GOAL_RATIO = 5.0  # guardian generic / ours at the largest size, at least
GOAL_GROWTH = 1.5  # ours at the largest size / ours at the smallest, below


# --- data ------------------------------------------------------------------------------------


def create_people() -> tuple["User", list["User"]]:
    """One reporter who owns every report (the list never reads it) and the support workers;
    passwords are unusable because hashing 1,000 Argon2 passwords would dominate the run."""
    from django.contrib.auth.hashers import make_password

    from bench import served
    from core.models import Role, User

    reporter = served.account("reporter", Role.REPORTER)
    workers = User.objects.bulk_create(
        [
            User(username=f"worker{i:04d}", role=Role.SUPPORT_WORKER, password=make_password(None))
            for i in range(WORKERS)
        ],
        batch_size=served.BATCH,
    )
    return reporter, workers


def assign(case_ids: list[int], workers: list["User"], rng: random.Random) -> list[tuple[int, int]]:
    """(worker id, case id) pairs: the measured worker (workers[0]) gets exactly VISIBLE cases
    spread over the whole id range; every other case gets one random other worker."""
    mine = set(rng.sample(case_ids, VISIBLE))
    others = [worker.pk for worker in workers[1:]]
    return [(workers[0].pk if pk in mine else rng.choice(others), pk) for pk in case_ids]


def store_permissions(pairs: list[tuple[int, int]]) -> None:
    """Write each assignment as our direct row and as guardian's generic row."""
    from django.contrib.auth.models import Permission
    from django.contrib.contenttypes.models import ContentType
    from guardian.models import UserObjectPermission

    from bench.served import BATCH
    from support.models import WORK_PERMISSION, Case, CaseUserObjectPermission

    ctype = ContentType.objects.get_for_model(Case)
    perm = Permission.objects.get(content_type=ctype, codename=WORK_PERMISSION)
    CaseUserObjectPermission.objects.bulk_create(
        [
            CaseUserObjectPermission(user_id=user, permission=perm, content_object_id=case)
            for user, case in pairs
        ],
        batch_size=BATCH,
    )
    UserObjectPermission.objects.bulk_create(
        [
            UserObjectPermission(
                user_id=user, permission=perm, content_type=ctype, object_pk=str(case)
            )
            for user, case in pairs
        ],
        batch_size=BATCH,
    )


def populate(size: int, reporter: "User", workers: list["User"], rng: random.Random) -> list[int]:
    """Replace all cases with `size` fresh ones; return the measured worker's case ids. On
    PostgreSQL, then ANALYZE, as autovacuum would have done on tables that grew this much."""
    from django.db import connection, transaction
    from guardian.models import UserObjectPermission

    from bench import served
    from incidents.models import Report
    from support.models import Case

    with transaction.atomic():
        UserObjectPermission.objects.all().delete()
        Case.objects.all().delete()  # cascades to our direct permission rows
        Report.objects.all().delete()
        pairs = assign(served.create_cases(size, reporter, rng), workers, rng)
        store_permissions(pairs)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    return sorted(case for user, case in pairs if user == workers[0].pk)


# --- the queries -----------------------------------------------------------------------------


@contextmanager
def generic_permissions() -> Iterator[None]:
    """Make guardian ignore our direct models, as if they did not exist. `enabled` is the switch
    guardian itself checks when it looks for direct models (guardian.utils.get_obj_perms_model)."""
    from support.models import CaseGroupObjectPermission, CaseUserObjectPermission

    direct: tuple[Any, ...] = (CaseUserObjectPermission, CaseGroupObjectPermission)
    for model in direct:
        model.enabled = False
    try:
        yield
    finally:
        for model in direct:
            model.enabled = True


def guardian_cases(worker: "User") -> "QuerySet[Case]":
    """guardian's answer to "which cases may this worker work on", object permissions only."""
    from guardian.shortcuts import get_objects_for_user

    from support.models import WORK_PERMISSION, Case

    return get_objects_for_user(
        worker,
        f"support.{WORK_PERMISSION}",
        klass=Case,
        use_groups=False,
        with_superuser=False,
        accept_global_perms=False,
    )


def ours_visible(worker: "User") -> "QuerySet[Any]":
    """Our selector's full visible set, through the code path every case page starts from."""
    from support.selectors import case_visible

    return case_visible(actor=worker).values_list("pk", flat=True)


def ours(worker: "User") -> list[int]:
    return list(ours_visible(worker))


def guardian_generic(worker: "User") -> list[int]:
    with generic_permissions():
        return list(guardian_cases(worker).values_list("pk", flat=True))


def guardian_direct(worker: "User") -> list[int]:
    """For reference: guardian on our direct table (its automatic choice)."""
    return list(guardian_cases(worker).values_list("pk", flat=True))


def ours_page(worker: "User") -> list["Case"]:
    """What the worker list page evaluates: one sorted page, with its assignee prefetch."""
    from support.selectors import case_worker_list

    return list(case_worker_list(actor=worker)[:PAGE])


QUERIES: dict[str, Callable[["User"], Any]] = {
    "ours": ours,
    "guardian_generic": guardian_generic,
    "guardian_direct": guardian_direct,
    "ours_page": ours_page,
}


# --- checking, timing, plans -----------------------------------------------------------------


def check(worker: "User", expected: list[int]) -> None:
    """Refuse to time queries that disagree, or a "generic" run that did not read generic rows."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from guardian.models import UserObjectPermission

    for name in ("ours", "guardian_generic", "guardian_direct"):
        got = sorted(QUERIES[name](worker))
        if got != expected:
            raise RuntimeError(f"{name} returned {len(got)} cases, not the {VISIBLE} expected")
    page = ours_page(worker)
    if len(page) != PAGE or not {case.pk for case in page} <= set(expected):
        raise RuntimeError("the worker list page is not a page of the worker's own cases")
    with CaptureQueriesContext(connection) as captured:
        guardian_generic(worker)
    table = UserObjectPermission._meta.db_table
    if not any(table in query["sql"] for query in captured.captured_queries):
        raise RuntimeError(f"guardian_generic did not read {table}")


def time_all(worker: "User") -> dict[str, float]:
    """Median milliseconds per query. Runs are interleaved (one of each per round, the order
    rotating) so drift in the machine's speed hits every query alike."""
    names = list(QUERIES)
    for _ in range(WARMUP):
        for name in names:
            QUERIES[name](worker)
    samples: dict[str, list[float]] = {name: [] for name in names}
    for rep in range(REPEATS):
        shift = rep % len(names)
        for name in names[shift:] + names[:shift]:
            start = time.perf_counter()
            QUERIES[name](worker)
            samples[name].append((time.perf_counter() - start) * 1000)
    return {name: harness.median(values) for name, values in samples.items()}


def query_plan(queryset: "QuerySet[Any]") -> str:
    """The database's plan for a queryset: SQLite's EXPLAIN QUERY PLAN as an indented tree, or
    PostgreSQL's EXPLAIN in its text format (estimates only: nothing is run)."""
    from django.db import connection

    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        if connection.vendor != "sqlite":
            cursor.execute(f"EXPLAIN {sql}", params)
            return "\n".join(line for (line,) in cursor.fetchall())
        cursor.execute(f"EXPLAIN QUERY PLAN {sql}", params)
        rows = cursor.fetchall()
    depth: dict[int, int] = {0: -1}
    lines = []
    for node, parent, _unused, detail in rows:
        depth[node] = depth.get(parent, -1) + 1
        lines.append("  " * depth[node] + detail)
    return "\n".join(lines)


def plans(worker: "User") -> dict[str, str]:
    with generic_permissions():
        generic = guardian_cases(worker).values_list("pk", flat=True)
    return {"ours": query_plan(ours_visible(worker)), "guardian_generic": query_plan(generic)}


# --- the measuring process -------------------------------------------------------------------


def measure() -> dict[str, Any]:
    """In the workspace's process: people, then each size in turn generated, checked and timed;
    the plans at the largest size."""
    from bench import served
    from core.models import User
    from support.models import WORK_PERMISSION

    rng = random.Random(SEED)  # noqa: S311  (benchmark data, not security)
    reporter, workers = create_people()
    worker = User.objects.get(pk=workers[0].pk)
    rows = []
    for size in SIZES:
        started = time.perf_counter()
        expected = populate(size, reporter, workers, rng)
        generated = time.perf_counter() - started
        check(worker, expected)
        rows.append({"cases": size, "generated": generated, **time_all(worker)})
        harness.progress(f"  {size:,} cases generated in {generated:.1f} s, checked and timed")
    return {
        "rows": rows,
        "plans": plans(worker),
        "permission": WORK_PERMISSION,
        "sqlite": served.sqlite_settings(),
    }


def child() -> None:
    harness.setup_django()
    harness.answer(measure())


# --- the report ------------------------------------------------------------------------------


def verdict(result: dict[str, Any]) -> dict[str, float]:
    small, large = result["rows"][0], result["rows"][-1]
    return {
        "ratio": large["guardian_generic"] / large["ours"],
        "growth": large["ours"] / small["ours"],
    }


def verdicts(results: dict[str, dict[str, Any]]) -> str:
    parts = []
    for backend, result in results.items():
        found = verdict(result)
        parts.append(
            f"{backend}: {harness.times(found['ratio'])} faster — "
            f"{harness.met(found['ratio'] >= GOAL_RATIO)}; grows "
            f"{harness.times(found['growth'])} — {harness.met(found['growth'] < GOAL_GROWTH)}"
        )
    return "; ".join(parts)


def table(results: dict[str, dict[str, Any]]) -> str:
    lines = [
        "| database | cases | ours (ms) | guardian generic (ms) | **generic / ours** "
        "| guardian direct (ms) | ours, page of 25 (ms) | data generated (s) |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for backend, result in results.items():
        for row in result["rows"]:
            ratio = row["guardian_generic"] / row["ours"]
            lines.append(
                f"| {backend} | {row['cases']:,} | {row['ours']:.2f} "
                f"| {row['guardian_generic']:.2f} | **{harness.times(ratio)}** "
                f"| {row['guardian_direct']:.2f} | {row['ours_page']:.2f} "
                f"| {row['generated']:.1f} |"
            )
    return "\n".join(lines)


PLAN_NOTES = {
    harness.SQLITE: "SQLite `EXPLAIN QUERY PLAN`",
    harness.POSTGRES: "PostgreSQL `EXPLAIN`, after `ANALYZE`",
}


def plan_sections(results: dict[str, dict[str, Any]]) -> str:
    sections = []
    for backend, result in results.items():
        found = result["plans"]
        sections.append(
            f"### Query plans at {SIZES[-1]:,} cases ({PLAN_NOTES[backend]})\n\n"
            f"Ours:\n\n```\n{found['ours']}\n```\n\n"
            f"guardian generic:\n\n```\n{found['guardian_generic']}\n```"
        )
    return "\n\n".join(sections)


BLOCK = """\
## Worker case list against guardian's generic object permissions

Written by `bench/case_list.py` (in `make bench`) on {date}. Reproduce with `make bench` or
`.venv/bin/python bench/case_list.py`; with `DATABASE_URL` naming a PostgreSQL server, that
server is measured too, in a database of its own (`recourse_bench_case_list`, created and
dropped).

Machine: {machine}. The whole run, data generation included, took {runtime:.0f} s.

**Goals** at {large:,} cases: ours at least {goal_ratio:.0f}× faster than guardian generic, and
ours growing less than {goal_growth}× from {small:,} to {large:,} cases — {verdicts}.{missed}
{postgres_note}
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

*Data generated*: the seconds taken to replace the previous size's data with this one's (and,
on PostgreSQL, to `ANALYZE` it), for the record; it is not what is measured.

Data, generated afresh per size in the run's throwaway database, on production settings
(`bench/settings_bench.py`; on SQLite with the app's own settings, {sqlite}):
{workers:,} support workers; the measured worker holds {visible} cases spread over the id range,
every other case has one random other worker (seed {seed}). Each assignment is stored both as our
direct row and as guardian's generic row, and the three visible-set queries are checked to return
the same {visible} ids, and the page to be {page} of them, before anything is timed.

On SQLite no `ANALYZE` is run, as in the app, which never runs it: the planner goes by the
indexes alone. On PostgreSQL `ANALYZE` is run once each size's data is loaded, before the
checks: in production autovacuum keeps statistics on tables like these, while on tables
bulk-loaded a moment ago the planner would have none, or whatever autovacuum happened to gather
by then, and the plan would depend on the timing.

guardian generic compares `CAST(id AS text)` with the `object_pk` texts of the worker's rows:
no index on the cases holds that text, so every case is read and cast, and its cost follows the
number of cases. Ours reads the worker's own rows (one index range) and looks each case up by
its primary key.

{plans}
"""


def block(results: dict[str, dict[str, Any]], machine: str, runtime: float) -> str:
    met_all = all(
        verdict(result)["ratio"] >= GOAL_RATIO and verdict(result)["growth"] < GOAL_GROWTH
        for result in results.values()
    )
    postgres_note = (
        ""
        if harness.POSTGRES in results
        else "\nPostgreSQL was not measured in this run: `DATABASE_URL` named no PostgreSQL "
        "server.\n"
    )
    return BLOCK.format(
        date=datetime.now(UTC).date().isoformat(),
        machine=machine,
        runtime=runtime,
        small=SIZES[0],
        large=SIZES[-1],
        goal_ratio=GOAL_RATIO,
        goal_growth=GOAL_GROWTH,
        verdicts=verdicts(results),
        missed="" if met_all else " The query plans at the end show where the time goes.",
        postgres_note=postgres_note,
        table=table(results),
        repeats=REPEATS,
        warmup=WARMUP,
        visible=VISIBLE,
        page=PAGE,
        perm=results[harness.SQLITE]["permission"],
        workers=WORKERS,
        seed=SEED,
        sqlite=harness.sqlite_note(results[harness.SQLITE]["sqlite"]),
        plans=plan_sections(results),
    )


def main() -> None:
    started = time.perf_counter()
    machine = harness.machine("django-guardian")
    results = {}
    for backend in harness.backends():
        harness.progress(f"{backend}: migrating a fresh database")
        with harness.workspace("case_list", backend) as space:
            harness.migrate(space)
            results[backend] = harness.run_child(SCRIPT, [], space, timeout=1_800)
    runtime = time.perf_counter() - started
    harness.write_doc_block("case_list", block(results, machine, runtime))
    print(table(results))
    print(
        f"generic / ours >= {GOAL_RATIO}× at {SIZES[-1]:,}, ours grows < {GOAL_GROWTH}× — "
        f"{verdicts(results)}; {runtime:.0f} s"
    )


if __name__ == "__main__":
    if "--child" in sys.argv:
        child()
    else:
        main()
