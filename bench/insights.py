"""Benchmark the dashboard's statistics overview (insights.overview.overview) on 1,000,000
extract records against the naive live GROUP BY over the same extract, on SQLite and, when
DATABASE_URL names a PostgreSQL server, on PostgreSQL too.

Run with `make bench` (after bench/case_list.py and bench/escalation.py) or
`.venv/bin/python bench/insights.py`; set DATABASE_URL to a PostgreSQL server's URL to measure
there as well, in a database of its own (recourse_bench_insights, created and dropped). `--quick`
runs on 20,000 records with few repeats and leaves the docs alone.

The overview reads Aggregate, the counts the writer keeps per month, region, role and value, so
its cost should follow the number of aggregate cells, not the number of reports; without
Aggregate the same numbers need one GROUP BY over ExtractValue joined to ExtractRecord per table.
Each database is measured by a fresh process (bench/harness.py) on production settings
(bench.settings_bench): it generates the same seeded data, checks that both ways count alike,
then times them on it, interleaved. This bench replaces only its own block of
docs/performance.md.
"""

import hashlib
import random
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from itertools import chain
from pathlib import Path
from typing import Any, TypedDict

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import harness  # noqa: E402

SCRIPT = Path(__file__).resolve()
RECORDS = 20_000 if harness.QUICK else 1_000_000
CHUNK = 10_000 if harness.QUICK else 50_000  # records drawn and loaded per round
MONTHS = [f"{year}-{month:02d}" for year in (2025, 2026) for month in range(1, 13)]
# What the dashboard asks: the last year, whole and for one region, and one month of a small
# region and role, where cells are small and the suppression audit has work to do. The fields
# of insights.overview.Period, which only the measuring process imports.
PERIODS: dict[str, dict[str, str]] = {
    "2026, all regions": {"start": "2026-01", "end": "2026-12"},
    "2026, eastern": {"start": "2026-01", "end": "2026-12", "region": "eastern"},
    "2026-12, northwestern, role other": {
        "start": "2026-12",
        "end": "2026-12",
        "region": "northwestern",
        "role": "other",
    },
}
PLAN_PERIOD = "2026, eastern"
WARMUP = 1 if harness.QUICK else 2  # untimed runs of ours per period, before timing
REPEATS = 3 if harness.QUICK else 10  # timed runs of ours per period
NAIVE_WARMUP = 1  # the naive query takes seconds a run: fewer runs, with the same rounds
NAIVE_REPEATS = 2 if harness.QUICK else 3
TIMEOUT = 900 if harness.QUICK else 3600  # seconds for one database's measuring process
GOAL_MS = 100.0  # the overview, at most
GOAL_RATIO = 20.0  # naive / overview, at least
SEED = 2026
SAMPLE = [("bias_ground", "2026-03"), ("severity", "2025-07")]  # cells checked against live
PLAN_DIMENSION = "bias_ground"  # the overview table with the most values

# Weights of the single-valued dimensions, by code; codes must match the vocabularies. Empty:
# every code of the dimension's vocabulary, equally likely.
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
    "perpetrator_type": {},
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
VALUE_ORDER = ["channel", "abuse_type", "bias_ground", *list(SINGLE)[2:]]  # as dimensions_of
ROWS_PER_INSERT = 200  # rows per multi-row INSERT during generation on SQLite
BUILD_MEMORY = "1GB"  # PostgreSQL's maintenance_work_mem while re-creating indexes after loading
# The tables generation fills, with the columns it gives them.
Table = tuple[str, tuple[str, ...]]
RECORD_TABLE: Table = (
    "insights_extractrecord",
    ("id", "key", "month", "quarter", "region", "role"),
)
VALUE_TABLE: Table = ("insights_extractvalue", ("record_id", "dimension", "value"))
AGGREGATE_TABLE: Table = (
    "insights_aggregate",
    ("month", "region", "role", "dimension", "value", "count"),
)
# Their names: on PostgreSQL, the tables whose indexes are re-created and vacuumed after loading.
LOADED = [name for name, _columns in (RECORD_TABLE, VALUE_TABLE, AGGREGATE_TABLE)]
# The live count the overview would need without Aggregate: only fixed clauses are joined in.
NAIVE_SQL = (
    "SELECT v.value, COUNT(*) FROM insights_extractvalue v "
    "JOIN insights_extractrecord r ON r.id = v.record_id "
    "WHERE v.dimension = %s AND r.month BETWEEN %s AND %s{region}{role} GROUP BY v.value"
)
CALLS = ("overview", "raw_counts", "naive")

