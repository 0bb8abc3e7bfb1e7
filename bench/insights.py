"""Benchmark the dashboard's statistics overview (insights.overview.overview) on 1,000,000
extract records against the naive live GROUP BY over the same extract.

Run with `make bench`, after bench/case_list.py and bench/escalation.py. The overview reads
Aggregate, the counts the writer keeps per month, region, role and value, so its cost should
follow the number of aggregate cells, not the number of reports; without Aggregate the same
numbers need one GROUP BY over ExtractValue joined to ExtractRecord per table. Both run in this
process on the same data, interleaved, and this bench replaces only its own block of
docs/performance.md (between the markers below, appended if absent), like bench/escalation.py.
"""

# ruff: noqa: E402  (Django must be configured before models are imported)

import hashlib
import os
import platform
import random
import sqlite3
import statistics
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from itertools import chain
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # `python bench/insights.py` puts bench/, not the project, first
    sys.path.insert(0, str(ROOT))
# Forced, not defaulted: an inherited core.settings would point the bench at the real database.
os.environ["DJANGO_SETTINGS_MODULE"] = "bench.settings"

import django

django.setup()

from django.conf import settings
from django.core.management import call_command
from django.db import connection, transaction
from django.db.models import Sum
from django.test.utils import CaptureQueriesContext, override_settings

from bench.common import DOC, remove_temporary_folders, write_block
from insights.dimensions import DIMENSIONS
from insights.engine import Published, Query, raw_counts
from insights.models import Aggregate, ExtractRecord, ExtractValue
from insights.overview import OVERVIEW_DIMENSIONS, Period, overview

RECORDS = 1_000_000
CHUNK = 50_000  # records drawn and inserted per round
MONTHS = [f"{year}-{month:02d}" for year in (2025, 2026) for month in range(1, 13)]
# What the dashboard asks: the last year, whole and for one region, and one month of a small
# region and role, where cells are small and the suppression audit has work to do.
PERIODS = {
    "2026, all regions": Period("2026-01", "2026-12"),
    "2026, eastern": Period("2026-01", "2026-12", region="eastern"),
    "2026-12, northwestern, role other": Period(
        "2026-12", "2026-12", region="northwestern", role="other"
    ),
}
PLAN_PERIOD = "2026, eastern"
WARMUP = 2  # untimed runs of ours per period, before timing
REPEATS = 10  # timed runs of ours per period
NAIVE_WARMUP = 1  # the naive query takes seconds a run: fewer runs, with the same rounds
NAIVE_REPEATS = 3
GOAL_MS = 100.0  # the overview, at most
GOAL_RATIO = 20.0  # naive / overview, at least
SEED = 2026
SAMPLE = [("bias_ground", "2026-03"), ("severity", "2025-07")]  # cells checked against live
PLAN_DIMENSION = "bias_ground"  # the overview table with the most values
SYNCHRONOUS = {0: "OFF", 1: "NORMAL", 2: "FULL", 3: "EXTRA"}  # PRAGMA synchronous's numbers

# Weights of the single-valued dimensions, by code; codes must match the vocabularies.
SINGLE: dict[str, dict[str, int]] = {
    "region": {
        "toronto": 26,
        "gtha": 20,
        "central": 12,
        "eastern": 11,
        "southwestern": 13,
        "northeastern": 6,
        "northwestern": 4,
        "undisclosed": 8,
    },
    "role": {
        "candidate": 20,
        "councillor": 38,
        "head_of_council": 9,
        "school_board_trustee": 13,
        "staff_on_behalf": 12,
        "other": 8,
    },
    "perpetrator_type": {code: 1 for code, _label in DIMENSIONS["perpetrator_type"].choices or []},
    "severity": {"critical": 5, "high": 20, "medium": 45, "low": 30},
    "response_time": {
        "under_1h": 15,
        "1_4h": 35,
        "4_24h": 30,
        "1_3d": 10,
        "over_3d": 3,
        "none": 7,
    },
    "escalated": {"yes": 8, "no": 92},
    "outcome": {"open": 20, "resolved": 50, "closed": 30},
}
# How many values a record names in each multi-valued dimension: weights of 0, 1, 2, 3 values.
MULTI: dict[str, tuple[int, ...]] = {
    "channel": (0, 50, 35, 15),
    "abuse_type": (0, 45, 35, 20),
    "bias_ground": (45, 40, 15),
}
CODES = {name: [code for code, _label in DIMENSIONS[name].choices or []] for name in MULTI}
VALUE_ORDER = ["channel", "abuse_type", "bias_ground", *list(SINGLE)[2:]]  # as dimensions_of
ROWS_PER_INSERT = 200  # rows per multi-row INSERT during generation
RECORD_INSERT = ("INSERT INTO insights_extractrecord (id, key, month, quarter, region, role)", 6)
VALUE_INSERT = ("INSERT INTO insights_extractvalue (record_id, dimension, value)", 3)
AGGREGATE_INSERT = (
    "INSERT INTO insights_aggregate (month, region, role, dimension, value, count)",
    6,
)
# The live count the overview would need without Aggregate: only fixed clauses are joined in.
NAIVE_SQL = (
    "SELECT v.value, COUNT(*) FROM insights_extractvalue v "
    "JOIN insights_extractrecord r ON r.id = v.record_id "
    "WHERE v.dimension = %s AND r.month BETWEEN %s AND %s{region}{role} GROUP BY v.value"
)

