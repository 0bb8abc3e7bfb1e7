"""What every bench shares. Importable without Django: a bench's parent process only prepares
throwaway workspaces, starts the measuring processes and writes docs/performance.md; every
measurement runs in a fresh process configured by bench.settings_bench (see setup_django).

A workspace is a temporary folder holding a secret key file, a keyring file, the media root, the
temporary files and, on SQLite, the database; on PostgreSQL its database is created on the
server DATABASE_URL names and dropped afterwards. Nothing else is touched.
"""

import json
import os
import platform
import secrets
import shutil
import sqlite3
import subprocess
import sys
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # `python bench/x.py` puts bench/, not the project, first
    sys.path.insert(0, str(ROOT))

SETTINGS = "bench.settings_bench"
# `--quick`: few repetitions and small data, for developing a bench; docs are left alone.
QUICK = "--quick" in sys.argv
SQLITE, POSTGRES = "SQLite", "PostgreSQL"
# Variables of the caller's environment that would configure the app: none reaches a child.
OWN_PREFIXES = ("DJANGO_", "RECOURSE_", "DATABASE_URL", "BENCH_", "REDIS_URL", "EMAIL_")


@dataclass(frozen=True)
class Workspace:
    backend: str  # SQLITE or POSTGRES
    folder: Path
    env: dict[str, str]  # the environment of every process measuring in this workspace


def postgres_url() -> str | None:
    """The PostgreSQL server to also measure on: DATABASE_URL, when it names one."""
    url = os.environ.get("DATABASE_URL", "")
    return url if url.startswith(("postgres://", "postgresql://")) else None


def backends() -> list[str]:
    return [SQLITE, POSTGRES] if postgres_url() else [SQLITE]


def redis_url() -> str | None:
    """The Redis server to also measure with (as the task broker and the cache): REDIS_URL."""
    url = os.environ.get("REDIS_URL", "")
    return url if url.startswith(("redis://", "rediss://")) else None


BENCH_REDIS_DB = 15  # the benches' own database on that server, emptied before and after


def _redis_flush(url: str) -> None:
    import redis  # only when measuring with Redis

    client = redis.Redis.from_url(url)
    try:
        client.flushdb()
    finally:
        client.close()


def redis_server() -> str | None:
    """The Redis server's version, for the machine's description."""
    url = redis_url()
    if not url:
        return None
    import redis

    client = redis.Redis.from_url(url)
    try:
        info = client.info("server")
    finally:
        client.close()
    return f"Redis {info.get('redis_version', '?')} (the same machine, over loopback)"


def _with_database(url: str, name: str) -> str:
    return urlunsplit(urlsplit(url)._replace(path=f"/{name}"))


def _postgres_admin(statement: str) -> None:
    import psycopg  # only when measuring on PostgreSQL

    with psycopg.connect(postgres_url() or "", autocommit=True) as connection:
        connection.execute(statement)