Counts = dict[str, dict[str, int]]  # dimension -> value -> count
Row = tuple[Any, ...]


class Measured(TypedDict):
    """A measuring process's answer (JSON), one per database."""

    generation: float  # seconds generating and loading the data
    vacuum: float | None  # seconds of VACUUM (ANALYZE); None on SQLite, where none is run
    rows: dict[str, int]  # table -> rows
    db_bytes: int
    connection: str  # the connection's settings that bear on the timed queries
    timings: dict[str, dict[str, float]]  # period -> call -> median ms
    naive_runs: dict[str, list[float]]  # period -> ms per timed naive run
    suppressed: dict[str, int]  # period -> hidden entries in the overview's tables
    plans: dict[str, str]
    dimensions: list[str]  # the overview's tables
    threshold: int  # the suppression threshold the overview ran with


# --- the measuring process: data -------------------------------------------------------------


def single_weights() -> dict[str, dict[str, int]]:
    """SINGLE with the equally weighted dimensions filled in from their vocabularies, in
    SINGLE's order (the order values are drawn in)."""
    from insights.dimensions import DIMENSIONS

    return {
        name: weights or {code: 1 for code, _label in DIMENSIONS[name].choices or []}
        for name, weights in SINGLE.items()
    }


def multi_codes() -> dict[str, list[str]]:
    from insights.dimensions import DIMENSIONS

    return {name: [code for code, _label in DIMENSIONS[name].choices or []] for name in MULTI}


def check_vocabularies() -> None:
    """Refuse to run on stale weights: a code the app no longer knows, or one it knows that the
    bench never generates, would make the data unlike any the writer could produce."""
    from insights.dimensions import DIMENSIONS

    weights = single_weights()
    for name in [*SINGLE, *MULTI]:
        codes = {code for code, _label in DIMENSIONS[name].choices or []}
        drawn = set(weights[name]) if name in SINGLE else codes
        if drawn != codes:
            raise RuntimeError(f"bench weights for {name} do not match its vocabulary")


def quarter(month: str) -> str:
    return f"{month[:4]}-Q{(int(month[5:]) - 1) // 3 + 1}"


def record_months(rng: random.Random) -> list[str]:
    """Every record's month, in order: reports arrive over time, so ids (and the writer's first
    Aggregate rows of each month) follow the calendar. Later months get more reports."""
    weights = [12 + position for position in range(len(MONTHS))]
    return sorted(rng.choices(MONTHS, weights, k=RECORDS))


