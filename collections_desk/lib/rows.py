"""A model instance read by one plain statement, for the small reads every request makes (the user, the
collector's open lease): through the ORM, building and compiling such a query cost several times what
PostgreSQL took to answer it (bench/README.md, fifth and eighth passes)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from django.db import connection, models


def instance_reader[M: models.Model](model: type[M], where: str) -> Callable[[Sequence[Any]], M | None]:
    """A function that reads the first row of `model` matching `where` (SQL with %s placeholders, for
    the parameters it is given) as an instance, or None. Every concrete field is read, so the instance
    is whole: it can be saved back."""
    fields = model._meta.concrete_fields
    names = [f.attname for f in fields]
    sql = (
        f"SELECT {', '.join(f.column for f in fields)} FROM {model._meta.db_table}"  # noqa: S608 - our names
        f" WHERE {where} LIMIT 1"
    )

    def read(params: Sequence[Any]) -> M | None:
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            row = cursor.fetchone()
        return model.from_db(connection.alias, names, row) if row else None

    return read