@contextmanager
def workspace(tag: str, backend: str, *, redis: bool = False) -> Iterator[Workspace]:
    """A fresh workspace; on PostgreSQL, the database `recourse_bench_<tag>` on DATABASE_URL's
    server, dropped first if a crashed run left it, and dropped again afterwards. With `redis`,
    the app's task broker and cache are database BENCH_REDIS_DB of REDIS_URL's server, emptied
    before and after."""
    from core.crypto.keyring import new_keyring, write_keyring_file  # Django-free functions

    folder = Path(tempfile.mkdtemp(prefix=f"recourse-bench-{tag}-"))
    database = f"recourse_bench_{tag}"
    try:
        secret = folder / "secret-key"
        secret.write_text(secrets.token_urlsafe(48), encoding="utf-8")
        secret.chmod(0o600)
        write_keyring_file(new_keyring(), folder / "keyring.json")
        (folder / "tmp").mkdir()
        (folder / "static").mkdir()
        if backend == POSTGRES:
            _postgres_admin(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
            _postgres_admin(f'CREATE DATABASE "{database}"')
            url = _with_database(postgres_url() or "", database)
        else:
            url = f"sqlite:///{folder / 'bench.sqlite3'}"
        env = {k: v for k, v in os.environ.items() if not k.startswith(OWN_PREFIXES)}
        env.update(
            DJANGO_SETTINGS_MODULE=SETTINGS,
            BENCH_DATABASE_URL=url,
            DJANGO_SECRET_KEY_FILE=str(secret),
            DJANGO_ALLOWED_HOSTS="127.0.0.1,localhost",
            DJANGO_SECURE_SSL_REDIRECT="0",
            RECOURSE_KEYRING_FILE=str(folder / "keyring.json"),
            RECOURSE_MEDIA_ROOT=str(folder / "media"),
            TMPDIR=str(folder / "tmp"),
            BENCH_STATIC_ROOT=str(folder / "static"),
            PYTHONPATH=str(ROOT),
            PYTHONDONTWRITEBYTECODE="1",
        )
        if redis:
            env["REDIS_URL"] = bench_redis = _with_database(redis_url() or "", str(BENCH_REDIS_DB))
            _redis_flush(bench_redis)
        yield Workspace(backend=backend, folder=folder, env=env)
    finally:
        if backend == POSTGRES:
            _postgres_admin(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        if redis:
            _redis_flush(_with_database(redis_url() or "", str(BENCH_REDIS_DB)))
        shutil.rmtree(folder, ignore_errors=True)


def migrate(space: Workspace) -> None:
    subprocess.run(  # noqa: S603  (our own interpreter and manage.py)
        [sys.executable, str(ROOT / "manage.py"), "migrate", "--noinput", "-v", "0"],
        env=space.env,
        cwd=ROOT,
        check=True,
    )


def run_child(script: Path, args: Sequence[str], space: Workspace, timeout: float = 900) -> Any:
    """Run `script --child ARGS` in the workspace; its last line of output is its JSON answer.
    Its progress lines go to stderr, which is shown."""
    done = subprocess.run(  # noqa: S603  (our own interpreter and script)
        [sys.executable, str(script), "--child", *(["--quick"] if QUICK else []), *args],
        env=space.env,
        cwd=ROOT,
        check=True,
        stdout=subprocess.PIPE,
        text=True,
        timeout=timeout,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def answer(result: Any) -> None:
    """A child's answer to run_child."""
    print(json.dumps(result), flush=True)


def progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def setup_django() -> None:
    """In a child: Django on bench.settings_bench, as the workspace's environment says."""
    if os.environ.get("DJANGO_SETTINGS_MODULE") != SETTINGS:
        raise RuntimeError("Run the measuring processes through bench/harness.py (run_child).")
    import django

    django.setup()


# --- statistics ------------------------------------------------------------------------------


def percentile(values: Sequence[float], share: float) -> float:
    """Linear interpolation between the closest ranks (share 0.5: the median)."""
    ordered = sorted(values)
    if not ordered:
        raise ValueError("no values")
    position = (len(ordered) - 1) * share
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def median(values: Sequence[float]) -> float:
    return percentile(values, 0.5)


def times(ratio: float) -> str:
    return f"{ratio:.2f}×"


def met(ok: bool) -> str:
    return "met" if ok else "**not met**"


def sqlite_note(pragmas: str) -> str:
    """What the measuring process found on its SQLite connection, for the docs."""
    waits = "" if "synchronous=OFF" in pragmas else ": every commit waits for the disk"
    return f"{pragmas}{waits}"


# --- the machine -----------------------------------------------------------------------------


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _memory_gib() -> float | None:
    try:
        for line in Path("/proc/meminfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) / 1024**2
    except OSError:
        pass
    return None


def postgres_server() -> str | None:
    """The server's version and how it commits: a server with fsync off (a throwaway one) makes
    writes cheaper than a durable one would."""
    if not postgres_url():
        return None
    import psycopg

    with psycopg.connect(postgres_url() or "", autocommit=True) as connection:
        shown = {
            name: str((connection.execute(f"SHOW {name}").fetchone() or ["?"])[0])
            for name in ("server_version", "fsync", "synchronous_commit")
        }
    return (
        f"PostgreSQL {shown['server_version'].split()[0]} (fsync={shown['fsync']}, "
        f"synchronous_commit={shown['synchronous_commit']}; the same machine, over loopback)"
    )


def machine(*packages: str, postgres: bool = True) -> str:
    """Cores, CPU, memory, load when the run started, and the versions that matter."""
    memory = _memory_gib()
    load = ", ".join(f"{value:.2f}" for value in os.getloadavg())
    parts = [
        f"{os.cpu_count()} cores ({_cpu_model()}, {platform.machine()}, {platform.system()} "
        f"{platform.release()})"
        + (f", {memory:.0f} GiB memory" if memory else "")
        + f", load average {load} at the start (shared machine)",
        f"Python {platform.python_version()}",
        f"Django {version('django')}",
        f"SQLite {sqlite3.sqlite_version}",
    ]
    pg = postgres_server() if postgres else None
    if pg:
        parts.append(pg)
    parts += [f"{name} {version(name)}" for name in packages]
    return ", ".join(parts)


# --- docs/performance.md ---------------------------------------------------------------------


DOC = ROOT / "docs" / "performance.md"


def write_block(name: str, text: str) -> None:
    """Replace the bench's `<!-- name:start/end -->` block in docs/performance.md, or append it;
    the rest of the page is left as it is."""
    start, end = f"<!-- {name}:start -->", f"<!-- {name}:end -->"
    doc = DOC.read_text(encoding="utf-8") if DOC.exists() else "# Performance\n"
    if start in doc and end in doc.split(start, 1)[1]:
        before, rest = doc.split(start, 1)
        after = rest.split(end, 1)[1]
    else:
        before, after = doc.rstrip("\n") + "\n\n", "\n"
    DOC.write_text(f"{before}{start}\n{text.rstrip()}\n{end}{after}", encoding="utf-8")


def write_doc_block(name: str, text: str) -> None:
    """write_block, except in a `--quick` run, which leaves the page alone."""
    if QUICK:
        progress(f"--quick: the {name} block of docs/performance.md is left as it was")
        return
    write_block(name, text)