class Drawer:
    """Draws records as services.dimensions_of describes reports, from one seeded generator, so
    every database gets the same data."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.single = single_weights()
        self.codes = multi_codes()

    def columns(self, size: int) -> dict[str, list[Any]]:
        """Per chunk, each single-valued dimension's values and each multi-valued dimension's
        number of values, drawn in bulk: one choices() call per column, not per record."""
        columns: dict[str, list[Any]] = {
            name: self.rng.choices(list(weights), list(weights.values()), k=size)
            for name, weights in self.single.items()
        }
        for name, weights in MULTI.items():
            columns[name] = self.rng.choices(range(len(weights)), weights, k=size)
        return columns

    def values(self, row: int, columns: dict[str, list[Any]], month: str) -> list[tuple[str, str]]:
        """The (dimension, value) pairs services.dimensions_of gives such a report, in its
        order."""
        region, role = columns["region"][row], columns["role"][row]
        values = [("month", month), ("quarter", quarter(month)), ("region", region), ("role", role)]
        for name in VALUE_ORDER:
            if name in MULTI:
                values += [
                    (name, code) for code in self.rng.sample(self.codes[name], columns[name][row])
                ]
            else:
                values.append((name, columns[name][row]))
        return values

    def chunk(
        self, first_id: int, months: list[str], tally: Counter
    ) -> tuple[list[Row], list[Row]]:
        """One chunk's record and value rows, and each record's contributions added to `tally`
        as the writer adds them (services._contributions: one count per value of the record)."""
        columns = self.columns(len(months))
        records, values = [], []
        for row, month in enumerate(months):
            pk = first_id + row
            region, role = columns["region"][row], columns["role"][row]
            key = hashlib.sha256(f"bench|{pk}".encode()).hexdigest()  # random order, like the HMAC
            records.append((pk, key, month, quarter(month), region, role))
            pairs = self.values(row, columns, month)
            values += [(pk, dimension, value) for dimension, value in pairs]
            tally.update((month, region, role, dimension, value) for dimension, value in pairs)
        return records, values


# --- the measuring process: loading ----------------------------------------------------------


def insert(table: Table, rows: list[Row]) -> None:
    """SQLite: insert rows ROWS_PER_INSERT to a statement: one statement per row,
    executemany's way, costs a statement step and reset per row, which here made generation
    twice as slow."""
    from django.db import connection

    name, columns = table
    head = f"INSERT INTO {name} ({', '.join(columns)})"
    row = "(" + ", ".join(["%s"] * len(columns)) + ")"
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


def copy(table: Table, rows: Iterable[Row]) -> None:
    """PostgreSQL: COPY FROM STDIN through psycopg, the server's bulk load: the rows stream in
    one statement, with no statement to parse, plan and bind per row or per batch."""
    from django.db import connection

    name, columns = table
    with (
        connection.cursor() as cursor,
        cursor.copy(f"COPY {name} ({', '.join(columns)}) FROM STDIN") as stream,
    ):
        for row in rows:
            stream.write_row(row)


def load(table: Table, rows: list[Row]) -> None:
    from django.db import connection

    if connection.vendor == "postgresql":
        copy(table, rows)
    else:
        insert(table, rows)


@contextmanager
def sqlite_bulk() -> Iterator[None]:
    """SQLite: the whole generation in one transaction, with no rollback journal, no fsync, no
    foreign key lookups and a large page cache; the connection's own settings come back before
    anything is timed, so the queries run as they do in the app. Safe only because the database
    is thrown away, and the value rows' record ids are generated from the records' own."""
    from django.db import connection, transaction

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


# A table's foreign keys, then its unique constraints, by quoted name and definition.
CONSTRAINTS_SQL = """
    SELECT quote_ident(conname), pg_get_constraintdef(oid) FROM pg_constraint
    WHERE conrelid = %s::regclass AND contype IN ('f', 'u') ORDER BY contype, conname
"""
# A table's indexes that back no constraint (the primary key's and unique ones do).
INDEXES_SQL = """
    SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid) FROM pg_index i
    WHERE i.indrelid = %s::regclass AND NOT EXISTS (
        SELECT 1 FROM pg_constraint c
        WHERE c.conindid = i.indexrelid AND c.contype IN ('p', 'u', 'x')
    )
    ORDER BY 1
"""


def secondary_structures(table: str) -> list[tuple[str, str]]:
    """PostgreSQL: the statements that drop and re-create a table's foreign keys, unique
    constraints and indexes, its primary key excepted, from the catalogue's own definitions
    (so the schema comes back as the migrations made it); in the order to drop them."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(CONSTRAINTS_SQL, [table])
        structures = [
            (
                f"ALTER TABLE {table} DROP CONSTRAINT {name}",
                f"ALTER TABLE {table} ADD CONSTRAINT {name} {definition}",
            )
            for name, definition in cursor.fetchall()
        ]
        cursor.execute(INDEXES_SQL, [table])
        structures += [(f"DROP INDEX {name}", definition) for name, definition in cursor.fetchall()]
    return structures


