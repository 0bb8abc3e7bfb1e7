"""Loading the keyring: fail closed with a clear error; create it 0600 only in development."""

import base64
import json
import stat
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from core.checks import keyring_check
from core.crypto.errors import KeyringError
from core.crypto.keyring import (
    Keyring,
    clear_keyring_cache,
    load_keyring,
    new_keyring,
    parse_keyring,
    write_keyring_file,
)


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


def _keyring_json(**overrides) -> str:
    data = {"active": "k1", "keks": {"k1": _b64(b"\x01" * 32)}, "index_key": _b64(b"\x02" * 32)}
    data.update(overrides)
    return json.dumps(data)


@pytest.fixture
def missing_keyring(settings, tmp_path):
    path = tmp_path / "missing" / "keyring.json"
    settings.RECOURSE_KEYRING = None
    settings.RECOURSE_KEYRING_FILE = str(path)
    settings.RECOURSE_CREATE_KEYRING = False
    yield path
    clear_keyring_cache()


def test_a_valid_keyring_parses():
    keyring = parse_keyring(_keyring_json())
    assert keyring.active == "k1"
    assert keyring.active_kek == b"\x01" * 32
    assert keyring.index_key == b"\x02" * 32


def test_a_keyring_survives_a_json_round_trip():
    keyring = new_keyring().with_new_kek()
    assert parse_keyring(keyring.to_json()) == keyring


@pytest.mark.parametrize(
    "text",
    [
        "",
        "not json",
        "{",
        "[]",
        "null",
        '"keyring"',
        "{}",
        _keyring_json(keks=[]),
        _keyring_json(keks={"k1": "not base64!"}),
        _keyring_json(keks={"k1": 12345}),
        _keyring_json(index_key=None),
        json.dumps({"keks": {"k1": _b64(b"\x01" * 32)}, "index_key": _b64(b"\x02" * 32)}),
    ],
)
def test_a_malformed_keyring_is_a_keyring_error(text):
    with pytest.raises(KeyringError, match="not valid keyring JSON"):
        parse_keyring(text)


@pytest.mark.parametrize(
    "text",
    [
        _keyring_json(keks={"k1": _b64(b"\x01" * 16)}),
        _keyring_json(keks={"k1": _b64(b"\x01" * 33)}),
        _keyring_json(keks={"k1": _b64(b"\x01" * 32), "k0": _b64(b"")}),
        _keyring_json(index_key=_b64(b"\x02" * 31)),
    ],
)
def test_a_keyring_with_a_key_of_the_wrong_length_is_a_keyring_error(text):
    with pytest.raises(KeyringError, match="32 bytes"):
        parse_keyring(text)


@pytest.mark.parametrize("active", ["k2", "", "K1"])
def test_a_keyring_whose_active_key_is_missing_is_a_keyring_error(active):
    with pytest.raises(KeyringError, match="active key"):
        parse_keyring(_keyring_json(active=active))


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=50),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=12,
)
keyring_like = st.fixed_dictionaries(
    {},
    optional={
        "active": json_values,
        "keks": st.dictionaries(st.text(max_size=4), json_values | st.just(_b64(b"\x01" * 32))),
        "index_key": json_values | st.just(_b64(b"\x02" * 32)),
    },
)


@hypothesis_settings(max_examples=100, deadline=None)
@given(st.one_of(st.text(), json_values.map(json.dumps), keyring_like.map(json.dumps)))
def test_parsing_any_text_gives_a_keyring_or_a_keyring_error(text):
    try:
        keyring = parse_keyring(text)
    except KeyringError:
        return
    assert isinstance(keyring, Keyring)
    assert keyring.active in keyring.keks


@pytest.mark.parametrize("bad", ["{not json", _keyring_json(index_key=_b64(b"short"))])
def test_a_malformed_keyring_file_is_a_keyring_error(keyring_file, bad):
    keyring_file.parent.mkdir(parents=True)
    keyring_file.write_text(bad)
    with pytest.raises(KeyringError):
        load_keyring()
    assert keyring_file.read_text() == bad


