"""The keyring: versioned key-encryption keys and the index key, never stored in the database.

The keyring is JSON: {"active": "k1", "keks": {"k1": "<base64 32 bytes>"}, "index_key": "<base64>",
"index_generation": 1}. It is read from RECOURSE_KEYRING (the JSON itself) or the file named by
RECOURSE_KEYRING_FILE. A file without "index_generation" (written before it existed) is
generation 1.

The index key is a root key only: each purpose (blind index, submission digests, extract row keys,
audit chain) uses its own key derived from it with HKDF under the purpose's label, so a value made
for one purpose is never a valid value for another and one purpose's key can change alone. The
blind-index label carries its generation: a new generation is a new, unrelated blind-index key.
"""

from __future__ import annotations

import base64
import json
import os
import secrets
import tempfile
from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver

from core.crypto.errors import KeyringError

KEY_BYTES = 32
# Marks, extract rows and submission digests made before the keys were separated were keyed with
# the raw index key (generation 0). Only the upgrade and a transition look-up use it.
LEGACY_GENERATION = 0
FIRST_GENERATION = 1
MAX_GENERATION = 32767  # the marks' column is a small integer


def derive_key(root: bytes, label: bytes) -> bytes:
    """A 256-bit key for one purpose (HKDF-SHA256, no salt: the root is already uniform)."""
    return HKDF(algorithm=hashes.SHA256(), length=KEY_BYTES, salt=None, info=label).derive(root)


@dataclass(frozen=True)
class Keyring:
    active: str
    keks: dict[str, bytes]
    index_key: bytes  # the root of the derived keys below; use those, never this
    index_generation: int = FIRST_GENERATION
    path: Path | None = field(default=None, compare=False)

    def kek(self, kek_id: str) -> bytes:
        try:
            return self.keks[kek_id]
        except KeyError:
            raise KeyringError(f"The keyring has no key-encryption key {kek_id!r}.") from None

    @property
    def active_kek(self) -> bytes:
        return self.kek(self.active)

    # Each derived key is cached on the keyring (derived once per loaded keyring): every filing,
    # audited service and extract write asks for one.

    @cached_property
    def audit_key(self) -> bytes:
        """The audit chain's MAC key (its label predates the others: existing chains verify)."""
        return derive_key(self.index_key, b"recourse/audit-chain/v1")

    @cached_property
    def blind_index_key(self) -> bytes:
        """The perpetrator marks' key, of the current blind-index generation."""
        return self.blind_index_key_of(self.index_generation)

    def blind_index_key_of(self, generation: int) -> bytes:
        if generation == LEGACY_GENERATION:
            return self.index_key
        if not FIRST_GENERATION <= generation <= MAX_GENERATION:
            raise KeyringError(f"There is no blind-index generation {generation!r}.")
        return derive_key(self.index_key, f"recourse/blind-index/v{generation}".encode())

    @cached_property
    def submission_digest_key(self) -> bytes:
        """Keys the digest that recognizes a resent filing form."""
        return derive_key(self.index_key, b"recourse/submission-digest/v1")

    @cached_property
    def extract_row_key(self) -> bytes:
        """Keys the hash by which the statistical extract finds a report's record."""
        return derive_key(self.index_key, b"recourse/extract-row/v1")

    @property
    def legacy_key(self) -> bytes:
        """What every purpose used before the keys were separated: only to recognise data made
        then (a resent form, an extract record not yet rekeyed), never to make new values."""
        return self.index_key

    def to_json(self) -> str:
        return json.dumps(
            {
                "active": self.active,
                "keks": {kid: _b64(key) for kid, key in self.keks.items()},
                "index_key": _b64(self.index_key),
                "index_generation": self.index_generation,
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
        return replace(self, active=active, keks=keks)

    def with_active(self, kek_id: str) -> Keyring:
        """A staged key made the active one."""
        if kek_id not in self.keks:
            raise KeyringError(f"The keyring has no key {kek_id!r}.")
        if kek_id == self.active:
            raise KeyringError(f"{kek_id!r} is already the active key.")
        if _kek_number(kek_id) < _kek_number(self.active):
            raise KeyringError(f"{kek_id!r} is older than the active key {self.active!r}.")
        return replace(self, active=kek_id)

    def without_kek(self, kek_id: str) -> Keyring:
        if kek_id == self.active:
            raise KeyringError(f"{kek_id!r} is the active key; rotate before retiring it.")
        self.kek(kek_id)
        keks = {kid: key for kid, key in self.keks.items() if kid != kek_id}
        return replace(self, keks=keks)

    def with_next_index_generation(self) -> Keyring:
        """A new blind-index key: marks must then be rebuilt (blind_index_rebuild) to match."""
        if self.index_generation >= MAX_GENERATION:
            raise KeyringError("The blind index has no generation left.")
        return replace(self, index_generation=self.index_generation + 1)


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
        generation = data.get("index_generation", FIRST_GENERATION)
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise KeyringError("The keyring is not valid keyring JSON.") from exc
    if active not in keks:
        raise KeyringError("The keyring's active key is not among its keys.")
    if any(len(key) != KEY_BYTES for key in [*keks.values(), index_key]):
        raise KeyringError("Every keyring key must be 32 bytes.")
    # JSON true would pass for 1 (a bool is an int in Python): refuse it with the rest.
    if type(generation) is not int or not FIRST_GENERATION <= generation <= MAX_GENERATION:
        raise KeyringError(
            f"The keyring's index_generation must be a whole number from 1 to {MAX_GENERATION}."
        )
    return Keyring(
        active=active, keks=keks, index_key=index_key, index_generation=generation, path=path
    )


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