@contextmanager
def postgres_bulk() -> Iterator[None]:
    """PostgreSQL: the whole generation in one transaction, as PostgreSQL's documentation
    advises for populating a database: the loaded tables' foreign keys, unique constraints and
    indexes but the primary keys are dropped, the rows copied in, then all of them re-created, each
    index built in one sorted pass and the foreign key checked in one join, instead of keeping
    them up to date row by row, which made loading several times slower. The primary keys stay:
    rows arrive in their order, so keeping them costs little."""
    from django.db import connection, transaction

    with transaction.atomic():
        structures = [each for table in LOADED for each in secondary_structures(table)]
        with connection.cursor() as cursor:
            for drop, _create in structures:
                cursor.execute(drop)
        yield
        started = time.perf_counter()
        with connection.cursor() as cursor:
            cursor.execute(f"SET LOCAL maintenance_work_mem = '{BUILD_MEMORY}'")
            for _drop, create in reversed(structures):
                cursor.execute(create)
        harness.progress(
            f"  {len(structures)} constraints and indexes re-created in "
            f"{time.perf_counter() - started:.1f} s"
        )


def generate(rng: random.Random) -> float:
    """RECORDS records with their values and, last, the Aggregate rows the writer would hold
    for them, in the order it would first create them (first contribution first). Returns the
    seconds taken."""
    from django.db import connection

    started = time.perf_counter()
    drawer, months, tally, inserted = Drawer(rng), record_months(rng), Counter(), 0
    with postgres_bulk() if connection.vendor == "postgresql" else sqlite_bulk():
        for first in range(0, RECORDS, CHUNK):
            records, values = drawer.chunk(first + 1, months[first : first + CHUNK], tally)
            load(RECORD_TABLE, records)
            load(VALUE_TABLE, values)
            inserted += len(values)
            harness.progress(f"  {first + len(records):,} records, {inserted:,} values")
        load(AGGREGATE_TABLE, [(*cell, count) for cell, count in tally.items()])
    seconds = time.perf_counter() - started
    harness.progress(f"  {RECORDS:,} records generated in {seconds:.1f} s")
    return seconds


def vacuum() -> float | None:
    """PostgreSQL: VACUUM (ANALYZE) the three tables, as autovacuum would on its own soon after
    a load this size; run here, it cannot start during the timed runs and change their plans.
    Returns the seconds taken; None on SQLite, where no ANALYZE is run, as in the app."""
    from django.db import connection

    if connection.vendor != "postgresql":
        return None
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(f"VACUUM (ANALYZE) {', '.join(LOADED)}")
    seconds = time.perf_counter() - started
    harness.progress(f"  VACUUM (ANALYZE) in {seconds:.1f} s")
    return seconds


def database_size() -> int:
    """Bytes: the SQLite file, or on PostgreSQL pg_database_size of the bench's database."""
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_database_size(current_database())")
            return int(cursor.fetchone()[0])
    return Path(connection.settings_dict["NAME"]).stat().st_size


def connection_settings() -> str:
    """What bears on the timed queries in the connection's settings: on SQLite its page cache
    and how it commits; on PostgreSQL its memory for caching and sorting, the parallel workers
    a scan of the extract may use, and JIT compilation, which costly queries may trigger."""
    from django.db import connection

    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            names = ("shared_buffers", "work_mem", "max_parallel_workers_per_gather", "jit")
            shown = {}
            for name in names:
                cursor.execute(f"SHOW {name}")
                shown[name] = cursor.fetchone()[0]
        else:
            levels = {0: "OFF", 1: "NORMAL", 2: "FULL", 3: "EXTRA"}  # PRAGMA synchronous's
            shown = {
                name: cursor.execute(f"PRAGMA {name}").fetchone()[0]
                for name in ("journal_mode", "synchronous", "cache_size")
            }
            shown["synchronous"] = levels.get(shown["synchronous"], shown["synchronous"])
    return ", ".join(f"{name}={value}" for name, value in shown.items())


# --- the measuring process: checking the data ------------------------------------------------


