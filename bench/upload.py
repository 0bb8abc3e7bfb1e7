"""Benchmark uploading evidence (POST /api/v1/reports/<id>/evidence/, multipart) through the real
upload path — core.uploads.EncryptingUploadHandler, then incidents.services.evidence_add — for a
5 MiB and a 50 MiB file: throughput, and the process's peak memory, which must not grow with the
file. The same uploads with sealing switched off (Django's own upload handlers, bench/plain.py)
run alongside, for what the encryption costs.

Run with `make bench` or `.venv/bin/python bench/upload.py`. Every upload is measured in a fresh
process (bench/harness.py) on production settings (bench.settings_bench), through the WSGI
application gunicorn serves, with the request body generated as it is read, so that nothing but
the app holds the file: the process's memory is the app's. Sizes and variants alternate. This
bench replaces only its own block of docs/performance.md.
"""

import gc
import hashlib
import io
import json
import os
import resource
import sys
import time
import tracemalloc
from contextlib import ExitStack
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import harness  # noqa: E402

SCRIPT = Path(__file__).resolve()
MIB = 1024 * 1024
SIZES = (5 * MIB, 50 * MIB)  # 50 MiB is RECOURSE_MAX_UPLOAD_BYTES: refused only above it
WARMUP_BYTES = 64 * 1024  # one small upload first in each process, untimed
REPEATS = 2 if harness.QUICK else 7  # timed processes per size and variant
UPLOADS = 3  # timed uploads in a row per process
VARIANTS = ("sealed", "plain")
PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n"  # what core.filetypes recognizes as a PDF
BLOCK_BYTES = MIB  # the random bytes the file repeats after its PDF header
BOUNDARY = "bench-boundary-7f3a9c"
DJANGO_HANDLERS = [
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "django.core.files.uploadhandler.TemporaryFileUploadHandler",
]
GOAL_GROWTH_MIB = 5.0  # peak memory at 50 MiB minus at 5 MiB, sealed: below this


# --- the request body ------------------------------------------------------------------------


class MultipartBody(io.RawIOBase):
    """A multipart/form-data body with a description and a `size`-byte PDF, produced as it is
    read: a PDF header, then one random block over and over. Nothing holds the whole file."""

    def __init__(self, size: int, block: bytes) -> None:
        super().__init__()
        self.head = (
            f"--{BOUNDARY}\r\n"
            'Content-Disposition: form-data; name="description"\r\n\r\n'
            "Screenshots of the messages\r\n"
            f"--{BOUNDARY}\r\n"
            'Content-Disposition: form-data; name="file"; filename="evidence.pdf"\r\n'
            "Content-Type: application/pdf\r\n\r\n"
        ).encode() + PDF
        self.tail = f"\r\n--{BOUNDARY}--\r\n".encode()
        self.filler = size - len(PDF)  # file bytes after the PDF header
        self.block = memoryview(block)
        self.length = len(self.head) + self.filler + len(self.tail)
        self.position = 0

    def readable(self) -> bool:
        return True

    def _piece(self, limit: int) -> memoryview | bytes:
        at = self.position
        if at < len(self.head):
            return self.head[at : at + limit]
        at -= len(self.head)
        if at < self.filler:
            offset = at % len(self.block)
            return self.block[offset : offset + min(limit, self.filler - at)]
        at -= self.filler
        return self.tail[at : at + limit]

    def readinto(self, buffer: Any) -> int:
        piece = self._piece(len(buffer))
        buffer[: len(piece)] = piece
        self.position += len(piece)
        return len(piece)


def file_digest(size: int, block: bytes) -> str:
    """The SHA-256 the app should record for the file MultipartBody sends."""
    digest = hashlib.sha256(PDF)
    left = size - len(PDF)
    while left:
        piece = block[: min(left, len(block))]
        digest.update(piece)
        left -= len(piece)
    return digest.hexdigest()


# --- the measuring processes -----------------------------------------------------------------


def prepare() -> dict[str, str]:
    """A reporter with a token and one report, which every upload then goes to."""
    from bench import served
    from core.models import Role
    from incidents.inputs import IncidentInput, ReportInput
    from incidents.services import report_submit

    reporter = served.account("reporter", Role.REPORTER)
    report = report_submit(
        actor=reporter,
        data=ReportInput(
            role="councillor", region="eastern", incident=IncidentInput(narrative="Threats.")
        ),
    )
    return {"token": served.token(reporter), "report": str(report.public_id)}


