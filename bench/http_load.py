"""Benchmark the API under load over HTTP: gunicorn on loopback with the production
configuration (deploy/gunicorn.conf.py, 2 workers), a bounded closed-loop load from this process,
and each real endpoint against a trivial DRF endpoint in the same run — a support worker's case
list, filing a report, and the statistics overview's counts.

Run with `make bench` or `.venv/bin/python bench/http_load.py`; with DATABASE_URL naming a
PostgreSQL server it also runs there, in a database of its own (recourse_bench_http, created and
dropped). The endpoints take turns in rotating order, round by round, so the machine's drift hits
them alike. This bench replaces only its own block of docs/performance.md.
"""

import http.client
import json
import os
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import harness  # noqa: E402

SCRIPT = Path(__file__).resolve()
CONFIG = harness.ROOT / "deploy" / "gunicorn.conf.py"
WORKERS = 2
CLIENTS = 8  # concurrent connections: one per gunicorn thread (2 workers x 4 threads)
# Short windows, many rounds: each endpoint's window is close in time to the trivial one's it
# is compared with, on a machine whose speed drifts. 12 s per endpoint in all.
ROUNDS = 2 if harness.QUICK else 8
SECONDS = 1.0 if harness.QUICK else 1.5  # per endpoint per round
WARMUP_SECONDS = 1.0  # per endpoint, untimed, before the first round
CASES = 300 if harness.QUICK else 2_000
MINE = 50  # of them, the measured support worker's
OTHER_WORKERS = 20
RECORDS = 10_000 if harness.QUICK else 100_000  # consented reports behind the statistics
MONTHS = 24  # of statistics, up to this month; the overview asks for the last 12
PAYLOADS = 200
SEED = 2028
GOALS = {"cases": 0.30, "submission": 0.25}  # throughput / trivial's, at least
ENDPOINTS = ("trivial", "cases", "submission", "insights")
SINGLE_WARMUP = 5 if harness.QUICK else 20  # rounds of one request each, in process, untimed
SINGLE_REPEATS = 20 if harness.QUICK else 200  # the same, timed


# --- the seeding process ---------------------------------------------------------------------


def seed() -> dict[str, Any]:
    """People with knox tokens, CASES cases (MINE of them the worker's), the statistics'
    Aggregate cells for RECORDS reports, and report payloads."""
    import random

    from bench import served
    from core.models import Role
    from insights.overview import OVERVIEW_DIMENSIONS

    rng = random.Random(SEED)  # noqa: S311  (benchmark data, not security)
    worker = served.account("worker", Role.SUPPORT_WORKER)
    others = [served.account(f"worker{n:02d}", Role.SUPPORT_WORKER) for n in range(OTHER_WORKERS)]
    for number in range(3):
        served.account(f"coordinator{number}", Role.COORDINATOR)
    served.seed_cases(CASES, worker, MINE, others, rng)
    months = served.months_back(MONTHS)
    cells = served.seed_aggregates(RECORDS, months, rng)
    return {
        "tokens": {
            "worker": served.token(worker),
            "reporter": served.token(served.account("reporter", Role.REPORTER)),
            "analyst": served.token(served.account("analyst", Role.ANALYST)),
        },
        "period": [months[-12], months[-1]],
        "dimensions": list(OVERVIEW_DIMENSIONS),
        "payloads": [json.dumps(served.report_payload(rng)) for _ in range(PAYLOADS)],
        "cells": cells,
        "sqlite": served.sqlite_settings(),
    }


def one_at_a_time(seeded: dict[str, Any]) -> dict[str, float]:
    """Median milliseconds of each endpoint's request through the WSGI application in this
    process, one request at a time, the endpoints interleaved in rotating order: the work a
    request costs, with no queueing, no contention and no network."""
    from io import BytesIO

    from bench import served

    app = served.application()
    requests = Requests(seeded)
    samples: dict[str, list[float]] = {endpoint: [] for endpoint in ENDPOINTS}
    for n in range(SINGLE_WARMUP + SINGLE_REPEATS):
        shift = n % len(ENDPOINTS)
        for endpoint in ENDPOINTS[shift:] + ENDPOINTS[:shift]:
            method, path, body, headers = requests.make(endpoint, n)
            route, _, query = path.partition("?")
            data = body or b""
            started = time.perf_counter()
            status, answer = served.call(
                app,
                method,
                route,
                token=headers["Authorization"].removeprefix("Token "),
                body=BytesIO(data),
                length=len(data),
                content_type=headers.get("Content-Type", ""),
                query=query,
            )
            elapsed = (time.perf_counter() - started) * 1000
            if status != EXPECTED[endpoint]:
                raise RuntimeError(f"{endpoint} answered {status}: {answer[:300]!r}")
            if n >= SINGLE_WARMUP:
                samples[endpoint].append(elapsed)
    return {endpoint: harness.median(values) for endpoint, values in samples.items()}