def live_cells(dimension: str, month: str) -> dict[tuple[str, str, str], int]:
    """One dimension's counts per region, role and value for one month, counted live."""
    from django.db import connection

    sql = (
        "SELECT r.region, r.role, v.value, COUNT(*) FROM insights_extractvalue v "
        "JOIN insights_extractrecord r ON r.id = v.record_id "
        "WHERE v.dimension = %s AND r.month = %s GROUP BY r.region, r.role, v.value"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [dimension, month])
        return {(region, role, value): count for region, role, value, count in cursor.fetchall()}


def check_aggregates() -> dict[str, int]:
    """Refuse to time aggregates the writer would not hold: every value row counted once, and
    for the SAMPLE (dimension, month) pairs every Aggregate cell equal to the live count."""
    from django.db.models import Sum

    from insights.models import Aggregate, ExtractRecord, ExtractValue

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


# --- the measuring process: the two ways of counting -----------------------------------------


def naive_sql(fields: dict[str, str]) -> tuple[str, list[str]]:
    """NAIVE_SQL with a period's filters, and its parameters but the dimension."""
    params = [fields["start"], fields["end"]]
    clauses = {"region": "", "role": ""}
    for name in clauses:
        if fields.get(name):
            clauses[name] = f" AND r.{name} = %s"
            params.append(fields[name])
    return NAIVE_SQL.format(**clauses), params


def naive(fields: dict[str, str]) -> Counts:
    """The overview's raw numbers counted live from the extract: one GROUP BY per table."""
    from django.db import connection

    from insights.overview import OVERVIEW_DIMENSIONS

    sql, params = naive_sql(fields)
    counts: Counts = {}
    with connection.cursor() as cursor:
        for dimension in OVERVIEW_DIMENSIONS:
            cursor.execute(sql, [dimension, *params])
            counts[dimension] = dict(cursor.fetchall())
    return counts


def ours_raw(fields: dict[str, str]) -> Counts:
    """The overview's numbers from Aggregate, before suppression: the engine query overview()
    makes for each of its tables (engine.raw_counts)."""
    from insights.engine import Query, raw_counts
    from insights.overview import OVERVIEW_DIMENSIONS

    return {
        dimension: {
            key[0]: count
            for key, count in raw_counts(Query(dimensions=(dimension,), **fields)).items()
        }
        for dimension in OVERVIEW_DIMENSIONS
    }


def check_agreement(fields: dict[str, str]) -> int:
    """Refuse to time answers that differ; returns the entries the overview suppresses: cells
    and totals (row totals are not shown at all in one-column tables)."""
    from insights.overview import Period, overview

    if ours_raw(fields) != naive(fields):
        raise RuntimeError(f"Aggregate and the live GROUP BY disagree for {fields}")
    return sum(
        sum(row.count(None) for row in table.cells)
        + table.column_totals.count(None)
        + (table.total is None)
        for table in overview(Period(**fields))
    )


# --- the measuring process: timing and plans -------------------------------------------------


def calls(fields: dict[str, str]) -> dict[str, Callable[[], Any]]:
    from insights.overview import Period, overview

    period = Period(**fields)
    return {
        "overview": lambda: overview(period),
        "raw_counts": lambda: ours_raw(fields),
        "naive": lambda: naive(fields),
    }


def time_period(name: str, fields: dict[str, str]) -> dict[str, list[float]]:
    """Each call's milliseconds per timed run. Runs are interleaved (one of each per round) so
    drift in the machine's speed hits all alike; the naive query, which takes seconds, only
    joins the first rounds."""
    todo, samples = calls(fields), {call: [] for call in CALLS}
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
    harness.progress(
        f"  {name}: overview {harness.median(samples['overview']):.1f} ms, naive {naive_ms} ms"
    )
    return samples


def query_plan(sql: str, params: list[Any] | None = None) -> str:
    """PostgreSQL's EXPLAIN (text) of a statement, or SQLite's EXPLAIN QUERY PLAN as an
    indented tree."""
    from django.db import connection

    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
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


