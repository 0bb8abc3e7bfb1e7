"""Settings fail closed: no debug unless asked, no start without a secret key or a keyring."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from core.crypto.keyring import new_keyring, write_keyring_file
from core.env import dev_secret_file, env_bool, env_list, env_secret

REPO_ROOT = Path(__file__).resolve().parents[2]
SECRET = "a-test-secret-key-that-is-long-enough-0123456789-abcdefghijklmnop"


def _env(tmp_path: Path, **overrides: str) -> dict[str, str]:
    """A clean production-like environment: nothing from the test settings leaks in."""
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("DJANGO_", "RECOURSE_", "DATABASE_URL", "REDIS_URL", "PYTHON"))
    }
    env.update(
        DJANGO_SETTINGS_MODULE="core.settings",
        DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
        RECOURSE_MEDIA_ROOT=str(tmp_path / "media"),
        PYTHONPATH=str(REPO_ROOT),
    )
    env.update(overrides)
    return env


def _run(tmp_path: Path, args: list[str], **overrides: str) -> subprocess.CompletedProcess:
    return subprocess.run(  # noqa: S603 (our own interpreter and arguments)
        [sys.executable, *args],
        cwd=REPO_ROOT,
        env=_env(tmp_path, **overrides),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


SHOW_SETTINGS = """
import json, django
django.setup()
from django.conf import settings
print(json.dumps({
    "DEBUG": settings.DEBUG,
    "SESSION_COOKIE_SECURE": settings.SESSION_COOKIE_SECURE,
    "CSRF_COOKIE_SECURE": settings.CSRF_COOKIE_SECURE,
    "RECOURSE_CREATE_KEYRING": settings.RECOURSE_CREATE_KEYRING,
    "RECOURSE_KEYRING_FILE": settings.RECOURSE_KEYRING_FILE,
    "ALLOWED_HOSTS": settings.ALLOWED_HOSTS,
}))
"""

SHOW_KEYRING = """
import json, django
django.setup()
from django.conf import settings
from core.crypto.keyring import load_keyring
keyring = load_keyring()
print(json.dumps({"inline": settings.RECOURSE_KEYRING is not None, "path": str(keyring.path)}))
"""


def test_without_a_secret_key_the_settings_refuse_to_load(tmp_path):
    result = _run(tmp_path, ["-c", "import django; django.setup()"])
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY" in result.stderr
    assert "ImproperlyConfigured" in result.stderr


def test_an_empty_secret_key_is_no_secret_key(tmp_path):
    result = _run(tmp_path, ["-c", "import django; django.setup()"], DJANGO_SECRET_KEY="")
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY" in result.stderr


def test_debug_is_off_and_cookies_secure_when_django_debug_is_unset(tmp_path):
    result = _run(tmp_path, ["-c", SHOW_SETTINGS], DJANGO_SECRET_KEY=SECRET)
    assert result.returncode == 0, result.stderr
    shown = json.loads(result.stdout)
    assert shown == {
        "DEBUG": False,
        "SESSION_COOKIE_SECURE": True,
        "CSRF_COOKIE_SECURE": True,
        "RECOURSE_CREATE_KEYRING": False,
        "RECOURSE_KEYRING_FILE": None,
        "ALLOWED_HOSTS": [],
    }


def test_check_fails_with_recourse_e001_when_no_keyring_is_configured(tmp_path):
    result = _run(tmp_path, ["manage.py", "check"], DJANGO_SECRET_KEY=SECRET)
    assert result.returncode != 0
    assert "recourse.E001" in result.stderr
    assert "No keyring" in result.stderr


def test_check_fails_with_recourse_e001_when_the_keyring_file_is_missing(tmp_path):
    missing = tmp_path / "nowhere" / "keyring.json"
    result = _run(
        tmp_path,
        ["manage.py", "check"],
        DJANGO_SECRET_KEY=SECRET,
        RECOURSE_KEYRING_FILE=str(missing),
    )
    assert result.returncode != 0
    assert "recourse.E001" in result.stderr, result.stderr[-2000:]
    assert not missing.exists()


def test_check_passes_with_a_secret_key_and_a_keyring_file(tmp_path):
    path = tmp_path / "keyring.json"
    write_keyring_file(new_keyring(), path)
    result = _run(
        tmp_path, ["manage.py", "check"], DJANGO_SECRET_KEY=SECRET, RECOURSE_KEYRING_FILE=str(path)
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert "no issues" in result.stdout


def test_a_keyring_named_by_its_file_is_loaded_from_that_file_and_can_be_rotated(tmp_path):
    """RECOURSE_KEYRING_FILE names the keyring file; it must not turn into an inline keyring,
    which keyring_rotate and keyring_retire refuse to change."""
    path = tmp_path / "keyring.json"
    write_keyring_file(new_keyring(), path)
    result = _run(
        tmp_path, ["-c", SHOW_KEYRING], DJANGO_SECRET_KEY=SECRET, RECOURSE_KEYRING_FILE=str(path)
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert json.loads(result.stdout) == {"inline": False, "path": str(path)}


def test_the_test_settings_run_without_debug(settings):
    assert settings.DEBUG is False


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, False),
        ("", False),
        ("  ", False),
        ("0", False),
        ("false", False),
        ("no", False),
        ("off", False),
        ("2", False),
        ("debug", False),
        ("1", True),
        ("true", True),
        ("TRUE", True),
        (" yes ", True),
        ("On", True),
    ],
)
def test_env_bool_is_true_only_for_clear_yes_values(monkeypatch, value, expected):
    if value is None:
        monkeypatch.delenv("RECOURSE_TEST_FLAG", raising=False)
    else:
        monkeypatch.setenv("RECOURSE_TEST_FLAG", value)
    assert env_bool("RECOURSE_TEST_FLAG") is expected


@pytest.mark.parametrize(("value", "default"), [(None, True), ("", True), (" ", True)])
def test_env_bool_falls_back_to_its_default_when_unset_or_blank(monkeypatch, value, default):
    if value is None:
        monkeypatch.delenv("RECOURSE_TEST_FLAG", raising=False)
    else:
        monkeypatch.setenv("RECOURSE_TEST_FLAG", value)
    assert env_bool("RECOURSE_TEST_FLAG", default) is default


def test_env_list_splits_on_commas_and_drops_blanks(monkeypatch):
    monkeypatch.setenv("RECOURSE_TEST_LIST", " a.example ,, b.example ,")
    assert env_list("RECOURSE_TEST_LIST", ["default"]) == ["a.example", "b.example"]
    monkeypatch.delenv("RECOURSE_TEST_LIST")
    assert env_list("RECOURSE_TEST_LIST", ["default"]) == ["default"]


def test_env_secret_reads_the_value_or_the_file_it_names(monkeypatch, tmp_path):
    secret_file = tmp_path / "secret"
    secret_file.write_text("from-a-file\n")
    monkeypatch.delenv("RECOURSE_TEST_SECRET", raising=False)
    monkeypatch.delenv("RECOURSE_TEST_SECRET_FILE", raising=False)
    assert env_secret("RECOURSE_TEST_SECRET") is None
    monkeypatch.setenv("RECOURSE_TEST_SECRET_FILE", str(secret_file))
    assert env_secret("RECOURSE_TEST_SECRET") == "from-a-file"
    monkeypatch.setenv("RECOURSE_TEST_SECRET", "direct")
    assert env_secret("RECOURSE_TEST_SECRET") == "direct"


def test_env_secret_with_an_unreadable_file_is_improperly_configured(monkeypatch, tmp_path):
    monkeypatch.delenv("RECOURSE_TEST_SECRET", raising=False)
    monkeypatch.setenv("RECOURSE_TEST_SECRET_FILE", str(tmp_path / "missing"))
    with pytest.raises(ImproperlyConfigured, match="RECOURSE_TEST_SECRET_FILE"):
        env_secret("RECOURSE_TEST_SECRET")


def test_the_development_secret_is_created_once_with_mode_0600(tmp_path):
    path = tmp_path / "var" / "secret-key"
    first = dev_secret_file(path)
    assert len(first) >= 50
    assert (path.stat().st_mode & 0o777) == 0o600
    assert dev_secret_file(path) == first


def test_on_postgresql_statements_are_bound_and_prepared_on_the_server(monkeypatch):
    from core.settings import database_settings

    monkeypatch.delenv("RECOURSE_DB_PREPARED_STATEMENTS", raising=False)
    config = database_settings("postgres://recourse@db.example/recourse")
    assert config["ENGINE"] == "core.postgresql"
    assert config["OPTIONS"] == {"server_side_binding": True, "prepare_threshold": 2}
    assert config["CONN_MAX_AGE"] == 60


def test_prepared_statements_can_be_turned_off_for_a_pooler_that_cannot_keep_them(monkeypatch):
    from core.settings import database_settings

    monkeypatch.setenv("RECOURSE_DB_PREPARED_STATEMENTS", "0")
    config = database_settings("postgres://recourse@db.example/recourse")
    assert "server_side_binding" not in config.get("OPTIONS", {})
    assert "prepare_threshold" not in config.get("OPTIONS", {})


def test_sqlite_runs_on_the_queued_writer_backend_with_immediate_transactions(tmp_path):
    from core.settings import database_settings

    config = database_settings(f"sqlite:///{tmp_path / 'db.sqlite3'}")
    assert config["ENGINE"] == "core.sqlite"
    assert config["OPTIONS"]["transaction_mode"] == "IMMEDIATE"
    assert config["CONN_MAX_AGE"] == 0


@pytest.mark.django_db
def test_a_query_the_app_repeats_is_prepared_once_on_postgresql():
    from django.db import connection

    from core.models import User

    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL's prepared statements")
    for _ in range(3):
        list(User.objects.filter(username="nobody-by-this-name"))
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        prepared = [row[0] for row in cursor.fetchall()]
    assert any('FROM "core_user"' in sql and "nobody" not in sql for sql in prepared)


@pytest.mark.django_db
def test_a_bulk_insert_of_more_values_than_a_statement_can_bind_is_split_on_postgresql():
    """8 columns a key wrap: 8,200 rows are 65,600 values, over PostgreSQL's 65,535 a statement."""
    import uuid

    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from core.models import KeyWrap

    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL's limit on bound parameters")
    wraps = [
        KeyWrap(
            owner_type="test.thing",
            owner_id=uuid.uuid4(),
            recipient_kind="keyring",
            recipient="keyring",
            kek_id="k1",
            wrapped=b"\x00" * 40,
        )
        for _ in range(8_200)
    ]
    with CaptureQueriesContext(connection) as queries:
        KeyWrap.objects.bulk_create(wraps)
    inserts = [q for q in queries.captured_queries if q["sql"].startswith("INSERT")]
    assert len(inserts) == 2
    assert KeyWrap.objects.filter(owner_type="test.thing").count() == 8_200
