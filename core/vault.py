"""Where encrypted files live: one ciphertext file per object under MEDIA_ROOT."""

import os
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import BinaryIO
from uuid import UUID

from django.conf import settings


def _path(kind: str, object_id: UUID) -> Path:
    name = str(object_id)
    return Path(settings.MEDIA_ROOT) / kind / name[:2] / f"{name}.bin"


def vault_write(kind: str, object_id: UUID, ciphertext: Iterable[bytes]) -> int:
    """Write ciphertext pieces to the object's file; returns the bytes written."""
    target = _path(kind, object_id)
    target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".partial-")
    written = 0
    try:
        with os.fdopen(fd, "wb") as handle:
            for piece in ciphertext:
                handle.write(piece)
                written += len(piece)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return written


def vault_open(kind: str, object_id: UUID) -> BinaryIO:
    return _path(kind, object_id).open("rb")


def vault_delete(kind: str, object_id: UUID) -> None:
    _path(kind, object_id).unlink(missing_ok=True)
