"""Production-like settings for every bench's measuring process: core.settings as deployed — debug
off, WhiteNoise, the secret key and the keyring read from files, the task queue on the database
(or on Redis, when the workspace names one) — on a throwaway database named by
BENCH_DATABASE_URL, never by DATABASE_URL. bench/harness.py
prepares all of it in a temporary folder and passes it to the processes it starts through the
environment.

Three changes from production, all for measuring: the throttle rates are raised (see below),
ROOT_URLCONF adds the bench-only endpoints of bench/urls_bench.py in front of core.urls, and
nothing else.
"""

import os

from django.core.exceptions import ImproperlyConfigured

_URL = os.environ.get("BENCH_DATABASE_URL", "")
if not _URL:
    raise ImproperlyConfigured(
        "bench.settings_bench runs only on a throwaway database named by BENCH_DATABASE_URL "
        "(bench/harness.py sets it); it never uses DATABASE_URL."
    )

from core.settings import *  # noqa: E402,F403
from core.settings import DEBUG, REST_FRAMEWORK, database_settings  # noqa: E402

if DEBUG:
    raise ImproperlyConfigured("The benches measure production settings: unset DJANGO_DEBUG.")

DATABASES = {"default": database_settings(_URL)}  # as core.settings configures any database

# Every scope at a million a second: never reached. Per-second windows, not the production
# minutes and hours, keep DRF's per-client history (one timestamp per request in the window,
# read and written on every request) as short as a real client's is at the production limits,
# instead of tens of thousands of entries long after a minute of load.
REST_FRAMEWORK = {
    **REST_FRAMEWORK,
    "DEFAULT_THROTTLE_RATES": {
        scope: "1000000/s" for scope in REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]
    },
}

ROOT_URLCONF = "bench.urls_bench"
# Where collectstatic would put the files WhiteNoise serves: an empty folder of the workspace
# (the benches request no static file), so WhiteNoise finds the folder it expects.
STATIC_ROOT = os.environ.get("BENCH_STATIC_ROOT") or STATIC_ROOT  # noqa: F405