def child() -> None:
    harness.setup_django()
    seeded = seed()
    seeded["single"] = one_at_a_time(seeded)
    harness.answer(seeded)


# --- the requests ----------------------------------------------------------------------------

Request = tuple[str, str, bytes | None, dict[str, str]]  # method, path, body, headers


@dataclass
class Requests:
    """The n-th request of each endpoint: payloads and dimensions taken in turn."""

    seeded: dict[str, Any]

    def _headers(self, who: str) -> dict[str, str]:
        return {"Authorization": f"Token {self.seeded['tokens'][who]}", "Host": "127.0.0.1"}

    def make(self, endpoint: str, n: int) -> Request:
        if endpoint == "trivial":
            return "GET", "/bench-trivial/", None, self._headers("worker")
        if endpoint == "cases":
            return "GET", "/api/v1/cases/", None, self._headers("worker")
        if endpoint == "submission":
            body = self.seeded["payloads"][n % PAYLOADS].encode()
            headers = {**self._headers("reporter"), "Content-Type": "application/json"}
            return "POST", "/api/v1/reports/", body, headers
        start, end = self.seeded["period"]
        dimension = self.seeded["dimensions"][n % len(self.seeded["dimensions"])]
        path = f"/api/v1/insights/counts/?dimensions={dimension}&from={start}&to={end}"
        return "GET", path, None, self._headers("analyst")


EXPECTED = {"trivial": 200, "cases": 200, "submission": 201, "insights": 200}


def send(connection: http.client.HTTPConnection, request: Request) -> tuple[int, bytes]:
    method, path, body, headers = request
    connection.request(method, path, body=body, headers=headers)
    response = connection.getresponse()
    return response.status, response.read()


