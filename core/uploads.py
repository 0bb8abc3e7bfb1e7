"""An upload handler that encrypts each chunk as it arrives, so no plaintext byte reaches disk.

Django's own handlers keep small files in memory and spill large ones to a temporary file in the
clear. This one seals every chunk under a fresh key that lives only in memory, writes ciphertext to
its temporary file, and hands the view a file object that decrypts as it is read. The service then
streams it into the report's own encryption. Files past the size limit are counted but not kept,
so the service can refuse them with a clear message.
"""

import secrets
import tempfile
from collections.abc import Iterator
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.core.files.uploadhandler import FileUploadHandler

from core.crypto.files import StreamSealer, open_stream

_CONTEXT = "upload"


class EncryptedUpload(UploadedFile):
    """An uploaded file held as ciphertext; chunks() yields the plaintext."""

    def __init__(
        self, *, spool: Any, key: bytes, name: str, content_type: str, size: int, too_large: bool
    ) -> None:
        super().__init__(spool, name=name, content_type=content_type, size=size)
        self._key = key
        self.too_large = too_large

    def chunks(self, chunk_size: int | None = None) -> Iterator[bytes]:
        if self.too_large:
            raise ValueError("An upload past the size limit has no content.")
        spool = self.file
        assert spool is not None  # noqa: S101  (set in __init__, never cleared)
        spool.seek(0)
        yield from open_stream(self._key, spool, context=_CONTEXT)  # type: ignore[arg-type]

    def read(self, *args: Any, **kwargs: Any) -> bytes:
        return b"".join(self.chunks())

    def multiple_chunks(self, chunk_size: int | None = None) -> bool:
        return True


class EncryptingUploadHandler(FileUploadHandler):
    def new_file(self, *args: Any, **kwargs: Any) -> None:
        super().new_file(*args, **kwargs)
        self._key = secrets.token_bytes(32)
        self._spool = tempfile.TemporaryFile(dir=settings.FILE_UPLOAD_TEMP_DIR)  # noqa: SIM115
        self._sealer = StreamSealer(self._key, context=_CONTEXT, stream_id=secrets.token_bytes(8))
        self._spool.write(self._sealer.header)
        self._size = 0
        self._too_large = False

    def receive_data_chunk(self, raw_data: bytes, start: int) -> None:
        self._size += len(raw_data)
        if self._size > settings.RECOURSE_MAX_UPLOAD_BYTES:
            self._too_large = True
        if not self._too_large:
            self._spool.write(self._sealer.update(raw_data))
        return None  # consumed: no other handler sees the data

    def file_complete(self, file_size: int) -> EncryptedUpload:
        if self._too_large:
            self._spool.truncate(0)
        else:
            self._spool.write(self._sealer.finalize())
        self._spool.flush()
        return EncryptedUpload(
            spool=self._spool,
            key=self._key,
            name=self.file_name or "upload",
            content_type=self.content_type or "application/octet-stream",
            size=file_size,
            too_large=self._too_large,
        )
