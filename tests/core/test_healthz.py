"""GET /healthz tells a monitor whether the database, the task broker, the cache and the keyring
work, and nothing else: "ok" or "fail" for each, 200 or 503, never a reason, path or secret."""

import ast
import os
import subprocess
import sys
import threading
import time
from pathlib import Path
from unittest import mock

import pytest
from django.conf import settings
from django.db import OperationalError, connection

from core import health
from core.crypto.keyring import new_keyring, write_keyring_file
from core.models import UserSession

pytestmark = pytest.mark.django_db

URL = "/healthz"
REPO_ROOT = Path(__file__).resolve().parents[2]
ALL_OK = {
    "status": "ok",
    "checks": {"database": "ok", "broker": "ok", "cache": "ok", "keyring": "ok"},
}
# What a failing library might say; none of it may reach the monitor.
LEAKY = "could not connect to server at 10.9.8.7:5432 as recourse password=hunter2 /etc/recourse"


def _failed(check: str) -> dict:
    return {"status": "fail", "checks": {**ALL_OK["checks"], check: "fail"}}


def _shows_nothing_secret(response) -> None:
    body = response.content.decode()
    for secret in (
        "10.9.8.7",
        "hunter2",
        "/etc/recourse",
        "Error",
        str(settings.SECRET_KEY),
        str(settings.RECOURSE_KEYRING_FILE),
        str(settings.MEDIA_ROOT),
        str(settings.DATABASES["default"]["NAME"]),
    ):
        assert secret not in body


def test_when_everything_works_the_answer_is_200_and_all_ok(client):
    response = client.get(URL)

    assert response.status_code == 200
    assert response.json() == ALL_OK
    assert response["Content-Type"] == "application/json"
    assert response["Cache-Control"] == "no-store"
    _shows_nothing_secret(response)


def test_an_anonymous_probe_gets_no_cookie_and_no_session(client):
    response = client.get(URL)

    assert response.cookies == {}
    assert not response.has_header("Set-Cookie")
    assert not UserSession.objects.exists()


def test_a_head_request_gets_the_status_alone(client):
    response = client.head(URL)

    assert response.status_code == 200
    assert response.content == b""
    assert response["Cache-Control"] == "no-store"


def test_a_head_request_reports_a_failure_too(client):
    with mock.patch.object(health, "get_broker", side_effect=ConnectionError(LEAKY)):
        assert client.head(URL).status_code == 503


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
def test_any_other_method_is_refused_with_405(client, method):
    response = getattr(client, method)(URL)

    assert response.status_code == 405
    assert response["Allow"] == "GET, HEAD"


def test_monitors_polling_often_are_never_throttled(client):
    assert {client.get(URL).status_code for _ in range(30)} == {200}


def test_an_unreachable_database_fails_the_database_check_and_says_no_more(client):
    with mock.patch.object(health, "connection") as connection:
        connection.cursor.side_effect = OperationalError(LEAKY)
        response = client.get(URL)

    assert response.status_code == 503
    assert response.json() == _failed("database")
    _shows_nothing_secret(response)


def test_an_unreachable_broker_fails_the_broker_check_and_says_no_more(client):
    with mock.patch.object(health, "get_broker") as get_broker:
        get_broker.return_value.ping.side_effect = ConnectionError(LEAKY)
        response = client.get(URL)

    assert response.status_code == 503
    assert response.json() == _failed("broker")
    _shows_nothing_secret(response)


def test_a_broker_that_does_not_answer_its_ping_fails_the_broker_check(client):
    with mock.patch.object(health, "get_broker") as get_broker:
        get_broker.return_value.ping.return_value = False
        response = client.get(URL)

    assert response.status_code == 503
    assert response.json() == _failed("broker")


def test_an_unreachable_cache_fails_the_cache_check_and_says_no_more(client):
    with mock.patch.object(health, "cache") as cache:
        cache.set.side_effect = ConnectionError(LEAKY)
        response = client.get(URL)

    assert response.status_code == 503
    assert response.json() == _failed("cache")
    _shows_nothing_secret(response)


def test_a_cache_that_forgets_what_it_was_given_fails_the_cache_check(client):
    with mock.patch.object(health, "cache") as cache:
        cache.get.return_value = None
        response = client.get(URL)

    assert response.status_code == 503
    assert response.json() == _failed("cache")