def check(port: int, requests: Requests) -> None:
    """One request of each endpoint, its answer checked, before anything is timed."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    answers = {}
    for endpoint in ENDPOINTS:
        status, body = send(connection, requests.make(endpoint, 0))
        if status != EXPECTED[endpoint]:
            raise RuntimeError(f"{endpoint} answered {status}: {body[:300]!r}")
        answers[endpoint] = json.loads(body)
    connection.close()
    cases = answers["cases"]
    if answers["trivial"] != {"ok": True} or cases["count"] != MINE or len(cases["results"]) != 25:
        raise RuntimeError("the trivial endpoint or the worker's case list answered wrongly")
    if "id" not in answers["submission"] or not answers["insights"]["cells"]:
        raise RuntimeError("filing or the statistics answered wrongly")


# --- the load --------------------------------------------------------------------------------


@dataclass
class Load:
    """One endpoint's requests over one window: latencies (ms) and the window's length (s)."""

    latencies: list[float] = field(default_factory=list)
    seconds: float = 0.0
    errors: list[str] = field(default_factory=list)


def load(port: int, requests: Requests, endpoint: str, seconds: float) -> Load:
    """CLIENTS threads, each on its own keep-alive connection, send the endpoint's requests back
    to back until the window closes; the window ends when the last answer is in."""
    result = Load()
    lock = threading.Lock()
    deadline = time.perf_counter() + seconds

    def client(number: int) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        n, mine, errors = number, [], []
        while time.perf_counter() < deadline:
            started = time.perf_counter()
            status, body = send(connection, requests.make(endpoint, n))
            mine.append((time.perf_counter() - started) * 1000)
            if status != EXPECTED[endpoint]:
                errors.append(f"{status}: {body[:200]!r}")
            n += CLIENTS
        connection.close()
        with lock:
            result.latencies += mine
            result.errors += errors

    started = time.perf_counter()
    threads = [threading.Thread(target=client, args=(n,)) for n in range(CLIENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    result.seconds = time.perf_counter() - started
    if result.errors:
        raise RuntimeError(f"{endpoint}: {len(result.errors)} failed, first {result.errors[0]}")
    return result


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start_server(space: harness.Workspace, port: int) -> subprocess.Popen[bytes]:
    """gunicorn with deploy/gunicorn.conf.py, bound to loopback, WORKERS workers; worker
    recycling (max_requests) off, so that no worker restarts inside a timed window."""
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "--config",
        str(CONFIG),
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(WORKERS),
        "--max-requests",
        "0",
        "--no-control-socket",
        "--log-level",
        "warning",
        "core.wsgi:application",
    ]
    server = subprocess.Popen(command, env=space.env, cwd=harness.ROOT)  # noqa: S603
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"gunicorn stopped at start ({server.returncode})")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return server
        except OSError:
            time.sleep(0.2)
    stop_server(server)
    raise RuntimeError("gunicorn did not start listening within 60 s")


def stop_server(server: subprocess.Popen[bytes]) -> None:
    server.terminate()
    try:
        server.wait(timeout=30)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()


def measure(space: harness.Workspace) -> dict[str, Any]:
    """Seed, serve, check, warm up, then ROUNDS rounds of every endpoint in rotating order."""
    seeded = harness.run_child(SCRIPT, [], space)
    requests = Requests(seeded)
    port = free_port()
    server = start_server(space, port)
    try:
        check(port, requests)
        for endpoint in ENDPOINTS:
            load(port, requests, endpoint, WARMUP_SECONDS)
        runs: dict[str, list[Load]] = {endpoint: [] for endpoint in ENDPOINTS}
        for round_number in range(ROUNDS):
            shift = round_number % len(ENDPOINTS)
            for endpoint in ENDPOINTS[shift:] + ENDPOINTS[:shift]:
                runs[endpoint].append(load(port, requests, endpoint, SECONDS))
            harness.progress(f"  round {round_number + 1} of {ROUNDS}")
    finally:
        stop_server(server)
    return {
        "runs": runs,
        "cells": seeded["cells"],
        "period": seeded["period"],
        "dimensions": seeded["dimensions"],
        "sqlite": seeded["sqlite"],
        "single": seeded["single"],
    }


# --- the report ------------------------------------------------------------------------------


def summary(runs: dict[str, list[Load]]) -> dict[str, dict[str, Any]]:
    rates = {
        endpoint: sum(len(run.latencies) for run in loads) / sum(run.seconds for run in loads)
        for endpoint, loads in runs.items()
    }
    out = {}
    for endpoint, loads in runs.items():
        latencies = [ms for run in loads for ms in run.latencies]
        per_round = [
            (len(run.latencies) / run.seconds) / (len(trivial.latencies) / trivial.seconds)
            for run, trivial in zip(loads, runs["trivial"], strict=True)
        ]
        out[endpoint] = {
            "requests": len(latencies),
            "rps": rates[endpoint],
            "ratio": rates[endpoint] / rates["trivial"],
            "per_round": per_round,
            "p50": harness.percentile(latencies, 0.5),
            "p99": harness.percentile(latencies, 0.99),
        }
    return out


LABELS = {
    "trivial": "trivial: `GET /bench-trivial/`",
    "cases": "case list: `GET /api/v1/cases/`",
    "submission": "filing: `POST /api/v1/reports/`",
    "insights": "statistics: `GET /api/v1/insights/counts/`",
}


def table(results: dict[str, dict[str, Any]]) -> str:
    lines = [
        "| database | endpoint | requests/s | **/ trivial** | per round: median (range) "
        "| p50 (ms) | p99 (ms) "
        "| requests | one at a time (ms) | trivial's / this |",
        "|---|---|---:|---:|---|---:|---:|---:|---:|---:|",
    ]
    for backend, result in results.items():
        single = result["single"]
        for endpoint, row in summary(result["runs"]).items():
            ceiling = (
                "—"
                if endpoint == "trivial"
                else harness.times(single["trivial"] / single[endpoint])
            )
            ratio = "—" if endpoint == "trivial" else f"**{harness.times(row['ratio'])}**"
            spread = row["per_round"]
            rounds = (
                ""
                if endpoint == "trivial"
                else f"{harness.median(spread):.2f} ({min(spread):.2f}–{max(spread):.2f})"
            )
            lines.append(
                f"| {backend} | {LABELS[endpoint]} | {row['rps']:.0f} | {ratio} | {rounds} "
                f"| {row['p50']:.1f} | {row['p99']:.1f} | {row['requests']:,} "
                f"| {single[endpoint]:.2f} | {ceiling} |"
            )
    return "\n".join(lines)


def verdict(results: dict[str, dict[str, Any]]) -> str:
    parts = []
    for backend, result in results.items():
        rows = summary(result["runs"])
        for endpoint, goal in GOALS.items():
            ratio = rows[endpoint]["ratio"]
            parts.append(
                f"{backend}, {endpoint} {harness.times(ratio)} (goal ≥ {goal:.2f}) — "
                f"{harness.met(ratio >= goal)}"
            )
    return "; ".join(parts)


BLOCK = """\
## The API over HTTP under load