def test_a_missing_keyring_file_is_an_error_outside_development(missing_keyring):
    with pytest.raises(KeyringError, match="does not exist"):
        load_keyring()
    assert not missing_keyring.exists()


def test_no_keyring_configured_is_an_error(settings):
    settings.RECOURSE_KEYRING = None
    settings.RECOURSE_KEYRING_FILE = None
    try:
        with pytest.raises(KeyringError, match="No keyring"):
            load_keyring()
    finally:
        clear_keyring_cache()


def test_the_development_keyring_is_created_with_mode_0600(keyring_file):
    assert not keyring_file.exists()
    keyring = load_keyring()
    assert stat.S_IMODE(keyring_file.stat().st_mode) == 0o600
    assert parse_keyring(keyring_file.read_text()) == keyring
    assert keyring.path == keyring_file


def test_the_development_keyring_is_created_once_and_then_reused(keyring_file):
    first = load_keyring()
    clear_keyring_cache()
    assert load_keyring() == first


def test_writing_a_keyring_replaces_a_loose_file_with_a_0600_one(tmp_path):
    path = tmp_path / "keyring.json"
    path.write_text("old")
    path.chmod(0o644)
    write_keyring_file(new_keyring(), path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert [p.name for p in tmp_path.iterdir()] == ["keyring.json"]


def test_the_keyring_check_reports_a_missing_file_as_recourse_e001(missing_keyring):
    errors = keyring_check()
    assert [error.id for error in errors] == ["recourse.E001"]
    assert "RECOURSE_KEYRING_FILE" in errors[0].msg
    assert "does not exist" in errors[0].msg
    assert "keyring_init" in errors[0].hint
    assert not missing_keyring.exists()


def test_the_keyring_check_reports_a_malformed_file_as_recourse_e001(missing_keyring):
    missing_keyring.parent.mkdir(parents=True)
    missing_keyring.write_text(_keyring_json(active="k5"))
    errors = keyring_check()
    assert [error.id for error in errors] == ["recourse.E001"]
    assert "active key" in errors[0].msg


def test_the_keyring_check_passes_with_a_valid_keyring(missing_keyring):
    write_keyring_file(new_keyring(), missing_keyring)
    assert keyring_check() == []


def test_the_keyring_check_passes_with_an_inline_keyring(settings):
    settings.RECOURSE_KEYRING = _keyring_json()
    settings.RECOURSE_KEYRING_FILE = None
    try:
        assert keyring_check() == []
    finally:
        clear_keyring_cache()


def test_the_keyring_check_error_does_not_reveal_key_material(settings):
    secret = _b64(b"\x07" * 31)
    settings.RECOURSE_KEYRING = _keyring_json(index_key=secret)
    settings.RECOURSE_KEYRING_FILE = None
    try:
        errors = keyring_check()
    finally:
        clear_keyring_cache()
    assert [error.id for error in errors] == ["recourse.E001"]
    assert secret not in errors[0].msg
    assert _b64(b"\x01" * 32) not in errors[0].msg


def test_keyring_init_writes_a_new_0600_keyring(tmp_path):
    path = tmp_path / "secrets" / "keyring.json"
    out = StringIO()
    call_command("keyring_init", str(path), stdout=out)
    keyring = parse_keyring(path.read_text())
    assert keyring.active == "k1"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert "RECOURSE_KEYRING_FILE" in out.getvalue()


def test_keyring_init_never_overwrites_a_keyring(tmp_path):
    path = tmp_path / "keyring.json"
    call_command("keyring_init", str(path), stdout=StringIO())
    before = path.read_text()
    with pytest.raises(CommandError, match="exists"):
        call_command("keyring_init", str(path), stdout=StringIO())
    assert path.read_text() == before


def test_two_new_keyrings_share_no_key():
    first, second = new_keyring(), new_keyring()
    assert first.active_kek != second.active_kek
    assert first.index_key != second.index_key
    assert first.active_kek != first.index_key