Counts = dict[str, dict[str, int]]  # dimension -> value -> count


@dataclass
class Results:
    generation: float  # seconds
    rows: dict[str, int]  # table -> rows
    db_bytes: int
    timings: dict[str, dict[str, float]]  # period -> call -> median ms
    suppressed: dict[str, int]  # period -> hidden entries in the overview's tables
    plans: dict[str, str]
    machine: str
    runtime: float = 0.0
    naive_runs: dict[str, list[float]] = field(default_factory=dict)  # period -> ms per run


# --- data ------------------------------------------------------------------------------------


def check_vocabularies() -> None:
    """Refuse to run on stale weights: a code the app no longer knows, or one it knows that the
    bench never generates, would make the data unlike any the writer could produce."""
    for name in [*SINGLE, *MULTI]:
        codes = {code for code, _label in DIMENSIONS[name].choices or []}
        drawn = set(SINGLE[name]) if name in SINGLE else codes
        if drawn != codes:
            raise RuntimeError(f"bench weights for {name} do not match its vocabulary")


def quarter(month: str) -> str:
    return f"{month[:4]}-Q{(int(month[5:]) - 1) // 3 + 1}"


def record_months(rng: random.Random) -> list[str]:
    """Every record's month, in order: reports arrive over time, so ids (and the writer's first
    Aggregate rows of each month) follow the calendar. Later months get more reports."""
    weights = [12 + position for position in range(len(MONTHS))]
    return sorted(rng.choices(MONTHS, weights, k=RECORDS))


def draw_columns(size: int, rng: random.Random) -> dict[str, list[Any]]:
    """Per chunk, each single-valued dimension's values and each multi-valued dimension's
    number of values, drawn in bulk: one choices() call per column, not per record."""
    columns: dict[str, list[Any]] = {
        name: rng.choices(list(weights), list(weights.values()), k=size)
        for name, weights in SINGLE.items()
    }
    for name, weights in MULTI.items():
        columns[name] = rng.choices(range(len(weights)), weights, k=size)
    return columns


def record_values(
    row: int, columns: dict[str, list[Any]], month: str, rng: random.Random
) -> list[tuple[str, str]]:
    """The (dimension, value) pairs services.dimensions_of gives such a report, in its order."""
    region, role = columns["region"][row], columns["role"][row]
    values = [("month", month), ("quarter", quarter(month)), ("region", region), ("role", role)]
    for name in VALUE_ORDER:
        if name in MULTI:
            values += [(name, code) for code in rng.sample(CODES[name], columns[name][row])]
        else:
            values.append((name, columns[name][row]))
    return values


Rows = tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]  # records, their values


def draw_chunk(first_id: int, months: list[str], tally: Counter, rng: random.Random) -> Rows:
    """One chunk's record and value rows, and each record's contributions added to `tally` as
    the writer adds them (services._contributions: one count per value of the record)."""
    columns = draw_columns(len(months), rng)
    records, values = [], []
    for row, month in enumerate(months):
        pk = first_id + row
        region, role = columns["region"][row], columns["role"][row]
        key = hashlib.sha256(f"bench|{pk}".encode()).hexdigest()  # random order, like the HMAC
        records.append((pk, key, month, quarter(month), region, role))
        pairs = record_values(row, columns, month, rng)
        values += [(pk, dimension, value) for dimension, value in pairs]
        tally.update((month, region, role, dimension, value) for dimension, value in pairs)
    return records, values