Written by `bench/http_load.py` (in `make bench`) on {date}. Reproduce with `make bench` or
`.venv/bin/python bench/http_load.py`; with `DATABASE_URL` naming a PostgreSQL server, that
server is measured too, in a database of its own (`recourse_bench_http`, created and dropped),
and with `REDIS_URL` naming a Redis server as well, PostgreSQL is measured a second time with
Redis as the task broker and the cache (its database {redis_db}, emptied before and after), as a
deployment over several hosts runs.

Machine: {machine}. The whole run took {runtime:.0f} s.

**Goals**, throughput as a share of the trivial endpoint's in the same run: the case list at
least {goal_cases:.2f}, filing at least {goal_submission:.2f} — {verdict}.{postgres_note}

{table}

*Requests/s*: all requests answered in the endpoint's windows over the windows' total length;
*/ trivial*: that against the trivial endpoint's; *per round*: the same ratio within each round,
its median and range (how much the machine drifted). p50 and p99: latency of each request as
the client saw it, queueing included. *One at a time*: the median of {single} requests of each
endpoint through the same WSGI application in the seeding process, one request at a time, the
endpoints interleaved, before the server starts — what a request costs with no queueing, no
contention and no network; *trivial's / this* is the throughput share an endpoint could reach
if the server's CPU were the only limit, so the gap between the two ratios is what concurrency
costs the endpoint.

What a filing costs. One write transaction of seven statements on PostgreSQL (the report with
its data key's wrap in one statement, incident, case, its sealed opening event, the queued
triage task, the audit chain's head read for update, and both audit events inserted and the
head moved on in one statement;
one more for the perpetrator marks when there are identifiers, and the coordinators' alerts for
a critical report), plus the two every API request pays for its token. The audit events are
appended together at the end of the work, so concurrent filings hold the chain's head only for
its last two statements. On PostgreSQL the app binds parameters on the server and prepares each
statement once it has run twice on a connection, which spares the server parsing and planning
the same inserts over and over. SQLite admits one writer at a time; the app's SQLite backend
(`core/sqlite`) makes write transactions queue for it on a lock file beside the database, each
woken as soon as the one before commits, instead of waiting in SQLite's busy handler, which
sleeps in growing steps while the lock lies free. With Redis, the queued task goes to Redis once
the transaction commits instead of into a table inside it, and the per-client throttle keeps its
history in Redis: two more round trips for every request, the trivial one's included, so every
request costs more there and the trivial one most in proportion.

The server is gunicorn with the production configuration (`deploy/gunicorn.conf.py`: gthread
workers of 4 threads, keep-alive) and {workers} workers, on 127.0.0.1, serving
`core.wsgi:application` on production settings (`bench/settings_bench.py`: debug off, WhiteNoise,
secret key and keyring from files; the throttle raised out of the way); worker recycling
(`max_requests`) is off so no worker restarts inside a window. The load comes from the bench's
own process: {clients} threads, each on one keep-alive connection (`http.client`), send
requests back to back — a closed loop, as many in flight as gunicorn has threads — for
{seconds:.1f} s per endpoint per round, {rounds} rounds, the endpoints in rotating order, after
{warmup:.0f} s of each untimed. Client and server share the {cores} cores, for every endpoint
alike. Every answer's status is checked (any failure stops the bench), and one answer of each
endpoint is checked in full first.

