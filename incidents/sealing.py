"""Seal and open a report's fields under its data key, bound to table, public id and field."""

from typing import Any

from core.crypto import sealed


def seal_field(key: bytes, obj: Any, field: str, value: Any) -> bytes:
    """`obj` is a model instance with a `public_id`; `value` anything JSON can hold."""
    return sealed.seal_value(
        key, value, table=obj._meta.db_table, public_id=obj.public_id, field=field
    )


def open_field(key: bytes, obj: Any, field: str) -> Any:
    blob = getattr(obj, f"{field}_sealed")
    return sealed.open_value(
        key, bytes(blob), table=obj._meta.db_table, public_id=obj.public_id, field=field
    )
