"""Benchmark filing a report through the API (POST /api/v1/reports/ with a knox token), sealed as
the app does it, against the same request storing plaintext (bench/plain.py).

Run with `make bench` (after the statistics overview) or `.venv/bin/python bench/submission.py`;
with DATABASE_URL naming a PostgreSQL server it also runs there, in a database of its own
(recourse_bench_submission, created and dropped). Each database is measured by a fresh process
(bench/harness.py) on production settings (bench.settings_bench): requests go through the WSGI
application gunicorn serves, in that process, one at a time. The two variants alternate request
by request, on the same payloads, and this bench replaces only its own block of
docs/performance.md.
"""

import json
import random
import sys
import time
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import UTC, datetime
from io import BytesIO
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import harness  # noqa: E402

SCRIPT = Path(__file__).resolve()
PATH = "/api/v1/reports/"
PAYLOADS = 200  # distinct payloads, used in turn by both variants
WARMUP = 5 if harness.QUICK else 20  # untimed rounds (one request of each variant)
REPEATS = 30 if harness.QUICK else 400  # timed rounds
COORDINATORS = 3  # told at once of each critical report
GOAL = 1.10  # sealed / plain, at most
SEED = 2027
VARIANTS = ("sealed", "plain")


# --- the measuring process -------------------------------------------------------------------


@dataclass
class Bench:
    app: Any
    token: str
    payloads: list[bytes]


def post(bench: Bench, variant: str, body: bytes) -> tuple[bytes, float]:
    """One filing; sealing switched off around the request for the plain variant."""
    from bench import plain, served

    with plain.sealing_off() if variant == "plain" else nullcontext():
        started = time.perf_counter()
        status, answer = served.call(
            bench.app,
            "POST",
            PATH,
            token=bench.token,
            body=BytesIO(body),
            length=len(body),
            content_type="application/json",
        )
        seconds = time.perf_counter() - started
    if status != 201:
        raise RuntimeError(f"{variant} filing answered {status}: {answer[:300]!r}")
    return answer, seconds


def check(bench: Bench) -> dict[str, int]:
    """Refuse to time variants that do not do what they claim: the sealed report opens with its
    data key to what was sent; the plain one holds the same JSON as plaintext and has no key;
    both wrote the same rows otherwise. Returns the SQL statements each request ran."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from core.keys import data_key
    from core.models import AuditEvent, KeyWrap
    from incidents.models import Report
    from incidents.sealing import open_field
    from support.models import CaseEvent

    statements = {}
    sent = json.loads(bench.payloads[0])
    post(bench, "sealed", bench.payloads[1])  # the very first filing also starts the audit chain
    for variant in VARIANTS:
        wraps, events = KeyWrap.objects.count(), AuditEvent.objects.count()
        with CaptureQueriesContext(connection) as captured:
            answer = post(bench, variant, bench.payloads[0])[0]
        statements[variant] = len(captured.captured_queries)
        report = Report.objects.get(public_id=json.loads(answer)["id"])
        incident = report.incidents.get()
        if not CaseEvent.objects.filter(case__report=report).exists():
            raise RuntimeError(f"{variant}: no case event")
        if AuditEvent.objects.count() - events != 2:
            raise RuntimeError(f"{variant}: not the two audit events (report.submit, case.open)")
        if variant == "sealed":
            key = data_key(report)
            opened = open_field(key, incident, "narrative")
            if KeyWrap.objects.count() - wraps != 1 or opened != sent["narrative"].strip():
                raise RuntimeError("the sealed report does not open to what was sent")
        else:
            stored = json.loads(bytes(incident.narrative_sealed))
            if KeyWrap.objects.count() != wraps or stored != sent["narrative"].strip():
                raise RuntimeError("the plain report is not the plaintext, or has a key")
    return statements


def measure() -> dict[str, Any]:
    """In the workspace's process: people, payloads, checks, then the timed rounds."""
    from bench import served
    from core.models import Role

    rng = random.Random(SEED)  # noqa: S311  (benchmark data, not security)
    for number in range(COORDINATORS):
        served.account(f"coordinator{number}", Role.COORDINATOR)
    reporter = served.account("reporter", Role.REPORTER)
    bench = Bench(
        app=served.application(),
        token=served.token(reporter),
        payloads=[json.dumps(served.report_payload(rng)).encode() for _ in range(PAYLOADS)],
    )
    statements = check(bench)
    samples: dict[str, list[float]] = {variant: [] for variant in VARIANTS}
    for round_number in range(WARMUP + REPEATS):
        body = bench.payloads[round_number % PAYLOADS]
        order = VARIANTS if round_number % 2 == 0 else VARIANTS[::-1]
        for variant in order:
            seconds = post(bench, variant, body)[1]
            if round_number >= WARMUP:
                samples[variant].append(seconds * 1000)
    harness.progress(f"  {REPEATS} rounds timed")
    return {
        "samples": samples,
        "statements": statements,
        "sizes": payload_sizes(bench),
        "sqlite": served.sqlite_settings(),
    }


def payload_sizes(bench: Bench) -> list[int]:
    return sorted(len(body) for body in bench.payloads)


def child() -> None:
    harness.setup_django()
    harness.answer(measure())


# --- the report ------------------------------------------------------------------------------


def summary(result: dict[str, Any]) -> dict[str, float]:
    sealed, plain = result["samples"]["sealed"], result["samples"]["plain"]
    paired = [s / p for s, p in zip(sealed, plain, strict=True)]
    return {
        "sealed": harness.median(sealed),
        "plain": harness.median(plain),
        "sealed_p90": harness.percentile(sealed, 0.9),
        "plain_p90": harness.percentile(plain, 0.9),
        "ratio": harness.median(sealed) / harness.median(plain),
        "paired": harness.median(paired),
    }


