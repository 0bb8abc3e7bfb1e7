"""The audit log: append-only, hash-chained, written inside the service that changes state.

Each event's hash is an HMAC under the keyring's audit key over the previous hash and the event,
so someone who can write the database but lacks the keyring cannot recompute a consistent chain.
The head row carries the chain's length and last hash, sealed the same way, so dropping the
newest events shows too.
"""

import hashlib
import hmac
import json
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone

from core.crypto.keyring import load_keyring
from core.models import AuditEvent, AuditHead

GENESIS = "0" * 64


def _digest(
    prev_hash: str, *, seq: int, at: str, actor: str, action: str, otype: str, oid: str
) -> str:
    record = json.dumps(
        [seq, at, actor, action, otype, oid], separators=(",", ":"), ensure_ascii=True
    )
    return _mac(f"event|{prev_hash}|{record}")


def _mac(message: str) -> str:
    return hmac.new(load_keyring().audit_key, message.encode(), hashlib.sha256).hexdigest()


def _head_seal(length: int, last_hash: str) -> str:
    return _mac(f"head|{length}|{last_hash}")


def _actor_label(actor: Any) -> str:
    if actor is None or not getattr(actor, "is_authenticated", False):
        return ""
    return str(actor.public_id)


# Events recorded inside audit_together(), waiting to be appended as its block ends.
_pending: ContextVar[list[AuditEvent] | None] = ContextVar("audit_pending", default=None)


def audit_record(*, actor: Any, action: str, obj: Any = None, object_type: str = "") -> AuditEvent:
    """Append one event. Call inside the service's transaction; it joins that transaction.
    Inside audit_together() the event is appended with the others as that block ends."""
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = str(getattr(obj, "public_id", None) or obj.pk)
    else:
        object_id = ""
    event = AuditEvent(
        actor=_actor_label(actor), action=action, object_type=object_type, object_id=object_id
    )
    pending = _pending.get()
    if pending is None:
        _append([event])
    else:
        pending.append(event)
    return event


@contextmanager
def audit_together() -> Iterator[None]:
    """The events recorded inside the block are appended together when it ends without an
    error: the chain's head is locked once, at the end of the work, rather than from the
    first event until the commit, so concurrent services queue for it only briefly. Only
    inside the service's transaction; a block inside another leaves the appending to it."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("audit_together() belongs inside the service's transaction.")
    if _pending.get() is not None:
        yield
        return
    pending: list[AuditEvent] = []
    token = _pending.set(pending)
    try:
        yield
    finally:
        _pending.reset(token)
    if pending:  # not reached when the block raised: the transaction is failing anyway
        _append(pending)


def _append(events: list[AuditEvent]) -> None:
    """Chain the events after the head and store them, under the head's row lock."""
    # No savepoint of its own: if appending fails, the service's whole transaction must fail.
    with transaction.atomic(savepoint=False):
        seq, last_hash = _head_locked()
        at = timezone.now()
        for event in events:
            seq += 1
            event.seq, event.at, event.prev_hash = seq, at, last_hash
            event.hash = last_hash = _digest(
                last_hash,
                seq=seq,
                at=at.isoformat(),
                actor=event.actor,
                action=event.action,
                otype=event.object_type,
                oid=event.object_id,
            )
        head = {"last_hash": last_hash, "length": seq, "seal": _head_seal(seq, last_hash)}
        if transaction.get_connection().vendor == "postgresql":
            _store_in_one_statement(events, head)
        else:
            AuditEvent.objects.bulk_create(events)
            AuditHead.objects.filter(id=1).update(**head)


def _head_locked() -> tuple[int, str]:
    """The chain's length and last hash, its row locked until the transaction ends (SQLite's
    write lock, taken when the transaction began, already serializes writers there). The row is
    created on the first append."""
    locked = AuditHead.objects.select_for_update().filter(id=1)
    head = locked.values_list("length", "last_hash").first()
    if head is None:
        AuditHead.objects.get_or_create(
            id=1, defaults={"last_hash": GENESIS, "length": 0, "seal": _head_seal(0, GENESIS)}
        )
        head = locked.values_list("length", "last_hash").get()
    return head


_EVENT_COLUMNS = ("seq", "at", "actor", "action", "object_type", "object_id", "prev_hash", "hash")


def _store_in_one_statement(events: list[AuditEvent], head: dict[str, Any]) -> None:
    """PostgreSQL: the events inserted and the head moved on in one statement (a data-modifying
    WITH), one round trip fewer while the head is locked. What it writes is exactly what
    bulk_create and update() would."""
    connection = transaction.get_connection()
    quote = connection.ops.quote_name
    events_table, head_table = AuditEvent._meta.db_table, AuditHead._meta.db_table
    event_column = {field.name: field.column for field in AuditEvent._meta.concrete_fields}
    head_column = {field.name: field.column for field in AuditHead._meta.concrete_fields}
    columns = ", ".join(quote(event_column[name]) for name in _EVENT_COLUMNS)
    rows = ", ".join(["(" + ", ".join(["%s"] * len(_EVENT_COLUMNS)) + ")"] * len(events))
    changes = ", ".join(f"{quote(head_column[name])} = %s" for name in head)
    # Only the models' own table and column names are written into the statement; every value
    # is a bound parameter.
    sql = (
        f"WITH added AS (INSERT INTO {quote(events_table)} ({columns}) VALUES {rows}) "  # noqa: S608
        f"UPDATE {quote(head_table)} SET {changes} WHERE {quote(head_column['id'])} = %s"
    )
    params = [getattr(event, name) for event in events for name in _EVENT_COLUMNS]
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, *head.values(), 1])
    for event in events:  # stored now, as bulk_create would mark them
        event._state.adding, event._state.db = False, connection.alias


@dataclass(frozen=True)
class VerifyResult:
    ok: bool
    checked: int
    broken_at: int | None = None
    reason: str = ""


def audit_verify(*, batch_size: int = 2000) -> VerifyResult:
    """Walk the chain in order; report the first event whose link does not hold."""
    expected_prev, expected_seq = GENESIS, 1
    checked = 0
    events = AuditEvent.objects.order_by("seq").iterator(chunk_size=batch_size)
    for event in events:
        if event.seq != expected_seq:
            return VerifyResult(False, checked, expected_seq, "an event is missing or out of order")
        if event.prev_hash != expected_prev:
            return VerifyResult(
                False, checked, event.seq, "the link to the previous event is broken"
            )
        digest = _digest(
            event.prev_hash,
            seq=event.seq,
            at=event.at.isoformat(),
            actor=event.actor,
            action=event.action,
            otype=event.object_type,
            oid=event.object_id,
        )
        if digest != event.hash:
            return VerifyResult(False, checked, event.seq, "the event was altered")
        expected_prev, expected_seq = event.hash, expected_seq + 1
        checked += 1
    head = AuditHead.objects.filter(id=1).first()
    if head is None:
        head = AuditHead(length=0, last_hash=GENESIS, seal=_head_seal(0, GENESIS))
    if not hmac.compare_digest(head.seal, _head_seal(head.length, head.last_hash)):
        return VerifyResult(False, checked, head.length + 1, "the chain's head was altered")
    if head.length != checked or head.last_hash != expected_prev:
        return VerifyResult(
            False, checked, checked + 1, "events at the end of the chain are missing"
        )
    return VerifyResult(True, checked)
