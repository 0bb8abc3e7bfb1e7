"""Seal and open a report's fields under its data key, bound to table, public id and field."""

from typing import Any

from django.db import models

from core.crypto import sealed


def seal_field(key: bytes, obj: models.Model, field: str, value: Any) -> bytes:
    return sealed.seal_value(
        key,
        value,
        table=obj._meta.db_table,
        public_id=obj.public_id,
        field=field,  # type: ignore[attr-defined]
    )


def open_field(key: bytes, obj: models.Model, field: str) -> Any:
    blob = getattr(obj, f"{field}_sealed")
    return sealed.open_value(
        key,
        bytes(blob),
        table=obj._meta.db_table,
        public_id=obj.public_id,
        field=field,  # type: ignore[attr-defined]
    )