def table(results: dict[str, dict[str, Any]]) -> str:
    lines = [
        "| database | sealed (ms) | plain (ms) | **sealed / plain** | median of per-round ratios "
        "| p90 sealed / plain (ms) | SQL statements, sealed / plain |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for backend, result in results.items():
        row, statements = summary(result), result["statements"]
        lines.append(
            f"| {backend} | {row['sealed']:.2f} | {row['plain']:.2f} "
            f"| **{harness.times(row['ratio'])}** | {harness.times(row['paired'])} "
            f"| {row['sealed_p90']:.2f} / {row['plain_p90']:.2f} "
            f"| {statements['sealed']} / {statements['plain']} |"
        )
    return "\n".join(lines)


def verdict(results: dict[str, dict[str, Any]]) -> str:
    parts = [
        f"{backend} {harness.times(summary(result)['ratio'])} — "
        f"{harness.met(summary(result)['ratio'] <= GOAL)}"
        for backend, result in results.items()
    ]
    return "; ".join(parts)


BLOCK = """\
## Filing a report: sealed against plaintext

Written by `bench/submission.py` (in `make bench`) on {date}. Reproduce with
`make bench` or `.venv/bin/python bench/submission.py`; with `DATABASE_URL` naming a PostgreSQL
server, that server is measured too, in a database of its own
(`recourse_bench_submission`, created and dropped).

Machine: {machine}. The whole run took {runtime:.0f} s.

**Goal**: filing sealed costs at most {goal:.2f}× filing the same report as plaintext —
{verdict}.{postgres_note}

{table}

Medians of {repeats} timed requests per variant after {warmup} untimed rounds; each round files
the same payload once with each variant, the order alternating round by round, so the machine's
drift hits both alike. Times are the whole request through the WSGI application gunicorn serves
(`django.core.wsgi`, in the measuring process, one request at a time, no network): middleware,
knox token, throttle, parsing, the service's transaction with its commit, the JSON answer.

- **sealed** — `POST {path}` as it is: `incidents.services.report_submit` makes the report's
  data key (wrapped under the keyring as a `KeyWrap` row, `core.keys.data_key_new`), seals
  municipality, contact details, narrative and identifiers, stores the report's row and the
  wrap together (`core.inserts.insert_together`), and opening the case seals its opening event
  with the same key, kept on the report while the request lasts.
- **plain** — the same request to the same view, with those sealing calls switched off for
  the request (`bench/plain.py`): no data key is made, stored or read, the report's row is
  inserted alone by the same function, and each field is stored as the JSON text sealing would
  have encrypted, in the same column. Every other row and step is the same: report, incident,
  case, its opening event, two audit events on the hash chain, notifications, matching marks,
  queued tasks.

On PostgreSQL the `KeyWrap` row goes in the report's own insert statement (a data-modifying
`WITH`), so sealing adds no statement there; SQLite has no such statement, and the wrap is one
insert more.

Before timing, one report of each is checked: the sealed one opens with its data key to the
narrative sent, the plain one holds it as plaintext and has no key, and each wrote its case event
and both audit events. The statement counts are of those two requests (`BEGIN`, savepoints and
`COMMIT` included; one filing was made before them, as the first ever also starts the audit
chain).

Data: one reporter with a knox token files every report; {coordinators} coordinators.
{payloads} payloads (seed {seed}), {small:,} to {large:,} bytes of JSON: narratives of 400 to
2,500 characters, contact details and municipality, sometimes identifiers; a quarter consent to
matching, half to statistics, one in ten flags imminent danger (a critical case: the
coordinators are notified). Production settings (`bench/settings_bench.py`: debug off, the task
queue on the database, the throttle raised out of the way); on SQLite the app's own settings
({sqlite}) and a new connection per request, as `CONN_MAX_AGE = 0` makes it; on PostgreSQL a
persistent connection.
"""


def block(results: dict[str, dict[str, Any]], machine: str, runtime: float) -> str:
    sizes = next(iter(results.values()))["sizes"]
    postgres_note = (
        ""
        if harness.POSTGRES in results
        else "\nPostgreSQL was not measured in this run: `DATABASE_URL` named no PostgreSQL server."
    )
    return BLOCK.format(
        date=datetime.now(UTC).date().isoformat(),
        machine=machine,
        runtime=runtime,
        goal=GOAL,
        verdict=verdict(results),
        postgres_note=postgres_note,
        table=table(results),
        repeats=REPEATS,
        warmup=WARMUP,
        path=PATH,
        coordinators=COORDINATORS,
        payloads=PAYLOADS,
        seed=SEED,
        small=sizes[0],
        large=sizes[-1],
        sqlite=harness.sqlite_note(results[harness.SQLITE]["sqlite"]),
    )


def main() -> None:
    started = time.perf_counter()
    machine = harness.machine()
    results = {}
    for backend in harness.backends():
        harness.progress(f"{backend}: migrating a fresh database")
        with harness.workspace("submission", backend) as space:
            harness.migrate(space)
            results[backend] = harness.run_child(SCRIPT, [], space)
    runtime = time.perf_counter() - started
    harness.write_doc_block("submission", block(results, machine, runtime))
    print(table(results))
    print(f"sealed / plain <= {GOAL}: {verdict(results)}; {runtime:.0f} s")


if __name__ == "__main__":
    if "--child" in sys.argv:
        child()
    else:
        main()
