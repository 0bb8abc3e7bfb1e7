"""The keyring: versioned key-encryption keys and the blind-index key, never stored in the database.

The keyring is JSON: {"active": "k1", "keks": {"k1": "<base64 32 bytes>"}, "index_key": "<base64>"}.
It is read from RECOURSE_KEYRING (the JSON itself) or the file named by RECOURSE_KEYRING_FILE.
"""

from __future__ import annotations

import base64
import json
import os
import secrets
import tempfile
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver

from core.crypto.errors import KeyringError

KEY_BYTES = 32


@dataclass(frozen=True)
class Keyring:
    active: str
    keks: dict[str, bytes]
    index_key: bytes
    path: Path | None = field(default=None, compare=False)

    def kek(self, kek_id: str) -> bytes:
        try:
            return self.keks[kek_id]
        except KeyError:
            raise KeyringError(f"The keyring has no key-encryption key {kek_id!r}.") from None

    @property
    def active_kek(self) -> bytes:
        return self.kek(self.active)

    @cached_property
    def audit_key(self) -> bytes:
        """The audit chain's MAC key, derived from the index key under its own label (once per
        keyring: every audited service asks for it)."""
        return HKDF(
            algorithm=hashes.SHA256(), length=KEY_BYTES, salt=None, info=b"recourse/audit-chain/v1"
        ).derive(self.index_key)

    def to_json(self) -> str:
        return json.dumps(
            {
                "active": self.active,
                "keks": {kid: _b64(key) for kid, key in self.keks.items()},
                "index_key": _b64(self.index_key),
            },
            indent=2,
            sort_keys=True,
        )

    @property
    def newest(self) -> str:
        """The id of the most recently added key-encryption key."""
        return max(self.keks, key=_kek_number)

    def with_new_kek(self, *, activate: bool = True) -> Keyring:
        """A new key-encryption key, made the active one unless `activate` is False (staged:
        it can open what it wraps on every host the file reaches before it wraps anything)."""
        next_number = 1 + max((_kek_number(kid) for kid in self.keks), default=0)
        kid = f"k{next_number}"
        keks = {**self.keks, kid: secrets.token_bytes(KEY_BYTES)}
        active = kid if activate else self.active
        return Keyring(active=active, keks=keks, index_key=self.index_key, path=self.path)

    def with_active(self, kek_id: str) -> Keyring:
        """A staged key made the active one."""
        if kek_id not in self.keks:
            raise KeyringError(f"The keyring has no key {kek_id!r}.")
        if kek_id == self.active:
            raise KeyringError(f"{kek_id!r} is already the active key.")
        if _kek_number(kek_id) < _kek_number(self.active):
            raise KeyringError(f"{kek_id!r} is older than the active key {self.active!r}.")
        return Keyring(active=kek_id, keks=self.keks, index_key=self.index_key, path=self.path)

    def without_kek(self, kek_id: str) -> Keyring:
        if kek_id == self.active:
            raise KeyringError(f"{kek_id!r} is the active key; rotate before retiring it.")
        self.kek(kek_id)
        keks = {kid: key for kid, key in self.keks.items() if kid != kek_id}
        return Keyring(active=self.active, keks=keks, index_key=self.index_key, path=self.path)


def new_keyring() -> Keyring:
    return Keyring(
        active="k1",
        keks={"k1": secrets.token_bytes(KEY_BYTES)},
        index_key=secrets.token_bytes(KEY_BYTES),
    )


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


def _kek_number(kek_id: str) -> int:
    return int(kek_id[1:]) if kek_id[1:].isdigit() else 0


def parse_keyring(text: str, path: Path | None = None) -> Keyring:
    try:
        data = json.loads(text)
        keks = {
            str(kid): base64.b64decode(value, validate=True) for kid, value in data["keks"].items()
        }
        index_key = base64.b64decode(data["index_key"], validate=True)
        active = str(data["active"])
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise KeyringError("The keyring is not valid keyring JSON.") from exc
    if active not in keks:
        raise KeyringError("The keyring's active key is not among its keys.")
    if any(len(key) != KEY_BYTES for key in [*keks.values(), index_key]):
        raise KeyringError("Every keyring key must be 32 bytes.")
    return Keyring(active=active, keks=keks, index_key=index_key, path=path)


def write_keyring_file(keyring: Keyring, path: Path) -> None:
    """Write atomically with mode 0600, so a crash never leaves a half-written keyring."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".keyring-")
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(keyring.to_json())
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


_cache: Keyring | None = None
_cache_stamp: tuple[int, int, int] | None = None


def _stamp(path: Path) -> tuple[int, int, int] | None:
    try:
        info = path.stat()
    except FileNotFoundError:
        return None
    return (info.st_ino, info.st_mtime_ns, info.st_size)


def load_keyring() -> Keyring:
    """The configured keyring; in development a missing keyring file is created (mode 0600).

    A keyring file is re-read whenever it changes (rotation replaces it, so it gets a new inode):
    many web and task processes run at once, and each must see a rotation made by another.
    """
    global _cache, _cache_stamp
    if settings.RECOURSE_KEYRING:
        if _cache is None:
            _cache = parse_keyring(settings.RECOURSE_KEYRING)
        return _cache
    if not settings.RECOURSE_KEYRING_FILE:
        raise KeyringError("No keyring: set RECOURSE_KEYRING_FILE or RECOURSE_KEYRING.")
    path = Path(settings.RECOURSE_KEYRING_FILE)
    stamp = _stamp(path)
    if _cache is not None and stamp is not None and stamp == _cache_stamp:
        return _cache
    if stamp is None:
        if not settings.RECOURSE_CREATE_KEYRING:
            raise KeyringError("The keyring file named by RECOURSE_KEYRING_FILE does not exist.")
        write_keyring_file(new_keyring(), path)
        stamp = _stamp(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise KeyringError("The keyring file cannot be read.") from exc
    _cache, _cache_stamp = parse_keyring(text, path=path), stamp
    return _cache


def save_keyring(keyring: Keyring) -> None:
    """Persist a changed keyring to its file (an inline RECOURSE_KEYRING cannot be)."""
    global _cache
    if keyring.path is None:
        raise KeyringError(
            "The keyring comes from RECOURSE_KEYRING; change it there, "
            "or use RECOURSE_KEYRING_FILE."
        )
    write_keyring_file(keyring, keyring.path)
    clear_keyring_cache()


def clear_keyring_cache() -> None:
    global _cache, _cache_stamp
    _cache, _cache_stamp = None, None


@receiver(setting_changed)
def _on_setting_changed(*, setting: str, **kwargs: object) -> None:
    if setting.startswith("RECOURSE_KEYRING") or setting == "RECOURSE_CREATE_KEYRING":
        clear_keyring_cache()
