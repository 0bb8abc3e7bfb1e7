"""Benchmark settings: the test settings on a throwaway SQLite file in a fresh temporary folder,
so `make bench` can never write to var/db.sqlite3 or to a DATABASE_URL from the environment."""

import tempfile
from pathlib import Path

from core.settings_test import *  # noqa: F403

BENCH_DIR = Path(tempfile.mkdtemp(prefix="recourse-bench-"))

# The SQLite PRAGMAs of core.settings, so the timed queries run as they do in the app.
DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": str(BENCH_DIR / "bench.sqlite3"),
        "CONN_MAX_AGE": 0,
        "OPTIONS": {
            "init_command": "PRAGMA secure_delete=ON; PRAGMA foreign_keys=ON;",
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
        },
    }
}
