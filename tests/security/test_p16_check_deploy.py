"""SECURITY.md 16: `manage.py check --deploy` passes cleanly with production settings: run as a
deployment would run it, in a fresh process, with nothing from the test settings."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

from core.crypto.keyring import new_keyring, write_keyring_file

REPO_ROOT = Path(__file__).resolve().parents[2]
CHECK_DEPLOY = ["manage.py", "check", "--deploy", "--fail-level", "WARNING"]


def production_env(tmp_path: Path, **overrides: str) -> dict[str, str]:
    """A production-like environment: a long random secret key, one host, a keyring file made
    as `keyring_init` makes it, a database and media directory of its own; DJANGO_DEBUG unset."""
    keyring = tmp_path / "keyring" / "keyring.json"
    write_keyring_file(new_keyring(), keyring)
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("DJANGO_", "RECOURSE_", "DATABASE_URL", "REDIS_URL", "PYTHON"))
    }
    env.update(
        DJANGO_SETTINGS_MODULE="core.settings",
        DJANGO_SECRET_KEY=secrets.token_urlsafe(64),
        DJANGO_ALLOWED_HOSTS="recourse.example.org",
        DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
        RECOURSE_KEYRING_FILE=str(keyring),
        RECOURSE_MEDIA_ROOT=str(tmp_path / "media"),
        RECOURSE_SITE_URL="https://recourse.example.org",
        PYTHONPATH=str(REPO_ROOT),
    )
    env.update(overrides)
    return env


def check_deploy(tmp_path: Path, **overrides: str) -> subprocess.CompletedProcess:
    return subprocess.run(  # noqa: S603 (our own interpreter and command)
        [sys.executable, *CHECK_DEPLOY],
        cwd=REPO_ROOT,
        env=production_env(tmp_path, **overrides),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_check_deploy_passes_cleanly_with_production_settings(tmp_path):
    result = check_deploy(tmp_path)

    assert result.returncode == 0, result.stderr[-3000:]
    assert "System check identified no issues" in result.stdout, result.stdout
    assert "WARNING" not in result.stderr


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({"DJANGO_DEBUG": "1"}, "security.W018"),
        ({"DJANGO_SECURE_SSL_REDIRECT": "0"}, "security.W008"),
    ],
    ids=["debug on", "no https redirect"],
)
def test_check_deploy_fails_on_a_weakened_configuration(tmp_path, overrides, expected):
    """The negative control: the same command does report a weakened deployment."""
    result = check_deploy(tmp_path, **overrides)

    assert result.returncode != 0
    assert expected in result.stderr
