"""Data keys of sealed owners (reports): create, unwrap, rewrap under a new KEK, destroy."""

from typing import Protocol
from uuid import UUID

from django.db import connection, transaction

from core.crypto import envelope
from core.crypto.keyring import load_keyring
from core.models import KeyWrap, RecipientKind

SYSTEM = "system"


class KeyOwner(Protocol):
    public_id: UUID

    @property
    def _meta(self) -> object: ...


_FRESH_KEY = "_recourse_fresh_data_key"


def _owner_type(owner: KeyOwner) -> str:
    return owner._meta.label_lower  # type: ignore[attr-defined]


def _context(owner_type: str, owner_id: UUID | str, wrap_kind: str, recipient: str) -> str:
    return envelope.wrap_context(f"{owner_type}:{owner_id}", wrap_kind, recipient)


def data_key_new(owner: KeyOwner) -> tuple[bytes, KeyWrap]:
    """A new random data key for `owner`, and its wrap under the active KEK, not stored yet:
    store the wrap with the new owner's row (core.inserts.insert_together), in one transaction."""
    keyring = load_keyring()
    dek = envelope.new_dek()
    otype = _owner_type(owner)
    wrap = KeyWrap(
        owner_type=otype,
        owner_id=owner.public_id,
        recipient_kind=RecipientKind.KEYRING,
        recipient=SYSTEM,
        kek_id=keyring.active,
        wrapped=envelope.wrap_dek(
            dek,
            keyring=keyring,
            kek_id=keyring.active,
            context=_context(otype, owner.public_id, RecipientKind.KEYRING, SYSTEM),
        ),
    )
    # The service that made the key seals with it again in the same request (filing a report
    # opens its case): keep it on this instance, so it is not read back and unwrapped at once.
    owner.__dict__[_FRESH_KEY] = dek
    return dek, wrap


def data_key_create(owner: KeyOwner) -> bytes:
    """A new random data key for `owner`, its wrap stored now."""
    dek, wrap = data_key_new(owner)
    wrap.save()
    return dek


def data_key(owner: KeyOwner) -> bytes:
    """Unwrap `owner`'s data key. Raises KeyWrap.DoesNotExist once the owner was crypto-shredded."""
    fresh = owner.__dict__.get(_FRESH_KEY)
    if fresh is not None:
        return fresh
    otype = _owner_type(owner)
    wrap = KeyWrap.objects.get(
        owner_type=otype,
        owner_id=owner.public_id,
        recipient_kind=RecipientKind.KEYRING,
        recipient=SYSTEM,
    )
    return envelope.unwrap_dek(
        bytes(wrap.wrapped),
        keyring=load_keyring(),
        kek_id=wrap.kek_id,
        context=_context(otype, owner.public_id, wrap.recipient_kind, wrap.recipient),
    )


def data_key_destroy(owner: KeyOwner) -> int:
    """Crypto-shred: delete every wrap, after which no key on earth opens the owner's content."""
    owner.__dict__.pop(_FRESH_KEY, None)
    deleted, _ = KeyWrap.objects.filter(
        owner_type=_owner_type(owner), owner_id=owner.public_id
    ).delete()
    transaction.on_commit(_empty_write_ahead_log)
    return deleted


def _empty_write_ahead_log() -> None:
    """SQLite: secure_delete zeroes a deleted wrap in the database's pages, but the write-ahead
    log may still hold earlier copies of those pages, the wrap in them, for as long as any
    connection stays open. Once the deletion is committed, copy the log into the database and
    cut it to nothing. PostgreSQL keeps no such file in the data a backup or a copy holds."""
    if connection.vendor == "sqlite" and not connection.in_atomic_block:  # none inside one
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")


def keywraps_rewrap_batch(*, batch_size: int) -> int:
    """Rewrap up to `batch_size` keyring wraps still under an older KEK; returns how many."""
    keyring = load_keyring()
    with transaction.atomic():
        wraps = list(
            KeyWrap.objects.select_for_update()
            .filter(recipient_kind=RecipientKind.KEYRING)
            .exclude(kek_id=keyring.active)
            .order_by("pk")[:batch_size]
        )
        for wrap in wraps:
            context = _context(wrap.owner_type, wrap.owner_id, wrap.recipient_kind, wrap.recipient)
            dek = envelope.unwrap_dek(
                bytes(wrap.wrapped), keyring=keyring, kek_id=wrap.kek_id, context=context
            )
            wrap.wrapped = envelope.wrap_dek(
                dek, keyring=keyring, kek_id=keyring.active, context=context
            )
            wrap.kek_id = keyring.active
            wrap.save(update_fields=["wrapped", "kek_id", "updated_at"])
    return len(wraps)


def keywraps_using(kek_id: str) -> int:
    return KeyWrap.objects.filter(kek_id=kek_id).count()