def insert(into: tuple[str, int], rows: list[tuple[Any, ...]]) -> None:
    """Insert rows ROWS_PER_INSERT to a statement: one statement per row, executemany's way,
    costs a statement step and reset per row, which here made generation twice as slow."""
    head, width = into
    row = "(" + ", ".join(["%s"] * width) + ")"
    full = len(rows) - len(rows) % ROWS_PER_INSERT
    with connection.cursor() as cursor:
        if full:
            cursor.executemany(
                f"{head} VALUES {', '.join([row] * ROWS_PER_INSERT)}",
                [
                    tuple(chain.from_iterable(rows[start : start + ROWS_PER_INSERT]))
                    for start in range(0, full, ROWS_PER_INSERT)
                ],
            )
        if rows[full:]:
            cursor.execute(
                f"{head} VALUES {', '.join([row] * len(rows[full:]))}",
                tuple(chain.from_iterable(rows[full:])),
            )


@contextmanager
def bulk_load() -> Iterator[None]:
    """No rollback journal, no fsync, no foreign key lookups and a large page cache while
    generating, in one transaction; the connection's own settings come back before anything is
    timed, so the queries run as they do in the app. Safe only because the database is thrown
    away, and the value rows' record ids are generated from the records' own."""
    bulk = {"journal_mode": "OFF", "synchronous": "OFF", "foreign_keys": "OFF"}
    bulk["cache_size"] = "-1000000"  # KiB: 1 GB, so the growing indexes stay in memory
    with connection.cursor() as cursor:
        saved = {name: cursor.execute(f"PRAGMA {name}").fetchone()[0] for name in bulk}
        for name, value in bulk.items():
            cursor.execute(f"PRAGMA {name}={value}")
    try:
        with transaction.atomic():
            yield
    finally:
        with connection.cursor() as cursor:
            for name, value in saved.items():
                cursor.execute(f"PRAGMA {name}={value}")


def insert_aggregates(tally: Counter) -> None:
    """The Aggregate rows the writer would hold for these records, in the order it would first
    create them (first contribution first)."""
    insert(AGGREGATE_INSERT, [(*cell, count) for cell, count in tally.items()])


def generate(rng: random.Random) -> float:
    """RECORDS records with their values and aggregates, in chunks; returns the seconds taken."""
    started = time.perf_counter()
    months, tally, inserted = record_months(rng), Counter(), 0
    with bulk_load():
        for first in range(0, RECORDS, CHUNK):
            records, values = draw_chunk(first + 1, months[first : first + CHUNK], tally, rng)
            insert(RECORD_INSERT, records)
            insert(VALUE_INSERT, values)
            inserted += len(values)
            print(f"  {first + len(records):,} records, {inserted:,} values", flush=True)
        insert_aggregates(tally)
    seconds = time.perf_counter() - started
    print(f"{RECORDS:,} records generated in {seconds:.1f} s", flush=True)
    return seconds


# --- checking the data -----------------------------------------------------------------------


def live_cells(dimension: str, month: str) -> dict[tuple[str, str, str], int]:
    """One dimension's counts per region, role and value for one month, counted live."""
    sql = (
        "SELECT r.region, r.role, v.value, COUNT(*) FROM insights_extractvalue v "
        "JOIN insights_extractrecord r ON r.id = v.record_id "
        "WHERE v.dimension = %s AND r.month = %s GROUP BY r.region, r.role, v.value"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [dimension, month])
        return {(region, role, value): count for region, role, value, count in cursor}


def check_aggregates() -> dict[str, int]:
    """Refuse to time aggregates the writer would not hold: every value row counted once, and
    for the SAMPLE (dimension, month) pairs every Aggregate cell equal to the live count."""
    rows = {
        "ExtractRecord": ExtractRecord.objects.count(),
        "ExtractValue": ExtractValue.objects.count(),
        "Aggregate": Aggregate.objects.count(),
    }
    counted = Aggregate.objects.aggregate(total=Sum("count"))["total"]
    if rows["ExtractRecord"] != RECORDS or counted != rows["ExtractValue"]:
        raise RuntimeError(f"aggregates count {counted:,} values; the extract holds {rows}")
    for dimension, month in SAMPLE:
        stored = {
            (region, role, value): count
            for region, role, value, count in Aggregate.objects.filter(
                dimension=dimension, month=month
            ).values_list("region", "role", "value", "count")
        }
        if stored != live_cells(dimension, month):
            raise RuntimeError(f"Aggregate differs from the extract for {dimension} in {month}")
    return rows


# --- the two ways of counting ----------------------------------------------------------------


