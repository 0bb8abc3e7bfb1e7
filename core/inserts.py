"""New rows that belong together, inserted as one: on PostgreSQL in a single statement.

A sealed report and the wrapped data key it is sealed under are such rows: neither is any use
without the other, and filing writes both. `insert_together(report, wrap)` stores them as
`save()` would store each, but on PostgreSQL as one data-modifying WITH statement, so the wrap
costs the filing neither a round trip nor a statement of its own. SQLite has no data-modifying
WITH; there the rows are inserted one after another, in one transaction.

Only for plain models: it sends no `pre_save` or `post_save` signal and calls no overridden
`save()`, so it refuses a model that has either, rather than skip what they would do.
"""

from typing import Any

from django.db import models, router, transaction
from django.db.models import signals
from django.db.models.sql import InsertQuery
from django.db.models.sql.compiler import SQLInsertCompiler


def insert_together(first: models.Model, *rest: models.Model) -> None:
    """Insert `first` and `rest`, new instances of plain models whose rows do not refer to each
    other, all or none. `first` gets back what the database assigns (its primary key), as `save()`
    would; the others' assigned keys are not read back. Every instance is marked as stored."""
    instances = (first, *rest)
    for instance in instances:
        _check_plain_and_new(instance)
    using = router.db_for_write(type(first), instance=first)
    connection = transaction.get_connection(using)
    others = [_compile(instance, connection, returning=False) for instance in rest]
    compiler, sql, params = _compile(first, connection, returning=True)
    if others and connection.vendor == "postgresql":
        # Only the models' own compiled inserts are joined; every value stays a bound parameter.
        added = ", ".join(f"added_{n} AS ({other})" for n, (_c, other, _p) in enumerate(others))
        bound = [value for _c, _s, values in others for value in values]
        statements = [(f"WITH {added} {sql}", [*bound, *params])]
    else:
        statements = [*((other, values) for _c, other, values in others), (sql, params)]
    with transaction.atomic(using=using, savepoint=False), connection.cursor() as cursor:
        for statement, values in statements:
            cursor.execute(statement, values)  # the last one is `first`'s, with its RETURNING
        _read_back(first, compiler, cursor)
    for instance in instances:
        instance._state.adding, instance._state.db = False, using


def _check_plain_and_new(instance: models.Model) -> None:
    model = type(instance)
    meta = model._meta
    if not instance._state.adding:
        raise ValueError(f"{meta.label} {instance.pk} is stored already: insert_together adds.")
    if model.save is not models.Model.save or meta.parents:
        raise TypeError(f"{meta.label} saves in its own way: save() it instead.")
    if signals.pre_save.has_listeners(model) or signals.post_save.has_listeners(model):
        raise TypeError(f"{meta.label} has save signal receivers: save() it instead.")


def _compile(
    instance: models.Model, connection: Any, *, returning: bool
) -> tuple[SQLInsertCompiler, str, list[Any]]:
    """The INSERT that save() would run for `instance`, compiled but not run."""
    meta = instance._meta
    # Django's own check before an insert, as save() makes it: no unsaved related instance.
    instance._prepare_related_fields_for_save(operation_name="insert_together")  # type: ignore[attr-defined]
    if instance.pk is None:
        instance.pk = meta.pk.get_pk_value_on_save(instance)
    fields = [
        field
        for field in meta.local_concrete_fields
        if not field.generated and (instance.pk is not None or field is not meta.auto_field)
    ]
    query = InsertQuery(type(instance))
    query.insert_values(fields, [instance])
    compiler = query.get_compiler(connection=connection)
    if returning and connection.features.can_return_columns_from_insert:
        compiler.returning_fields = meta.db_returning_fields
    [(sql, params)] = compiler.as_sql()  # auto_now and the like are filled in here
    return compiler, sql, list(params)


def _read_back(instance: models.Model, compiler: SQLInsertCompiler, cursor: Any) -> None:
    """What the database assigned to `instance` (its primary key), as save() reads it back."""
    meta, ops = instance._meta, compiler.connection.ops
    returning = compiler.returning_fields
    if returning:
        row = ops.fetch_returned_insert_columns(cursor, compiler.returning_params)  # type: ignore[attr-defined]
        columns = [field.get_col(meta.db_table) for field in returning]
        converters = compiler.get_converters(columns)
        [row] = compiler.apply_converters([row], converters) if converters else [row]
        for value, field in zip(row, returning, strict=True):
            setattr(instance, field.attname, value)
    elif instance.pk is None:  # a database that cannot return columns: the row's new id
        instance.pk = ops.last_insert_id(cursor, meta.db_table, str(meta.pk.column))
