"""GET /healthz: can this web process reach what it needs? For monitors and load balancers.

The answer says only "ok" or "fail" for each of four checks, never why: no exception text, host,
path, key id or count leaves the server (the reason goes to the log, as the exception's type).

Each check runs in a thread of its own and gets TIMEOUT_SECONDS altogether; one that has not
answered by then is a failure. A check still hanging from an earlier probe is not started again,
so a server that stops answering ties up one thread per check, not one per probe. Each thread
closes the database connections it opened, so every probe tries a fresh connection.
"""

import logging
import secrets
import threading
import time
from collections.abc import Callable

from django.core.cache import cache
from django.db import connection, connections
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_safe
from django_q.brokers import get_broker

from core.crypto import envelope
from core.crypto.keyring import load_keyring

logger = logging.getLogger(__name__)

OK, FAIL = "ok", "fail"
TIMEOUT_SECONDS = 3.0


class CheckFailed(Exception):
    """A check got an answer, but the wrong one."""


def check_database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        row = cursor.fetchone()
    if row is None or row[0] != 1:
        raise CheckFailed("database")


def check_broker() -> None:
    broker = get_broker()
    try:
        if not broker.ping():
            raise CheckFailed("broker")
        # The ORM broker's ping() answers without asking anything; counting the queue does ask.
        broker.queue_size()
    finally:
        close = getattr(broker.connection, "close", None)  # a Redis client; not an ORM queryset
        if callable(close):
            close()


def check_cache() -> None:
    key = f"recourse:healthz:{secrets.token_hex(8)}"
    value = secrets.token_hex(8)
    cache.set(key, value, timeout=30)
    try:
        if cache.get(key) != value:
            raise CheckFailed("cache")
    finally:
        cache.delete(key)


def check_keyring() -> None:
    """The keyring loads, and its active key wraps and unwraps a throwaway data key."""
    keyring = load_keyring()
    dek = envelope.new_dek()
    context = "healthz"
    wrapped = envelope.wrap_dek(dek, keyring=keyring, kek_id=keyring.active, context=context)
    opened = envelope.unwrap_dek(wrapped, keyring=keyring, kek_id=keyring.active, context=context)
    if opened != dek:
        raise CheckFailed("keyring")


CHECKS: dict[str, Callable[[], None]] = {
    "database": check_database,
    "broker": check_broker,
    "cache": check_cache,
    "keyring": check_keyring,
}
_RUNNING = {name: threading.Lock() for name in CHECKS}


def _run_one(name: str, results: dict[str, str], running: threading.Lock) -> None:
    try:
        CHECKS[name]()
        results[name] = OK
    except Exception as exc:  # any error at all is a failed check
        logger.warning("Health check %s failed (%s).", name, type(exc).__name__)
        results[name] = FAIL
    finally:
        connections.close_all()  # this thread's connections only
        running.release()


def run_checks(timeout: float | None = None) -> dict[str, str]:
    """Every check's result, "ok" or "fail", within `timeout` seconds altogether."""
    deadline = time.monotonic() + (TIMEOUT_SECONDS if timeout is None else timeout)
    results: dict[str, str] = {}
    threads = []
    for name in CHECKS:
        running = _RUNNING[name]
        if not running.acquire(blocking=False):
            logger.warning("Health check %s is still running from an earlier probe.", name)
            continue
        thread = threading.Thread(
            target=_run_one, args=(name, results, running), name=f"healthz-{name}", daemon=True
        )
        thread.start()
        threads.append(thread)
    for thread in threads:
        thread.join(max(0.0, deadline - time.monotonic()))
    return {name: results.get(name, FAIL) for name in CHECKS}


@csrf_exempt  # it changes nothing, and any other method is refused below with a 405
@require_safe
def healthz(request: HttpRequest) -> HttpResponse:
    checks = run_checks()
    healthy = all(result == OK for result in checks.values())
    status = 200 if healthy else 503
    response: HttpResponse
    if request.method == "HEAD":  # the status alone; a body here would only be dropped
        response = HttpResponse(status=status, content_type="application/json")
    else:
        response = JsonResponse(
            {"status": OK if healthy else FAIL, "checks": checks}, status=status
        )
    response["Cache-Control"] = "no-store"
    return response
