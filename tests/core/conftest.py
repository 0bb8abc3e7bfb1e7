from pathlib import Path

import pytest

from core.crypto.keyring import clear_keyring_cache


@pytest.fixture
def keyring_file(settings, tmp_path) -> Path:
    """A fresh, writable keyring file for this test only (created on first use)."""
    path = tmp_path / "keys" / "keyring.json"
    settings.RECOURSE_KEYRING = None
    settings.RECOURSE_KEYRING_FILE = str(path)
    settings.RECOURSE_CREATE_KEYRING = True
    yield path
    clear_keyring_cache()