def naive_sql(period: Period) -> tuple[str, list[str]]:
    """NAIVE_SQL with the period's filters, and its parameters but the dimension."""
    params = [period.start, period.end]
    clauses = {"region": "", "role": ""}
    for name in clauses:
        if getattr(period, name):
            clauses[name] = f" AND r.{name} = %s"
            params.append(getattr(period, name))
    return NAIVE_SQL.format(**clauses), params


def naive(period: Period) -> Counts:
    """The overview's raw numbers counted live from the extract: one GROUP BY per table."""
    sql, params = naive_sql(period)
    counts: Counts = {}
    with connection.cursor() as cursor:
        for dimension in OVERVIEW_DIMENSIONS:
            cursor.execute(sql, [dimension, *params])
            counts[dimension] = dict(cursor.fetchall())
    return counts


def query(period: Period, dimension: str) -> Query:
    """The engine query overview() makes for one of its tables."""
    return Query(
        dimensions=(dimension,),
        start=period.start,
        end=period.end,
        region=period.region,
        role=period.role,
    )


def ours_raw(period: Period) -> Counts:
    """The overview's numbers from Aggregate, before suppression (engine.raw_counts)."""
    return {
        dimension: {key[0]: count for key, count in raw_counts(query(period, dimension)).items()}
        for dimension in OVERVIEW_DIMENSIONS
    }


def check_agreement(period: Period) -> int:
    """Refuse to time answers that differ; returns the entries the overview suppresses."""
    if ours_raw(period) != naive(period):
        raise RuntimeError(f"Aggregate and the live GROUP BY disagree for {period}")
    return sum(hidden_entries(table) for table in overview(period))


def hidden_entries(table: Published) -> int:
    """Cells and totals suppressed (row totals are not shown at all in one-column tables)."""
    cells = sum(row.count(None) for row in table.cells)
    return cells + table.column_totals.count(None) + (table.total is None)


# --- timing ----------------------------------------------------------------------------------


def calls(period: Period) -> dict[str, Callable[[], Any]]:
    return {
        "overview": lambda: overview(period),
        "raw_counts": lambda: ours_raw(period),
        "naive": lambda: naive(period),
    }


def time_period(name: str, period: Period, samples: dict[str, list[float]]) -> None:
    """Append each call's milliseconds per timed run to `samples`. Runs are interleaved (one of
    each per round) so drift in the machine's speed hits all alike; the naive query, which
    takes seconds, only joins the first rounds."""
    todo = calls(period)
    for rep in range(WARMUP + REPEATS):
        for call_name, call in todo.items():
            naive_round = rep < NAIVE_WARMUP or WARMUP <= rep < WARMUP + NAIVE_REPEATS
            if call_name == "naive" and not naive_round:
                continue
            start = time.perf_counter()
            call()
            if rep >= WARMUP:
                samples[call_name].append((time.perf_counter() - start) * 1000)
    naive_ms = ", ".join(f"{ms:,.0f}" for ms in samples["naive"])
    print(
        f"  {name}: overview {statistics.median(samples['overview']):.1f} ms, naive {naive_ms} ms",
        flush=True,
    )


def query_plan(sql: str, params: list[Any] | None = None) -> str:
    """SQLite's EXPLAIN QUERY PLAN of a statement, as an indented tree."""
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN QUERY PLAN {sql}", params)
        rows = cursor.fetchall()
    depth: dict[int, int] = {0: -1}
    lines = []
    for node, parent, _unused, detail in rows:
        depth[node] = depth.get(parent, -1) + 1
        lines.append("  " * depth[node] + detail)
    return "\n".join(lines)


def plans(period: Period) -> dict[str, str]:
    """The plans of one table's two queries: the aggregate one captured from the engine itself
    (so the plan follows the code), and the naive one."""
    with CaptureQueriesContext(connection) as captured:
        raw_counts(query(period, PLAN_DIMENSION))
    (aggregate,) = captured.captured_queries
    sql, params = naive_sql(period)
    return {
        "aggregate": aggregate["sql"],
        "aggregate_plan": query_plan(aggregate["sql"]),
        "naive_plan": query_plan(sql, [PLAN_DIMENSION, *params]),
    }


# --- running ---------------------------------------------------------------------------------