def plans(fields: dict[str, str]) -> dict[str, str]:
    """The plans of one table's two queries: the aggregate one captured from the engine itself
    (so the plan follows the code), and the naive one."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from insights.engine import Query, raw_counts

    with CaptureQueriesContext(connection) as captured:
        raw_counts(Query(dimensions=(PLAN_DIMENSION,), **fields))
    (aggregate,) = captured.captured_queries
    sql, params = naive_sql(fields)
    return {
        "aggregate": aggregate["sql"],
        "aggregate_plan": query_plan(aggregate["sql"]),
        "naive_plan": query_plan(sql, [PLAN_DIMENSION, *params]),
    }


def measure() -> Measured:
    """In the workspace's process: generate and check the extract, then check and time each
    period. Exact mode: differential privacy would spend the ledger's budget per call."""
    from django.conf import settings
    from django.test.utils import override_settings

    from insights.overview import OVERVIEW_DIMENSIONS

    check_vocabularies()
    generation = generate(random.Random(SEED))  # noqa: S311  (benchmark data, not security)
    vacuumed = vacuum()
    rows = check_aggregates()
    with override_settings(RECOURSE_STATS_DP=False):
        suppressed = {name: check_agreement(fields) for name, fields in PERIODS.items()}
        samples = {name: time_period(name, fields) for name, fields in PERIODS.items()}
        plan = plans(PERIODS[PLAN_PERIOD])
    return {
        "generation": generation,
        "vacuum": vacuumed,
        "rows": rows,
        "db_bytes": database_size(),
        "connection": connection_settings(),
        "timings": {
            name: {call: harness.median(ms) for call, ms in runs.items()}
            for name, runs in samples.items()
        },
        "naive_runs": {name: runs["naive"] for name, runs in samples.items()},
        "suppressed": suppressed,
        "plans": plan,
        "dimensions": list(OVERVIEW_DIMENSIONS),
        "threshold": settings.RECOURSE_STATS_THRESHOLD,
    }


def child() -> None:
    harness.setup_django()
    harness.answer(measure())


# --- the report ------------------------------------------------------------------------------


def verdicts(result: Measured) -> dict[str, bool]:
    """The goals hold for every period timed: the slowest overview, the smallest ratio."""
    rows = result["timings"].values()
    return {
        "fast": max(row["overview"] for row in rows) < GOAL_MS,
        "ratio": min(row["naive"] / row["overview"] for row in rows) >= GOAL_RATIO,
    }


def verdict(results: dict[str, Measured]) -> str:
    parts = []
    for backend, result in results.items():
        met = verdicts(result)
        parts.append(
            f"{backend}: under {GOAL_MS:.0f} ms {harness.met(met['fast'])}, "
            f"{GOAL_RATIO:.0f}× {harness.met(met['ratio'])}"
        )
    return "; ".join(parts)


def table(results: dict[str, Measured]) -> str:
    tables = len(next(iter(results.values()))["dimensions"])
    lines = [
        "| database | period | ours: `overview()` (ms) | `raw_counts` alone (ms) "
        f"| naive: {tables} live `GROUP BY` (ms) | naive / ours | naive runs (ms) |",
        "|---|---|---:|---:|---:|---:|---:|",
    ]
    for backend, result in results.items():
        for name, row in result["timings"].items():
            runs = ", ".join(f"{ms:,.0f}" for ms in result["naive_runs"][name])
            lines.append(
                f"| {backend} | {name} | **{row['overview']:.1f}** | {row['raw_counts']:.1f} "
                f"| {row['naive']:,.0f} | **{row['naive'] / row['overview']:,.0f}×** | {runs} |"
            )
    return "\n".join(lines)


def load_table(results: dict[str, Measured], spent: dict[str, float]) -> str:
    """Per database: what the run cost, and how large the data made it."""
    lines = [
        "| database | its whole run (s) | generating and loading (s) | `VACUUM (ANALYZE)` (s) "
        "| database size (GB) |",
        "|---|---:|---:|---:|---:|",
    ]
    for backend, result in results.items():
        vacuumed = "—" if result["vacuum"] is None else f"{result['vacuum']:.0f}"
        lines.append(
            f"| {backend} | {spent[backend]:.0f} | {result['generation']:.0f} | {vacuumed} "
            f"| {result['db_bytes'] / 1e9:.2f} |"
        )
    return "\n".join(lines)


