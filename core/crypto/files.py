"""Streamed, chunked AEAD for files: no plaintext needs to be held whole or written anywhere.

Layout: magic "RCF1" | 8-byte random stream id | chunks of (64 KiB plaintext + 16-byte tag).
Chunk i uses nonce = stream id | i (32-bit big endian); its associated data carries the context,
the index and a final-chunk flag, so reordered, dropped, appended or truncated chunks fail.
"""

from collections.abc import Iterable, Iterator
from typing import BinaryIO

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from core.crypto.errors import CryptoError

MAGIC = b"RCF1"
STREAM_ID_BYTES = 8
CHUNK = 64 * 1024
TAG_BYTES = 16
HEADER_BYTES = len(MAGIC) + STREAM_ID_BYTES


def _nonce(stream_id: bytes, index: int) -> bytes:
    if index >= 2**32:
        raise CryptoError("The file is too large for one stream.")
    return stream_id + index.to_bytes(4, "big")


def _aad(context: str, index: int, final: bool) -> bytes:
    return f"recourse:file:v1:{context}:{index}:{int(final)}".encode()


class StreamSealer:
    """Feed plaintext with update(); write out every piece it returns, then finalize()."""

    def __init__(self, key: bytes, *, context: str, stream_id: bytes) -> None:
        self._aes = AESGCM(key)
        self._context = context
        self._stream_id = stream_id
        self._buffer = bytearray()
        self._index = 0
        self.header = MAGIC + stream_id

    def _chunk(self, data: bytes, final: bool) -> bytes:
        nonce = _nonce(self._stream_id, self._index)
        out = self._aes.encrypt(nonce, data, _aad(self._context, self._index, final))
        self._index += 1
        return out

    def update(self, data: bytes) -> bytes:
        self._buffer += data
        out = bytearray()
        # Keep at least one byte back: the last chunk must be sealed with the final flag.
        while len(self._buffer) > CHUNK:
            out += self._chunk(bytes(self._buffer[:CHUNK]), final=False)
            del self._buffer[:CHUNK]
        return bytes(out)

    def finalize(self) -> bytes:
        out = self._chunk(bytes(self._buffer), final=True)
        self._buffer.clear()
        return out


def seal_stream(
    key: bytes, chunks: Iterable[bytes], *, context: str, stream_id: bytes
) -> Iterator[bytes]:
    sealer = StreamSealer(key, context=context, stream_id=stream_id)
    yield sealer.header
    for data in chunks:
        out = sealer.update(data)
        if out:
            yield out
    yield sealer.finalize()


def open_stream(key: bytes, source: BinaryIO, *, context: str) -> Iterator[bytes]:
    """Yield plaintext chunks; raise CryptoError on any tampering, including truncation."""
    header = source.read(HEADER_BYTES)
    if len(header) != HEADER_BYTES or not header.startswith(MAGIC):
        raise CryptoError("The encrypted file has no valid header.")
    aes, stream_id = AESGCM(key), header[len(MAGIC) :]
    index, current = 0, source.read(CHUNK + TAG_BYTES)
    while True:
        following = source.read(CHUNK + TAG_BYTES)
        final = not following
        if len(current) < TAG_BYTES:
            raise CryptoError("The encrypted file is truncated.")
        try:
            yield aes.decrypt(_nonce(stream_id, index), current, _aad(context, index, final))
        except InvalidTag:
            raise CryptoError(
                "The encrypted file does not open: wrong key, place or content."
            ) from None
        if final:
            return
        index, current = index + 1, following


def ciphertext_size(plaintext_size: int) -> int:
    chunks = max(1, -(-plaintext_size // CHUNK))
    return HEADER_BYTES + plaintext_size + chunks * TAG_BYTES