def machine() -> str:
    """The machine, and the SQLite settings the timed queries ran with."""
    with connection.cursor() as cursor:
        journal = cursor.execute("PRAGMA journal_mode").fetchone()[0]
        level = cursor.execute("PRAGMA synchronous").fetchone()[0]
        cache = cursor.execute("PRAGMA cache_size").fetchone()[0]
    return (
        f"{os.cpu_count()} cores ({platform.machine()}, {platform.system()}), "
        f"SQLite {sqlite3.sqlite_version} (journal_mode={journal}, "
        f"synchronous={SYNCHRONOUS.get(level, level)}, cache_size={cache}), "
        f"Python {platform.python_version()}, Django {django.get_version()}"
    )


@override_settings(RECOURSE_STATS_DP=False)
def run() -> Results:
    """Migrate the empty bench database, generate and check the extract, then check and time
    each period. Exact mode: differential privacy would spend the ledger's budget per call."""
    call_command("migrate", verbosity=0, interactive=False)
    check_vocabularies()
    generation = generate(random.Random(SEED))  # noqa: S311  (benchmark data, not security)
    rows = check_aggregates()
    suppressed = {name: check_agreement(period) for name, period in PERIODS.items()}
    samples: dict[str, dict[str, list[float]]] = {}
    for name, period in PERIODS.items():
        samples[name] = {call: [] for call in calls(period)}
        time_period(name, period, samples[name])
    return Results(
        generation=generation,
        rows=rows,
        db_bytes=Path(settings.DATABASES["default"]["NAME"]).stat().st_size,
        timings={
            name: {call: statistics.median(ms) for call, ms in runs.items()}
            for name, runs in samples.items()
        },
        suppressed=suppressed,
        plans=plans(PERIODS[PLAN_PERIOD]),
        machine=machine(),
        naive_runs={name: runs["naive"] for name, runs in samples.items()},
    )


# --- report ----------------------------------------------------------------------------------


def verdicts(results: Results) -> dict[str, bool]:
    """The goals hold for every period timed: the slowest overview, the smallest ratio."""
    rows = results.timings.values()
    return {
        "fast": max(row["overview"] for row in rows) < GOAL_MS,
        "ratio": min(row["naive"] / row["overview"] for row in rows) >= GOAL_RATIO,
    }


def met(ok: bool) -> str:
    return "met" if ok else "**not met**"


