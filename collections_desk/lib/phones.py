"""Phone numbers: parse, validate and normalize to E.164 with `phonenumbers`; never store raw input."""

from __future__ import annotations

import phonenumbers
from django.core.exceptions import ValidationError
from phonenumbers import timezone as pn_timezone

DEFAULT_REGION = "US"


def normalize_phone(raw: str, *, region: str = DEFAULT_REGION) -> str:
    """Return the E.164 form of `raw`, or raise ValidationError with a message a collector can act on."""
    text = (raw or "").strip()
    if not text:
        raise ValidationError("Enter a phone number.", code="required")
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException as exc:
        raise ValidationError(
            "“%(raw)s” is not a phone number: %(why)s.",
            code="unparseable",
            params={"raw": text, "why": str(exc).split(") ", 1)[-1].rstrip(".")},
        ) from exc
    if not phonenumbers.is_possible_number(number):
        raise ValidationError(
            "“%(raw)s” has the wrong number of digits for a phone number.",
            code="impossible",
            params={"raw": text},
        )
    if not phonenumbers.is_valid_number(number):
        raise ValidationError(
            "“%(raw)s” is not a valid number: its area code or exchange is not in service.",
            code="invalid",
            params={"raw": text},
        )
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def phone_zones(e164: str) -> tuple[str, ...]:
    """IANA zones the number's prefix was issued in. Several for split area codes, 42 for toll-free:
    a phone only narrows a person's zone; the address decides (DESIGN.md §6)."""
    number = phonenumbers.parse(e164, None)
    zones = pn_timezone.time_zones_for_number(number)
    return tuple(z for z in zones if z != pn_timezone.UNKNOWN_TIMEZONE)
