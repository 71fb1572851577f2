"""Model instances without the ORM's query machinery: read by one plain statement, for the small reads
every request makes (the user, the collector's open lease), where building and compiling the ORM's query
cost several times what PostgreSQL took to answer it (bench/README.md, fifth and eighth passes); or built
from values a statement has just written (the lease a claim took, bench/README.md, ninth pass)."""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import Any

from django.db import connection, models
from django.db.models.base import ModelState


def instance_reader[M: models.Model](
    model: type[M], where: str, *, annotations: dict[str, str] | None = None
) -> Callable[[Sequence[Any]], M | None]:
    """A function that reads the first row of `model` matching `where` (SQL with %s placeholders, for
    the parameters it is given) as an instance, or None. Every concrete field is read, so the instance
    is whole: it can be saved back. `annotations`: attribute name -> SQL expression over the row (its
    table by name), read by the same statement and set on the instance."""
    fields = model._meta.concrete_fields
    names = [f.attname for f in fields]
    extra = annotations or {}
    columns = [f"{model._meta.db_table}.{f.column}" for f in fields] + list(extra.values())
    sql = (
        f"SELECT {', '.join(columns)} FROM {model._meta.db_table}"  # noqa: S608 - our names
        f" WHERE {where} LIMIT 1"
    )
    n = len(names)

    def read(params: Sequence[Any]) -> M | None:
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            row = cursor.fetchone()
        if not row:
            return None
        instance = model.from_db(connection.alias, names, row[:n] if extra else row)
        for name, value in zip(extra, row[n:], strict=True):
            setattr(instance, name, value)
        return instance

    return read


def instance_written[M: models.Model](model: type[M], alias: str, **values: Any) -> M:
    """The instance of a row the caller has just written with these values (its other fields hold their
    defaults), as if read back from the database `alias`. Built the way unpickling builds an instance,
    without Model.__init__ and its signals: a third of the cost of `Model.from_db`, which mattered for
    a claim, where it was a fifth of the Python (bench/README.md, ninth pass)."""
    instance = model.__new__(model)
    instance.__dict__.update(_defaults(model), **values)
    state = ModelState()
    state.adding, state.db = False, alias
    instance._state = state
    return instance


@functools.cache
def _defaults(model: type[models.Model]) -> dict[str, Any]:
    fields = model._meta.concrete_fields
    # A callable default (a dict, a timestamp) must be called for each instance, not once for all.
    if mutable := [f.name for f in fields if f.has_default() and callable(f.default)]:
        raise TypeError(f"{model.__name__} has callable defaults ({', '.join(mutable)}): use from_db")
    return {f.attname: f.get_default() for f in fields}
