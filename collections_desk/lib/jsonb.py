"""jsonb read through a raw cursor."""

from __future__ import annotations

import json
from typing import Any


def jsonb_object(value: Any) -> dict[str, Any]:
    """A jsonb object column as a dict. Django's cursors leave jsonb as text (its JSONField decodes it,
    and raw SQL bypasses the fields); NULL is an empty object."""
    if value is None:
        return {}
    return json.loads(value) if isinstance(value, str) else dict(value)