def table(results: Results) -> str:
    lines = [
        "| period | ours: `overview()` (ms) | `raw_counts` alone (ms) "
        "| naive: 8 live `GROUP BY` (ms) | naive / ours | naive runs (ms) |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for name, row in results.timings.items():
        runs = ", ".join(f"{ms:,.0f}" for ms in results.naive_runs[name])
        lines.append(
            f"| {name} | **{row['overview']:.1f}** | {row['raw_counts']:.1f} "
            f"| {row['naive']:,.0f} | **{row['naive'] / row['overview']:,.0f}×** | {runs} |"
        )
    return "\n".join(lines)


def period_code(period: Period) -> str:
    """The Period as it is written in code, its empty filters left out."""
    filters = "".join(
        f', {name}="{getattr(period, name)}"'
        for name in ("region", "role")
        if getattr(period, name)
    )
    return f'Period("{period.start}", "{period.end}"{filters})'


def period_notes(results: Results) -> str:
    """One line per period: its Period, and what the suppression audit had to do for it."""
    lines = []
    for name, period in PERIODS.items():
        hidden = results.suppressed[name]
        audit = (
            f"{hidden} entries suppressed, each costing the audit two linear programmes a round"
            if hidden
            else "no entry at or under the threshold, so the audit solves no linear programme"
        )
        lines.append(f"  - *{name}*: `{period_code(period)}` — {audit}.")
    return "\n".join(lines)


def plan_note(naive_plan: str) -> str:
    """Why the naive query's cost follows the whole extract, when its plan shows it."""
    if "USING COVERING INDEX insights_ex_dimensi" not in naive_plan:
        return ""
    return (
        "\nThe naive query walks every value row of the dimension in the `(dimension, value,\n"
        "record)` index, all months included, and looks each record up to test its month (and\n"
        "region): its cost follows the whole extract, not the period asked for.\n"
    )


BLOCK_TEMPLATE = """\
## Statistics overview against a live GROUP BY

Written by `bench/insights.py` (in `make bench`, after the escalation sweep) on {date}.

Machine: {machine}.
The whole run took {runtime:.0f} s, {generation:.0f} s of it generating the data; the bench
database reached {db_gb:.1f} GB.

**Goals**, for every period: the overview under {goal_ms:.0f} ms — {fast}; at least
{goal_ratio:.0f}× faster than the naive query — {ratio}.

{table}

Medians of {repeats} timed runs of ours (after {warmup} warm-up runs) and {naive_repeats} of the
naive query (after {naive_warmup}; it takes seconds a run) per period, interleaved round by
round. Times include building the querysets.

- **ours** — `insights.overview.overview(period)`, what the dashboard's overview request
  computes: {tables} one-dimension tables ({dimensions}), each through `engine.publish`: the
  `Aggregate` query, then small-cell and complementary suppression (threshold {threshold},
  exact mode: differential privacy is off for the run). *`raw_counts` alone*: the same
  {tables} `Aggregate` queries without `publish`, so the difference is the suppression.
{periods}
- **naive** — what the same numbers cost without `Aggregate`: per table, `SELECT v.value,
  COUNT(*)` over `ExtractValue` joined to `ExtractRecord`, filtered by dimension, month range,
  region and role as asked, `GROUP BY v.value`. Raw counts only, no suppression, which
  favours it.

Before timing, the raw counts of both are checked equal for every table of every period, and
the generated `Aggregate` rows are checked: their counts sum to the {values:,} value rows, and
every cell of {sample} equals a live count over the extract.

Data, generated in a throwaway SQLite file (same PRAGMAs as the app; during generation only:
journal, fsync and foreign key checks off, a 1 GB page cache, one transaction, multi-row
`INSERT`s through `executemany`): {records:,} `ExtractRecord`s over {first}..{last} (ids in
month order, later months weighted up), all regions and roles (weighted), each with its
`ExtractValue`s as `services.dimensions_of` gives them — month, quarter, region, role, 1–3
channels, 1–3 kinds of abuse, 0–2 grounds, who did it, severity, time to first response,
escalated, outcome: {values:,} rows, {per_record:.1f} per record — and the `Aggregate` rows the
writer keeps for them ({aggregates:,} cells: one count per month, region, role, dimension and
value), seed {seed}. No `ANALYZE` is run, as in the app.

### Query plans for the `{plan_dimension}` table, {plan_period} (SQLite `EXPLAIN QUERY PLAN`)

Ours (the statement `raw_counts` runs):

```
{aggregate_plan}
```

Naive:

```
{naive_plan}
```
{plan_note}"""


def block(results: Results) -> str:
    """This bench's section of docs/performance.md, without its markers."""
    verdict = verdicts(results)
    return BLOCK_TEMPLATE.format(
        date=datetime.now(UTC).date().isoformat(),
        machine=results.machine,
        runtime=results.runtime,
        generation=results.generation,
        db_gb=results.db_bytes / 1e9,
        goal_ms=GOAL_MS,
        goal_ratio=GOAL_RATIO,
        fast=met(verdict["fast"]),
        ratio=met(verdict["ratio"]),
        table=table(results),
        repeats=REPEATS,
        naive_repeats=NAIVE_REPEATS,
        warmup=WARMUP,
        naive_warmup=NAIVE_WARMUP,
        tables=len(OVERVIEW_DIMENSIONS),
        dimensions=", ".join(OVERVIEW_DIMENSIONS),
        threshold=settings.RECOURSE_STATS_THRESHOLD,
        periods=period_notes(results),
        values=results.rows["ExtractValue"],
        sample=" and ".join(f"{dimension} in {month}" for dimension, month in SAMPLE),
        records=results.rows["ExtractRecord"],
        first=MONTHS[0],
        last=MONTHS[-1],
        per_record=results.rows["ExtractValue"] / results.rows["ExtractRecord"],
        aggregates=results.rows["Aggregate"],
        seed=SEED,
        plan_dimension=PLAN_DIMENSION,
        plan_period=PLAN_PERIOD,
        aggregate_plan=results.plans["aggregate_plan"],
        naive_plan=results.plans["naive_plan"],
        plan_note=plan_note(results.plans["naive_plan"]),
    )


def main() -> None:
    started = time.perf_counter()
    try:
        results = run()
    finally:
        remove_temporary_folders()
    results.runtime = time.perf_counter() - started
    write_block("insights", block(results))
    verdict = verdicts(results)
    print(table(results))
    print(
        f"overview < {GOAL_MS:.0f} ms: {met(verdict['fast'])}; "
        f"naive / ours >= {GOAL_RATIO:.0f}x: {met(verdict['ratio'])}; "
        f"{results.runtime:.0f} s; wrote the insights block of {DOC.relative_to(ROOT)}"
    )


if __name__ == "__main__":
    main()