def test_a_missing_keyring_fails_the_keyring_check_without_naming_its_path(
    client, settings, tmp_path
):
    settings.RECOURSE_KEYRING_FILE = str(tmp_path / "elsewhere" / "keyring.json")
    settings.RECOURSE_CREATE_KEYRING = False

    response = client.get(URL)

    assert response.status_code == 503
    assert response.json() == _failed("keyring")
    assert "elsewhere" not in response.content.decode()
    _shows_nothing_secret(response)


def test_a_keyring_whose_key_does_not_open_what_it_sealed_fails_the_keyring_check(client):
    with mock.patch.object(health.envelope, "unwrap_dek", side_effect=ValueError(LEAKY)):
        response = client.get(URL)

    assert response.status_code == 503
    assert response.json() == _failed("keyring")
    _shows_nothing_secret(response)


def test_a_check_that_hangs_fails_in_time_and_a_second_probe_does_not_start_it_again(client):
    release = threading.Event()
    calls = []

    def hang() -> None:
        calls.append(1)
        release.wait(10)

    try:
        with (
            mock.patch.dict(health.CHECKS, {"cache": hang}),
            mock.patch.object(health, "TIMEOUT_SECONDS", 0.5),
        ):
            first = client.get(URL)
            second = client.get(URL)
    finally:
        release.set()
        for thread in threading.enumerate():
            if thread.name == "healthz-cache":
                thread.join(5)  # so the next probe finds the check free again

    assert first.status_code == second.status_code == 503
    assert first.json()["checks"]["cache"] == second.json()["checks"]["cache"] == "fail"
    assert len(calls) == 1  # the second probe found it still running and did not start another


def _connections_to_this_database() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()")
        return cursor.fetchone()[0]


def test_probes_leave_no_thread_and_no_database_connection_behind(client):
    threads_before = set(threading.enumerate())
    on_postgresql = connection.vendor == "postgresql"
    connections_before = _connections_to_this_database() if on_postgresql else 0

    for _ in range(5):
        assert client.get(URL).status_code == 200

    assert [t for t in threading.enumerate() if t not in threads_before] == []
    if on_postgresql:  # a closed connection's server process may take a moment to go
        deadline = time.monotonic() + 5
        while _connections_to_this_database() > connections_before:
            assert time.monotonic() < deadline, "the probes left database connections open"
            time.sleep(0.05)


# The production server's configuration (deploy/gunicorn.conf.py) is accepted by gunicorn.


def _production_env(tmp_path: Path) -> dict[str, str]:
    secret_key = tmp_path / "secret-key"
    secret_key.write_text("a-production-like-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz")
    keyring = tmp_path / "keys" / "keyring.json"
    write_keyring_file(new_keyring(), keyring)
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("DJANGO_", "RECOURSE_", "GUNICORN_", "PYTHON"))
    }
    env.update(
        DJANGO_SETTINGS_MODULE="core.settings",
        DJANGO_SECRET_KEY_FILE=str(secret_key),
        DJANGO_ALLOWED_HOSTS="recourse.example.org",
        RECOURSE_KEYRING_FILE=str(keyring),
        RECOURSE_MEDIA_ROOT=str(tmp_path / "media"),
        RECOURSE_PROXY_COUNT="1",
        DATABASE_URL=os.environ.get("DATABASE_URL") or f"sqlite:///{tmp_path / 'db.sqlite3'}",
        HOME=str(tmp_path),
    )
    return env


def _gunicorn_config(tmp_path: Path) -> dict[str, str]:
    result = subprocess.run(  # noqa: S603 (our own gunicorn and arguments)
        [
            str(Path(sys.executable).with_name("gunicorn")),
            "--print-config",
            "--config",
            str(REPO_ROOT / "deploy" / "gunicorn.conf.py"),
            "core.wsgi:application",
        ],
        cwd=REPO_ROOT,
        env=_production_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    config = {}
    for line in result.stdout.splitlines():
        name, sep, value = line.partition(" = ")
        if sep:
            config[name.strip()] = value.strip()
    return config


def test_gunicorn_accepts_the_production_configuration_and_loads_the_site(tmp_path):
    config = _gunicorn_config(tmp_path)

    assert config["control_socket_disable"] == "True"
    assert config["accesslog"] == "None"
    assert config["worker_class"] == "gthread"
    assert int(config["workers"]) >= 2
    assert ast.literal_eval(config["forwarded_allow_ips"]) == ["127.0.0.1", "::1"]