def period_code(fields: dict[str, str]) -> str:
    """The Period as it is written in code, its empty filters left out."""
    filters = "".join(
        f', {name}="{fields[name]}"' for name in ("region", "role") if fields.get(name)
    )
    return f'Period("{fields["start"]}", "{fields["end"]}"{filters})'


def period_notes(result: Measured) -> str:
    """One line per period: its Period, and what the suppression audit had to do for it."""
    lines = []
    for name, fields in PERIODS.items():
        hidden = result["suppressed"][name]
        audit = (
            f"{hidden} entries suppressed, each costing the audit two linear programmes a round"
            if hidden
            else "no entry at or under the threshold, so the audit solves no linear programme"
        )
        lines.append(f"  - *{name}*: `{period_code(fields)}` — {audit}.")
    return "\n".join(lines)


SQLITE_LOADING = """\
- **SQLite** — the app's connection settings ({connection}). During generation only: journal,
  fsync and foreign key checks off, a 1 GB page cache, one transaction, multi-row `INSERT`s
  through `executemany`. No `ANALYZE` is run, as in the app. The size is the database file's."""

POSTGRES_LOADING = """\
- **PostgreSQL** — a persistent connection ({connection}). Loaded as PostgreSQL's documentation
  advises for populating a database, in one transaction: the foreign key, the unique
  constraints and the indexes other than primary keys dropped, the rows streamed with
  `COPY … FROM STDIN` (psycopg's `cursor.copy`), then everything dropped re-created from the
  catalogue's own definitions (`maintenance_work_mem` {build_memory}), each index built in one
  pass and the foreign key checked over all rows at once. Then `VACUUM (ANALYZE)` of the three
  tables before anything is checked or timed: autovacuum does both by itself soon after a load
  this size (it analyzes a table once a tenth of it has changed, and vacuums after inserts), so
  a live database has its statistics and visibility map; run by the bench, it cannot start in
  the middle of the timed runs and change their plans. The size is
  `pg_database_size(current_database())` after it, the catalogues every database has (a few MB)
  included."""


def loading_notes(results: dict[str, Measured]) -> str:
    """How each database measured was loaded, and what its connection ran with."""
    notes = []
    if harness.SQLITE in results:
        notes.append(SQLITE_LOADING.format(connection=results[harness.SQLITE]["connection"]))
    if harness.POSTGRES in results:
        notes.append(
            POSTGRES_LOADING.format(
                connection=results[harness.POSTGRES]["connection"], build_memory=BUILD_MEMORY
            )
        )
    return "\n".join(notes)


def sqlite_plan_note(naive_plan: str) -> str:
    """Why the naive query's cost follows the whole extract on SQLite, when its plan shows it."""
    if "USING COVERING INDEX insights_ex_dimensi" not in naive_plan:
        return ""
    return (
        "\nThe naive query walks every value row of the dimension in the `(dimension, value,\n"
        "record)` index, all months included, and looks each record up to test its month (and\n"
        "region): its cost follows the whole extract, not the period asked for.\n"
    )


PLAN_BLOCK = """
#### {backend} (`{explain}`)

Ours (the statement `raw_counts` runs):

```
{aggregate_plan}
```

Naive:

```
{naive_plan}
```
{note}"""


def plan_sections(results: dict[str, Measured]) -> str:
    sections = []
    for backend, result in results.items():
        plan = result["plans"]
        sqlite = backend == harness.SQLITE
        sections.append(
            PLAN_BLOCK.format(
                backend=backend,
                explain="EXPLAIN QUERY PLAN" if sqlite else "EXPLAIN",
                aggregate_plan=plan["aggregate_plan"],
                naive_plan=plan["naive_plan"],
                note=sqlite_plan_note(plan["naive_plan"]) if sqlite else "",
            )
        )
    return "".join(sections)


