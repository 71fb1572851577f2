"""The `details` JSON of a record (a notice, a contact preference, an attempt) checked against what its
kind may carry, so a typo or a tampered form cannot store a key nobody reads."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.core.exceptions import ValidationError


def checked_details(
    details: Mapping[str, Any] | None, allowed: Mapping[str, type | tuple[type, ...]]
) -> dict:
    """A copy of `details`, or ValidationError naming the first key that is unknown or of the wrong type."""
    details = dict(details or {})
    for key, value in details.items():
        if key not in allowed or not isinstance(value, allowed[key]):
            raise ValidationError(
                "Unexpected or malformed detail %(key)s.", code="details", params={"key": key}
            )
    return details