def upload(app: Any, token: str, report: str, size: int, block: bytes) -> tuple[str, float]:
    from bench import served

    body = MultipartBody(size, block)
    started = time.perf_counter()
    status, answer = served.call(
        app,
        "POST",
        f"/api/v1/reports/{report}/evidence/",
        token=token,
        body=body,  # type: ignore[arg-type]
        length=body.length,
        content_type=f"multipart/form-data; boundary={BOUNDARY}",
    )
    seconds = time.perf_counter() - started
    if status != 201:
        raise RuntimeError(f"the upload answered {status}: {answer[:300]!r}")
    return json.loads(answer)["id"], seconds


def memory_kib() -> dict[str, int]:
    fields = {}
    for line in Path("/proc/self/status").read_text(encoding="utf-8").splitlines():
        if line.startswith(("VmRSS:", "VmHWM:")):
            fields[line.split(":")[0]] = int(line.split()[1])
    return fields


def reset_peak() -> bool:
    """Reset the kernel's peak resident size of this process (Linux: clear_refs 5)."""
    try:
        Path("/proc/self/clear_refs").write_text("5", encoding="ascii")
    except OSError:
        return False
    return True


def check(evidence_id: str, variant: str, size: int, block: bytes) -> None:
    """The evidence holds what was sent: its size and SHA-256 as the app recorded them, and a
    vault file of the size sealing makes (or the file's own size, unsealed). Then remove it."""
    from core.crypto.files import CHUNK, HEADER_BYTES, TAG_BYTES
    from core.keys import data_key
    from core.vault import vault_delete, vault_open
    from incidents.models import EVIDENCE_VAULT, Evidence
    from incidents.sealing import open_field

    evidence = Evidence.objects.select_related("report").get(public_id=evidence_id)
    if variant == "sealed":
        meta = open_field(data_key(evidence.report), evidence, "meta")
        stored = HEADER_BYTES + size + TAG_BYTES * -(-size // CHUNK)
    else:
        meta = json.loads(bytes(evidence.meta_sealed))
        stored = size
    with vault_open(EVIDENCE_VAULT, evidence.public_id) as handle:
        on_disk = os.fstat(handle.fileno()).st_size
    vault_delete(EVIDENCE_VAULT, evidence.public_id)
    wanted = (size, file_digest(size, block), "application/pdf", stored)
    if (meta["size"], meta["sha256"], meta["content_type"], on_disk) != wanted:
        raise RuntimeError(f"{variant} upload of {size} bytes stored something else")


def measure(variant: str, size: int, token: str, report: str, trace: bool) -> dict[str, Any]:
    """One process: one small untimed upload, then UPLOADS timed ones in a row (one, traced).
    Memory: the resident size just before them, and the peak during them (the kernel's
    high-water mark, reset first). The evidence is checked afterwards."""
    from django.test.utils import override_settings

    from bench import plain, served

    block = os.urandom(BLOCK_BYTES)
    app = served.application()
    with ExitStack() as stack:
        if variant == "plain":
            stack.enter_context(plain.sealing_off())
            stack.enter_context(override_settings(FILE_UPLOAD_HANDLERS=DJANGO_HANDLERS))
        check(upload(app, token, report, WARMUP_BYTES, block)[0], variant, WARMUP_BYTES, block)
        gc.collect()
        before = memory_kib()["VmRSS"]
        reset = reset_peak()
        if trace:
            tracemalloc.start()
        uploads = [upload(app, token, report, size, block) for _ in range(1 if trace else UPLOADS)]
        traced = tracemalloc.get_traced_memory()[1] if trace else 0
        tracemalloc.stop()
        peak = memory_kib()["VmHWM"] if reset else resource.getrusage(resource.RUSAGE_SELF)[2]
        for evidence_id, _seconds in uploads:
            check(evidence_id, variant, size, block)
    return {
        "seconds": [seconds for _id, seconds in uploads],
        "before_kib": before,
        "peak_kib": peak,
        "traced_bytes": traced,
        "peak_reset": reset,
    }


def child() -> None:
    harness.setup_django()
    args = sys.argv[sys.argv.index("--child") + 1 :]
    args = [arg for arg in args if arg != "--quick"]
    if args[0] == "prepare":
        harness.answer(prepare())
        return
    _upload, variant, size, token, report, trace = args
    harness.answer(measure(variant, int(size), token, report, trace == "trace"))


# --- running and the report ------------------------------------------------------------------

Results = dict[tuple[str, int], list[dict[str, Any]]]


def run(space: harness.Workspace) -> tuple[Results, Results]:
    """Timed processes, variants and sizes in rotating order; then, untimed, one process per
    variant and size with tracemalloc on, for the Python allocations of the request."""
    ids = harness.run_child(SCRIPT, ["prepare"], space)
    combos = [(variant, size) for size in SIZES for variant in VARIANTS]
    timed: Results = {combo: [] for combo in combos}
    traced: Results = {combo: [] for combo in combos}
    for round_number in range(REPEATS):
        shift = round_number % len(combos)
        for variant, size in combos[shift:] + combos[:shift]:
            args = ["upload", variant, str(size), ids["token"], ids["report"], "time"]
            timed[(variant, size)].append(harness.run_child(SCRIPT, args, space))
        harness.progress(f"  round {round_number + 1} of {REPEATS}")
    for variant, size in combos:
        args = ["upload", variant, str(size), ids["token"], ids["report"], "trace"]
        traced[(variant, size)].append(harness.run_child(SCRIPT, args, space))
    return timed, traced


def figures(timed: Results, traced: Results) -> dict[tuple[str, int], dict[str, float]]:
    out = {}
    for (variant, size), runs in timed.items():
        seconds = harness.median([each for run in runs for each in run["seconds"]])
        out[(variant, size)] = {
            "mib_s": size / MIB / seconds,
            "seconds": seconds,
            "before": harness.median([run["before_kib"] for run in runs]) / 1024,
            "peak": harness.median([run["peak_kib"] for run in runs]) / 1024,
            "peak_max": max(run["peak_kib"] for run in runs) / 1024,
            "growth": harness.median([run["peak_kib"] - run["before_kib"] for run in runs]) / 1024,
            "traced": traced[(variant, size)][0]["traced_bytes"] / MIB,
        }
    return out


def table(numbers: dict[tuple[str, int], dict[str, float]]) -> str:
    lines = [
        "| file | variant | MiB/s | time (s) | resident before (MiB) | peak during (MiB) "
        "| peak − before (MiB) | Python peak, tracemalloc (MiB) |",
        "|---:|---|---:|---:|---:|---:|---:|---:|",
    ]
    for (variant, size), row in numbers.items():
        lines.append(
            f"| {size // MIB} MiB | {variant} | {row['mib_s']:.0f} | {row['seconds']:.3f} "
            f"| {row['before']:.1f} | {row['peak']:.1f} | {row['growth']:.1f} "
            f"| {row['traced']:.2f} |"
        )
    return "\n".join(lines)


def comparisons(numbers: dict[tuple[str, int], dict[str, float]]) -> dict[str, float]:
    small, large = SIZES
    return {
        "peak_difference": numbers[("sealed", large)]["peak"] - numbers[("sealed", small)]["peak"],
        "growth_difference": numbers[("sealed", large)]["growth"]
        - numbers[("sealed", small)]["growth"],
        "throughput_large_small": numbers[("sealed", large)]["mib_s"]
        / numbers[("sealed", small)]["mib_s"],
        "sealed_plain_small": numbers[("sealed", small)]["mib_s"]
        / numbers[("plain", small)]["mib_s"],
        "sealed_plain_large": numbers[("sealed", large)]["mib_s"]
        / numbers[("plain", large)]["mib_s"],
    }


BLOCK = """\
## Uploading evidence: throughput and memory

Written by `bench/upload.py` (in `make bench`) on {date}. Reproduce with `make bench` or
`.venv/bin/python bench/upload.py`.

Machine: {machine}. The whole run took {runtime:.0f} s.

**Goal**: the process's memory does not grow with the file. Peak during 50 MiB uploads minus
peak during 5 MiB ones, sealed: {peak_large:.1f} − {peak_small:.1f} MiB =
**{peak_difference:+.1f} MiB** (of peak − resident before: {growth_difference:+.1f} MiB), under
{goal:.0f} MiB (a ninth of the 45 MiB between the files) — {growth_met}.

{table}

Ratios, from the same run: sealed throughput at 50 MiB / at 5 MiB **{large_small}**; sealed /
plain throughput **{sealed_plain_small}** at 5 MiB and **{sealed_plain_large}** at 50 MiB.

{repeats} processes per file size and variant, the four kinds in rotating order; each starts
fresh, makes one untimed 64 KiB upload (imports, first queries), then {uploads} timed uploads in
a row. Times: medians of the {timed} uploads of each kind, each the whole request through the
WSGI application gunicorn serves (`django.core.wsgi`, in that process, no network). Memory:
medians of the processes. *Resident before*: the process's resident size just before its timed
uploads; *peak during*: the kernel's high-water mark of it over them, reset just before
({peak_how}). tracemalloc: one more process of each kind, one upload with tracing on (it slows
the request, so it is not timed). The body is generated as Django reads it, 64 KiB at a time: a
PDF header, then 1 MiB of random bytes over and over, so the only whole copy of the file is the
one the app writes.

- **sealed** — `POST /api/v1/reports/<id>/evidence/` as it is: `EncryptingUploadHandler` seals
  each chunk as it arrives into a temporary file under a throwaway key; `evidence_add` reads it
  back through decryption, sniffs the type, hashes it and seals it again as a stream under the
  report's data key into the vault, then seals the metadata.
- **plain** — the same request with Django's own upload handlers (a file this size goes to a
  plaintext temporary file) and sealing switched off in `evidence_add` (`bench/plain.py`: no data
  key read, the file and metadata stored as they are); sniffing, hashing, the vault's write and
  rename, the row and the audit event are the same.

After each upload the evidence is checked: size, SHA-256 and type as the app recorded them
match the file sent, and the vault file has the size sealing gives (or the file's own,
unsealed); then it is deleted. Temporary and vault files are on the same local disk
(`TMPDIR` and `RECOURSE_MEDIA_ROOT` in the workspace), the database is a SQLite file (the upload
writes one small row; the database is not what is measured here). 50 MiB is
`RECOURSE_MAX_UPLOAD_BYTES`, the largest file accepted (the handler refuses only larger ones).
"""


def block(numbers: dict[tuple[str, int], dict[str, float]], machine: str, runtime: float) -> str:
    compared = comparisons(numbers)
    return BLOCK.format(
        date=datetime.now(UTC).date().isoformat(),
        machine=machine,
        runtime=runtime,
        peak_large=numbers[("sealed", SIZES[1])]["peak"],
        peak_small=numbers[("sealed", SIZES[0])]["peak"],
        peak_difference=compared["peak_difference"],
        growth_difference=compared["growth_difference"],
        goal=GOAL_GROWTH_MIB,
        growth_met=harness.met(compared["peak_difference"] < GOAL_GROWTH_MIB),
        table=table(numbers),
        large_small=harness.times(compared["throughput_large_small"]),
        sealed_plain_small=harness.times(compared["sealed_plain_small"]),
        sealed_plain_large=harness.times(compared["sealed_plain_large"]),
        repeats=REPEATS,
        uploads=UPLOADS,
        timed=REPEATS * UPLOADS,
        peak_how="Linux `/proc/self/clear_refs`, then `VmHWM`",
    )


def main() -> None:
    started = time.perf_counter()
    machine = harness.machine(postgres=False)
    with harness.workspace("upload", harness.SQLITE) as space:
        harness.migrate(space)
        timed, traced = run(space)
    numbers = figures(timed, traced)
    if not all(run["peak_reset"] for runs in timed.values() for run in runs):
        raise RuntimeError("the peak resident size could not be reset (not Linux?)")
    runtime = time.perf_counter() - started
    harness.write_doc_block("upload", block(numbers, machine, runtime))
    print(table(numbers))
    compared = comparisons(numbers)
    print(
        f"peak 50 MiB - 5 MiB, sealed: {compared['peak_difference']:+.1f} MiB "
        f"({harness.met(compared['peak_difference'] < GOAL_GROWTH_MIB)}); "
        f"sealed/plain MiB/s {compared['sealed_plain_small']:.2f} (5 MiB), "
        f"{compared['sealed_plain_large']:.2f} (50 MiB); {runtime:.0f} s"
    )


if __name__ == "__main__":
    if "--child" in sys.argv:
        child()
    else:
        main()