BLOCK = """\
## Statistics overview against a live GROUP BY

Written by `bench/insights.py` (in `make bench`, after the escalation sweep) on {date}.
Reproduce with `make bench` or `.venv/bin/python bench/insights.py`; with `DATABASE_URL` naming a
PostgreSQL server, that server is measured too, in a database of its own
(`recourse_bench_insights`, created and dropped).

Machine: {machine}. The whole run took {runtime:.0f} s.

**Goals**, for every period: the overview under {goal_ms:.0f} ms, and at least {goal_ratio:.0f}×
faster than the naive query — {verdict}.{postgres_note}

{table}

Medians of {repeats} timed runs of ours (after {warmup} warm-up runs) and {naive_repeats} of the
naive query (after {naive_warmup}; it takes seconds a run) per period, interleaved round by
round, in one process per database on production settings (`bench/settings_bench.py`). Times
include building the querysets.

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

Before timing, on each database, the raw counts of both are checked equal for every table of
every period, and the generated `Aggregate` rows are checked: their counts sum to the
{values:,} value rows, and every cell of {sample} equals a live count over the extract.

Data, the same on every database (seed {seed}), generated by the measuring process in the
workspace's throwaway database: {records:,} `ExtractRecord`s over {first}..{last} (ids in month
order, later months weighted up), all regions and roles (weighted), each with its
`ExtractValue`s as `services.dimensions_of` gives them — month, quarter, region, role, 1–3
channels, 1–3 kinds of abuse, 0–2 grounds, who did it, severity, time to first response,
escalated, outcome: {values:,} rows, {per_record:.1f} per record — and the `Aggregate` rows the
writer keeps for them ({aggregates:,} cells: one count per month, region, role, dimension and
value).

{load_table}

{loading}

### Query plans for the `{plan_dimension}` table, {plan_period}
{plans}"""


def block(
    results: dict[str, Measured], machine: str, runtime: float, spent: dict[str, float]
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
        goal_ms=GOAL_MS,
        goal_ratio=GOAL_RATIO,
        verdict=verdict(results),
        postgres_note=postgres_note,
        table=table(results),
        repeats=REPEATS,
        naive_repeats=NAIVE_REPEATS,
        warmup=WARMUP,
        naive_warmup=NAIVE_WARMUP,
        tables=len(first["dimensions"]),
        dimensions=", ".join(first["dimensions"]),
        threshold=first["threshold"],
        periods=period_notes(first),
        values=first["rows"]["ExtractValue"],
        sample=" and ".join(f"{dimension} in {month}" for dimension, month in SAMPLE),
        seed=SEED,
        records=first["rows"]["ExtractRecord"],
        first=MONTHS[0],
        last=MONTHS[-1],
        per_record=first["rows"]["ExtractValue"] / first["rows"]["ExtractRecord"],
        aggregates=first["rows"]["Aggregate"],
        load_table=load_table(results, spent),
        loading=loading_notes(results),
        plan_dimension=PLAN_DIMENSION,
        plan_period=PLAN_PERIOD,
        plans=plan_sections(results),
    )


def check_same_data(results: dict[str, Measured]) -> None:
    """Refuse to report databases that did not count the same data alike."""
    counted = {(repr(result["rows"]), repr(result["suppressed"])) for result in results.values()}
    if len(counted) != 1:
        raise RuntimeError(f"the databases hold different data: {counted}")


def main() -> None:
    started = time.perf_counter()
    machine = harness.machine()
    results: dict[str, Measured] = {}
    spent: dict[str, float] = {}
    for backend in harness.backends():
        begun = time.perf_counter()
        harness.progress(f"{backend}: migrating a fresh database")
        with harness.workspace("insights", backend) as space:
            harness.migrate(space)
            results[backend] = harness.run_child(SCRIPT, [], space, timeout=TIMEOUT)
        spent[backend] = time.perf_counter() - begun
    check_same_data(results)
    runtime = time.perf_counter() - started
    harness.write_doc_block("insights", block(results, machine, runtime, spent))
    print(table(results))
    print(
        f"overview < {GOAL_MS:.0f} ms and naive / ours >= {GOAL_RATIO:.0f}x: "
        f"{verdict(results)}; {runtime:.0f} s"
    )


if __name__ == "__main__":
    if "--child" in sys.argv:
        child()
    else:
        main()
