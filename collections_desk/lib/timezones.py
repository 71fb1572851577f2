"""A person's local time comes from where they are: ZIP → IANA zone via `zipcodes` (never a hand table)."""

from __future__ import annotations

import re
from functools import lru_cache

import zipcodes
from django.core.exceptions import ValidationError

ZIP_RE = re.compile(r"^(\d{5})(?:-?(\d{4}))?$")


def normalize_zip(raw: str) -> str:
    """ZIP or ZIP+4 → 'NNNNN' or 'NNNNN-NNNN'; ValidationError if it is malformed."""
    match = ZIP_RE.match((raw or "").strip())
    if not match:
        raise ValidationError(
            "“%(raw)s” is not a ZIP code (5 digits, optionally -4 more).",
            code="zip_format",
            params={"raw": raw},
        )
    return match.group(1) + (f"-{match.group(2)}" if match.group(2) else "")


@lru_cache(maxsize=50_000)
def _zip_record(zip5: str) -> tuple[str, str, str] | None:
    found = zipcodes.matching(zip5)
    if not found:
        return None
    record = found[0]
    return record["timezone"], record["state"], record["city"]


def zone_for_zip(raw: str) -> str:
    """The IANA zone of a US ZIP, or ValidationError if the ZIP is unknown."""
    zip5 = normalize_zip(raw)[:5]
    record = _zip_record(zip5)
    if record is None or not record[0]:
        raise ValidationError("ZIP code %(zip)s does not exist.", code="zip_unknown", params={"zip": zip5})
    return record[0]


def state_for_zip(raw: str) -> str | None:
    record = _zip_record(normalize_zip(raw)[:5])
    return record[1] if record else None
