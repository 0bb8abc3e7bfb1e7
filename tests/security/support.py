"""Helpers shared by the security tests: canaries, raw scans of what lies at rest, API clients."""

import base64
import json
import os
import secrets
import subprocess
from pathlib import Path

from django.conf import settings
from django.db import connection, connections
from django.test import Client
from django.urls import reverse
from knox.models import AuthToken
from rest_framework.test import APIClient

API = "/api/v1"


def canary(label: str = "") -> str:
    """A distinct random string nobody else would write."""
    return f"CANARY-{label}{'-' if label else ''}{secrets.token_hex(8)}"


def _base64_forms(raw: bytes) -> list[bytes]:
    """The base64 text of `raw` at each of the three alignments it can have inside a larger value,
    keeping only the characters that depend on `raw` alone."""
    forms = []
    for offset in range(3):
        encoded = base64.b64encode(b"\x00" * offset + raw)
        start = 4 if offset else 0
        forms.append(encoded[start:-4])
    return forms


def encodings(text: str) -> dict[str, bytes | list[bytes]]:
    """The byte sequences under which `text` could be found at rest, as a sanity measure."""
    forms: dict[str, bytes | list[bytes]] = {}
    for case, variant in (("", text), ("lower ", text.lower()), ("upper ", text.upper())):
        raw = variant.encode("utf-8")
        forms[f"{case}utf-8"] = raw
        forms[f"{case}utf-16-le"] = variant.encode("utf-16-le")
        forms[f"{case}hex"] = [raw.hex().encode(), raw.hex().upper().encode()]
        forms[f"{case}base64"] = _base64_forms(raw)
    return forms


def _media_files() -> list[Path]:
    media = Path(settings.MEDIA_ROOT)
    return [path for path in media.rglob("*") if path.is_file()] if media.exists() else []


def at_rest_paths() -> list[Path]:
    """The SQLite test database file with its journals, and every file under MEDIA_ROOT."""
    database = Path(settings.DATABASES["default"]["TEST"]["NAME"])
    paths = [database]
    paths += [Path(f"{database}{suffix}") for suffix in ("-journal", "-wal", "-shm")]
    return [path for path in paths if path.is_file()] + _media_files()


def _postgres_dump() -> bytes:
    """A full dump of the test database, as a backup of it would be (pg_dump, custom format
    without compression, so the scan sees the stored bytes)."""
    db = connection.settings_dict
    pg_bin = sorted(Path("/usr/lib/postgresql").glob("*/bin"))
    pg_dump = str(pg_bin[-1] / "pg_dump") if pg_bin else "pg_dump"
    env = {**os.environ, "PGPASSWORD": db["PASSWORD"] or ""}
    return subprocess.run(  # noqa: S603 (the server's own dump tool)
        [pg_dump, "-h", db["HOST"], "-p", str(db["PORT"]), "-U", db["USER"], "-Fc", "-Z0"]
        + [db["NAME"]],
        env=env,
        capture_output=True,
        check=True,
    ).stdout


def read_at_rest() -> dict[Path, bytes]:
    """The raw bytes of the database and the media files. SQLite: every connection is closed
    (so everything is written out) and the files read. PostgreSQL: a dump of the database."""
    if connection.vendor == "postgresql":
        blobs = {Path("pg_dump"): _postgres_dump()}
        return blobs | {path: path.read_bytes() for path in _media_files()}
    assert connection.settings_dict["NAME"] == settings.DATABASES["default"]["TEST"]["NAME"]
    connections.close_all()
    return {path: path.read_bytes() for path in at_rest_paths()}


def find(blobs: dict[Path, bytes], secrets_by_label: dict[str, str]) -> list[str]:
    """Every (label, encoding, file) where a secret appears in the raw bytes."""
    found = []
    for label, text in secrets_by_label.items():
        for encoding, forms in encodings(text).items():
            needles = forms if isinstance(forms, list) else [forms]
            for path, blob in blobs.items():
                if any(needle in blob for needle in needles):
                    found.append(f"{label} ({encoding}) in {path.name}")
    return found


def token_client(user) -> APIClient:
    client = APIClient()
    _, token = AuthToken.objects.create(user=user)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return client


def receipt_client(receipt: str) -> APIClient:
    """An API client signed in the way an anonymous reporter signs in: with the receipt."""
    client = APIClient()
    response = client.post(f"{API}/anonymous/login/", {"receipt": receipt}, format="json")
    assert response.status_code == 200, response.content
    client.credentials(HTTP_AUTHORIZATION=f"Token {response.json()['token']}")
    return client


def report_payload(**overrides) -> dict:
    payload = {
        "role": "candidate",
        "region": "eastern",
        "narrative": "Someone posted my home address under my campaign video.",
        "occurred_on": "2025-10-01",
        "channels": ["facebook"],
        "abuse_types": ["doxxing"],
        "perpetrator_identifiers": ["@someone"],
        "municipality": "Smallville",
        "contact_details": "Text me after 6 pm",
    }
    payload.update(overrides)
    return payload


def incident_payload(**overrides) -> dict:
    payload = {
        "narrative": "They called the campaign office again.",
        "occurred_on": "2025-10-02",
        "channels": ["phone"],
        "abuse_types": ["stalking"],
        "perpetrator_identifiers": [],
    }
    payload.update(overrides)
    return payload


def receipt_web_client(receipt: str) -> Client:
    """A browser session opened the way an anonymous reporter opens it: with the receipt."""
    client = Client()
    response = client.post(reverse("incidents:anonymous_open"), {"receipt": receipt})
    assert response.status_code == 302, response.content
    return client


def stored_values() -> list[tuple[str, bytes]]:
    """Every value of every column of every row of every table, as bytes, with its table."""
    values = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            cursor.execute(f'SELECT * FROM "{table}"')  # noqa: S608 (names from introspection)
            for row in cursor.fetchall():
                values += [(table, _as_bytes(value)) for value in row if value is not None]
    return values


def _as_bytes(value) -> bytes:
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value)
    return str(value).encode("utf-8")


def tables_holding(texts: list[str]) -> set[str]:
    """Tables with a value containing any of `texts`, in any letter case."""
    needles = {variant.encode() for text in texts for variant in (text, text.lower(), text.upper())}
    return {table for table, value in stored_values() if any(n in value for n in needles)}


def production_settings(tmp_path: Path, script: str) -> dict:
    """What `script` prints (JSON) with the settings as production loads them: DJANGO_DEBUG
    unset, nothing from the test run's environment."""
    from tests.core.test_settings import SECRET, _run

    result = _run(tmp_path, ["-c", script], DJANGO_SECRET_KEY=SECRET)
    assert result.returncode == 0, result.stderr[-2000:]
    return json.loads(result.stdout.strip().splitlines()[-1])
