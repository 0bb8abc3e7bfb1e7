"""Streamed file encryption (core.crypto.files): chunks cannot be dropped, moved, added or cut."""

import io
import os

import pytest

from core.crypto.errors import CryptoError
from core.crypto.files import (
    CHUNK,
    HEADER_BYTES,
    TAG_BYTES,
    StreamSealer,
    ciphertext_size,
    open_stream,
    seal_stream,
)

KEY = bytes(range(32))
CONTEXT = "evidence:0b5e1c3a-5a43-4c39-a8a4-0d1b0f9a1c11"
SEALED_CHUNK = CHUNK + TAG_BYTES


def _plaintext(size: int) -> bytes:
    return os.urandom(size)


def _pieces(data: bytes, size: int) -> list[bytes]:
    return [data[i : i + size] for i in range(0, len(data), size)]


def _seal(data: bytes, *, piece: int = 10_000, key: bytes = KEY, context: str = CONTEXT) -> bytes:
    stream = seal_stream(key, _pieces(data, piece), context=context, stream_id=os.urandom(8))
    return b"".join(stream)


def _open(blob: bytes, *, key: bytes = KEY, context: str = CONTEXT) -> bytes:
    return b"".join(open_stream(key, io.BytesIO(blob), context=context))


def _split(blob: bytes) -> tuple[bytes, list[bytes]]:
    return blob[:HEADER_BYTES], _pieces(blob[HEADER_BYTES:], SEALED_CHUNK)


@pytest.fixture(scope="module")
def four_chunks() -> tuple[bytes, bytes]:
    data = _plaintext(3 * CHUNK + 5)
    return data, _seal(data)


@pytest.mark.parametrize("size", [0, 1, CHUNK - 1, CHUNK, CHUNK + 1, 2 * CHUNK, 3 * CHUNK + 5])
def test_a_stream_opens_to_the_same_bytes(size):
    data = _plaintext(size)
    assert _open(_seal(data)) == data


@pytest.mark.parametrize(
    ("size", "piece"),
    [(300, 1), (2 * CHUNK + 17, 4096), (2 * CHUNK + 17, CHUNK), (2 * CHUNK + 17, CHUNK + 3)],
)
def test_the_way_plaintext_is_fed_does_not_matter(size, piece):
    data = _plaintext(size)
    assert _open(_seal(data, piece=piece)) == data


@pytest.mark.parametrize("size", [0, 1, CHUNK - 1, CHUNK, CHUNK + 1, 2 * CHUNK, 3 * CHUNK + 5])
def test_ciphertext_size_matches_the_actual_output(size):
    assert len(_seal(_plaintext(size))) == ciphertext_size(size)


def test_the_stream_layout_is_header_then_full_chunks_then_a_short_final_chunk(four_chunks):
    _, blob = four_chunks
    header, chunks = _split(blob)
    assert header.startswith(b"RCF1")
    assert [len(chunk) for chunk in chunks] == [SEALED_CHUNK] * 3 + [5 + TAG_BYTES]


def test_the_ciphertext_contains_no_plaintext():
    data = b"CANARY-file-body " * 10_000
    blob = _seal(data)
    assert b"CANARY" not in blob


def test_the_sealer_emits_nothing_until_it_has_more_than_a_chunk():
    sealer = StreamSealer(KEY, context=CONTEXT, stream_id=b"\x00" * 8)
    assert sealer.update(b"a" * CHUNK) == b""
    assert len(sealer.update(b"a")) == SEALED_CHUNK
    assert len(sealer.finalize()) == 1 + TAG_BYTES


def test_truncation_at_a_chunk_boundary_fails(four_chunks):
    data, blob = four_chunks
    header, chunks = _split(blob)
    for keep in (1, 2, 3):
        with pytest.raises(CryptoError):
            _open(header + b"".join(chunks[:keep]))


def test_truncation_in_the_middle_of_a_chunk_fails(four_chunks):
    _, blob = four_chunks
    for cut in (HEADER_BYTES + 100, HEADER_BYTES + SEALED_CHUNK + 1, len(blob) - 1, len(blob) - 17):
        with pytest.raises(CryptoError):
            _open(blob[:cut])


@pytest.mark.parametrize(
    "cut", [0, 3, HEADER_BYTES - 1, HEADER_BYTES, HEADER_BYTES + TAG_BYTES - 1]
)
def test_a_stream_cut_inside_its_header_or_first_tag_fails(four_chunks, cut):
    _, blob = four_chunks
    with pytest.raises(CryptoError):
        _open(blob[:cut])


def test_an_empty_file_cut_to_its_header_fails():
    blob = _seal(b"")
    assert _open(blob) == b""
    with pytest.raises(CryptoError, match="truncated"):
        _open(blob[:HEADER_BYTES])


def test_dropping_a_middle_chunk_fails(four_chunks):
    _, blob = four_chunks
    header, chunks = _split(blob)
    with pytest.raises(CryptoError):
        _open(header + chunks[0] + chunks[2] + chunks[3])


def test_swapping_two_chunks_fails(four_chunks):
    _, blob = four_chunks
    header, chunks = _split(blob)
    with pytest.raises(CryptoError):
        _open(header + chunks[1] + chunks[0] + chunks[2] + chunks[3])


def test_repeating_a_chunk_fails(four_chunks):
    _, blob = four_chunks
    header, chunks = _split(blob)
    with pytest.raises(CryptoError):
        _open(header + chunks[0] + chunks[0] + chunks[1] + chunks[2] + chunks[3])


def test_appending_a_chunk_fails(four_chunks):
    _, blob = four_chunks
    _, chunks = _split(blob)
    with pytest.raises(CryptoError):
        _open(blob + chunks[1])
    with pytest.raises(CryptoError):
        _open(blob + b"\x00" * SEALED_CHUNK)


def test_a_chunk_from_another_stream_with_the_same_key_fails(four_chunks):
    _, blob = four_chunks
    header, chunks = _split(blob)
    _, other_chunks = _split(_seal(_plaintext(3 * CHUNK + 5)))
    with pytest.raises(CryptoError):
        _open(header + chunks[0] + other_chunks[1] + chunks[2] + chunks[3])


def test_a_stream_opened_under_another_context_fails(four_chunks):
    _, blob = four_chunks
    with pytest.raises(CryptoError):
        _open(blob, context="evidence:another-file")


def test_a_stream_opened_under_another_key_fails(four_chunks):
    _, blob = four_chunks
    with pytest.raises(CryptoError):
        _open(blob, key=os.urandom(32))


def test_a_stream_with_a_wrong_magic_fails(four_chunks):
    _, blob = four_chunks
    with pytest.raises(CryptoError, match="header"):
        _open(b"RCF2" + blob[4:])


@pytest.mark.parametrize(
    "position",
    [5, HEADER_BYTES, HEADER_BYTES + 1000, HEADER_BYTES + SEALED_CHUNK - 1, -TAG_BYTES, -1],
)
def test_flipping_one_bit_anywhere_fails(four_chunks, position):
    _, blob = four_chunks
    altered = bytearray(blob)
    altered[position] ^= 0x01
    with pytest.raises(CryptoError):
        _open(bytes(altered))
