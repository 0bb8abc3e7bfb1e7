"""Sealed fields (core.crypto.aead, .sealed): bound to their place, padded, tamper-evident."""

import os
import uuid

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.crypto import aead, sealed
from core.crypto.errors import CryptoError

TABLE = "incidents_report"
BLOB_OVERHEAD = 1 + aead.NONCE_BYTES + aead.TAG_BYTES


@pytest.fixture
def key() -> bytes:
    return os.urandom(32)


@pytest.fixture
def place() -> dict:
    return {"table": TABLE, "public_id": uuid.uuid4(), "field": "contact"}


@pytest.mark.parametrize(
    "value",
    [
        "Text me after 6 pm",
        "",
        "Éloïse — 日本語 — 🙂",
        ["@someone", "x.com/someone", "+14165550123"],
        {"name": "note.txt", "size": 14, "nested": [1, 2.5, None, True]},
        "x" * 10_000,
    ],
)
def test_a_sealed_value_opens_to_the_same_value(key, place, value):
    blob = sealed.seal_value(key, value, **place)
    assert sealed.open_value(key, blob, **place) == value


def test_sealed_bytes_open_to_the_same_bytes(key, place):
    data = bytes(range(256)) + b"\x00\x00\x80\x00"
    assert sealed.open_bytes(key, sealed.seal_bytes(key, data, **place), **place) == data


def test_a_sealed_blob_contains_no_plaintext(key, place):
    blob = sealed.seal_value(key, "CANARY-7f3a9c-in-the-narrative", **place)
    assert b"CANARY" not in blob
    assert b"7f3a9c" not in blob


def test_sealing_the_same_value_twice_gives_different_blobs(key, place):
    assert sealed.seal_value(key, "same", **place) != sealed.seal_value(key, "same", **place)


def test_a_blob_moved_to_another_row_does_not_open(key, place):
    blob = sealed.seal_value(key, "Text me after 6 pm", **place)
    other_row = {**place, "public_id": uuid.uuid4()}
    with pytest.raises(CryptoError):
        sealed.open_value(key, blob, **other_row)


def test_blobs_swapped_between_two_rows_open_in_neither(key):
    first, second = uuid.uuid4(), uuid.uuid4()
    blob_first = sealed.seal_value(key, "first", table=TABLE, public_id=first, field="contact")
    blob_second = sealed.seal_value(key, "second", table=TABLE, public_id=second, field="contact")
    with pytest.raises(CryptoError):
        sealed.open_value(key, blob_second, table=TABLE, public_id=first, field="contact")
    with pytest.raises(CryptoError):
        sealed.open_value(key, blob_first, table=TABLE, public_id=second, field="contact")


def test_a_blob_moved_to_another_field_does_not_open(key, place):
    blob = sealed.seal_value(key, "Smallville", **{**place, "field": "municipality"})
    with pytest.raises(CryptoError):
        sealed.open_value(key, blob, **{**place, "field": "contact"})


def test_a_blob_moved_to_another_table_does_not_open(key, place):
    blob = sealed.seal_value(key, "Smallville", **place)
    with pytest.raises(CryptoError):
        sealed.open_value(key, blob, **{**place, "table": "incidents_incident"})


def test_a_blob_does_not_open_under_another_key(key, place):
    blob = sealed.seal_value(key, "Smallville", **place)
    with pytest.raises(CryptoError):
        sealed.open_value(os.urandom(32), blob, **place)


@pytest.mark.parametrize("keep", [0, 1, 12, 13, BLOB_OVERHEAD - 1, BLOB_OVERHEAD, -1, -16])
def test_a_truncated_blob_does_not_open(key, place, keep):
    blob = sealed.seal_value(key, "Text me after 6 pm", **place)
    with pytest.raises(CryptoError):
        sealed.open_value(key, blob[:keep], **place)


def test_a_blob_with_bytes_appended_does_not_open(key, place):
    blob = sealed.seal_value(key, "Text me after 6 pm", **place)
    with pytest.raises(CryptoError):
        sealed.open_value(key, blob + b"\x00", **place)


def _bit_positions(length: int) -> list[int]:
    """Bits in the version byte, the nonce, the ciphertext and the tag."""
    tag_start = length - aead.TAG_BYTES
    bytes_ = [0, 1, 6, aead.NONCE_BYTES, 1 + aead.NONCE_BYTES, 40, tag_start - 1, tag_start]
    bytes_ += [length - 8, length - 1]
    return [byte * 8 + bit for byte in bytes_ for bit in (0, 7)]