- **trivial** — `bench/urls_bench.py`: a DRF `APIView` answering `{{"ok": true}}` with the
  project's defaults, as every endpoint has them: the middleware, knox token authentication (two
  queries: the token with its user, and the user's other tokens, which knox reads to delete
  expired ones), `IsAuthenticated`, the per-client throttle, JSON rendering.
- **case list** — the support worker's first page (25 of their {mine} cases, with assignees),
  out of {cases:,} cases; {others} other workers hold the rest.
- **filing** — a report from a reporter's token, the payloads of `bench/submission.py` in turn
  ({payloads} of them): the sealed report, its incident and case, audit events, the queued task.
- **statistics** — the counts behind the analyst's overview, one table a request, the
  overview's {tables} dimensions in turn, for {start}..{end}, all regions and roles, from the
  `Aggregate` cells of {records:,} consented reports over {months} months ({cells_note}).

On SQLite ({sqlite}) every request opens its connection (`CONN_MAX_AGE = 0`, as in the app);
on PostgreSQL each gunicorn thread keeps its connection.
"""


def block(results: dict[str, dict[str, Any]], machine: str, runtime: float) -> str:
    first = next(iter(results.values()))
    if harness.POSTGRES not in results:
        postgres_note = (
            "\nPostgreSQL was not measured in this run: `DATABASE_URL` named no PostgreSQL server."
        )
    elif REDIS not in results:
        postgres_note = (
            "\nPostgreSQL with Redis was not measured: `REDIS_URL` named no Redis server."
        )
    else:
        postgres_note = ""
    counted = {result["cells"] for result in results.values()}
    cells = (
        f"{counted.pop():,} cells"
        if len(counted) == 1
        else ", ".join(
            f"{backend}: {result['cells']:,} cells" for backend, result in results.items()
        )
    )
    return BLOCK.format(
        date=datetime.now(UTC).date().isoformat(),
        machine=machine,
        runtime=runtime,
        goal_cases=GOALS["cases"],
        goal_submission=GOALS["submission"],
        verdict=verdict(results),
        postgres_note=postgres_note,
        redis_db=harness.BENCH_REDIS_DB,
        table=table(results),
        workers=WORKERS,
        clients=CLIENTS,
        seconds=SECONDS,
        rounds=ROUNDS,
        warmup=WARMUP_SECONDS,
        single=SINGLE_REPEATS,
        cores=os.cpu_count(),
        mine=MINE,
        cases=CASES,
        others=OTHER_WORKERS,
        payloads=PAYLOADS,
        tables=len(first["dimensions"]),
        start=first["period"][0],
        end=first["period"][1],
        records=RECORDS,
        months=MONTHS,
        cells_note=cells,
        sqlite=harness.sqlite_note(results[harness.SQLITE]["sqlite"]),
    )


REDIS = "PostgreSQL + Redis"


def configurations() -> list[tuple[str, str, bool]]:
    """(label, database, with Redis): SQLite; PostgreSQL with the task queue on the database;
    and with REDIS_URL naming a server, PostgreSQL with Redis as the task broker and the cache,
    as a deployment over several hosts runs."""
    runs = [(backend, backend, False) for backend in harness.backends()]
    if harness.POSTGRES in harness.backends() and harness.redis_url():
        runs.append((REDIS, harness.POSTGRES, True))
    return runs


def main() -> None:
    started = time.perf_counter()
    runs = configurations()
    machine = harness.machine("gunicorn")
    if any(redis for _, _, redis in runs):
        machine += f", {harness.redis_server()}"
    results = {}
    for label, backend, redis in runs:
        harness.progress(f"{label}: migrating and seeding a fresh database")
        with harness.workspace("http", backend, redis=redis) as space:
            harness.migrate(space)
            results[label] = measure(space)
    runtime = time.perf_counter() - started
    harness.write_doc_block("http_load", block(results, machine, runtime))
    print(table(results))
    print(f"{verdict(results)}; {runtime:.0f} s")


if __name__ == "__main__":
    if "--child" in sys.argv:
        child()
    else:
        main()