def test_flipping_any_single_bit_makes_the_blob_fail(key, place):
    blob = sealed.seal_value(key, "Text me after 6 pm", **place)
    positions = _bit_positions(len(blob))
    assert len(set(positions)) == len(positions) >= 20
    for position in positions:
        altered = bytearray(blob)
        altered[position // 8] ^= 1 << (position % 8)
        with pytest.raises(CryptoError):
            sealed.open_value(key, bytes(altered), **place)


@settings(max_examples=60, deadline=None)
@given(position=st.integers(min_value=0))
def test_flipping_a_random_bit_makes_the_blob_fail(position):
    key, public_id = b"k" * 32, uuid.UUID(int=1)
    blob = sealed.seal_value(key, "a narrative", table=TABLE, public_id=public_id, field="x")
    position %= len(blob) * 8
    altered = bytearray(blob)
    altered[position // 8] ^= 1 << (position % 8)
    with pytest.raises(CryptoError):
        sealed.open_value(key, bytes(altered), table=TABLE, public_id=public_id, field="x")


@pytest.mark.parametrize("version", [b"\x00", b"\x02", b"\xff"])
def test_a_blob_of_an_unknown_version_does_not_open(key, place, version):
    blob = sealed.seal_value(key, "Text me after 6 pm", **place)
    assert blob[:1] == aead.VERSION
    with pytest.raises(CryptoError, match="unknown version"):
        sealed.open_value(key, version + blob[1:], **place)


def test_the_error_message_does_not_echo_the_content(key, place):
    blob = sealed.seal_value(key, "CANARY-secret", **place)
    with pytest.raises(CryptoError) as caught:
        sealed.open_value(key, blob, **{**place, "field": "other"})
    assert "CANARY" not in str(caught.value)
    assert str(place["public_id"]) not in str(caught.value)


def test_a_blob_accepts_a_memoryview_as_stored_by_the_database(key, place):
    blob = sealed.seal_value(key, "Smallville", **place)
    assert sealed.open_value(key, memoryview(blob), **place) == "Smallville"


def test_short_plaintexts_of_different_lengths_give_blobs_of_the_same_length(key, place):
    one = sealed.seal_value(key, "a", **place)
    fifty = sealed.seal_value(key, "b" * 50, **place)
    assert len(one) == len(fifty) == BLOB_OVERHEAD + 64


@pytest.mark.parametrize(
    ("length", "padded"),
    [
        (0, 64),
        (1, 64),
        (63, 64),
        (64, 256),
        (255, 256),
        (256, 1024),
        (1023, 1024),
        (1024, 4096),
        (4095, 4096),
        (4096, 8192),
        (8191, 8192),
        (8192, 12288),
        (100_000, 102_400),
    ],
)
def test_lengths_are_padded_to_buckets_then_to_whole_4_kib_blocks(key, place, length, padded):
    assert sealed.padded_length(length) == padded
    assert len(sealed.pad(b"x" * length)) == padded
    blob = sealed.seal_bytes(key, b"x" * length, **place)
    assert len(blob) == BLOB_OVERHEAD + padded


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=5000))
def test_unpad_undoes_pad_for_any_bytes(data):
    padded = sealed.pad(data)
    assert len(padded) in (64, 256, 1024, 4096) or len(padded) % 4096 == 0
    assert len(padded) > len(data)
    assert sealed.unpad(padded) == data


@pytest.mark.parametrize(
    "malformed", [b"", b"\x00" * 64, b"abc", b"abc\x80\x01", b"\x81" + b"\x00" * 63]
)
def test_unpad_of_malformed_padding_raises(malformed):
    with pytest.raises(CryptoError, match="padding"):
        sealed.unpad(malformed)


def test_an_authentic_blob_without_padding_is_refused(key, place):
    context = sealed.field_context(place["table"], place["public_id"], place["field"])
    blob = aead.seal(key, b'"no end mark"', context=context)
    with pytest.raises(CryptoError, match="padding"):
        sealed.open_value(key, blob, **place)


def test_an_authentic_blob_that_is_not_json_is_refused(key, place):
    blob = sealed.seal_bytes(key, b"\xff\xfe not json", **place)
    with pytest.raises(CryptoError, match="JSON"):
        sealed.open_value(key, blob, **place)
