"""Sign-ins and sign-outs go to the audit log (HIPAA access records). Django announces them only through
signals, so this is the one place the project listens to signals."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from audit.services import audit_record


@receiver(user_logged_in)
def _logged_in(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    audit_record(action="staff.session.logged_in", actor=user)


@receiver(user_logged_out)
def _logged_out(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    if user is not None:
        audit_record(action="staff.session.logged_out", actor=user)


@receiver(user_login_failed)
def _login_failed(sender: Any, credentials: dict[str, Any], request: Any = None, **kwargs: Any) -> None:
    # The username only: never the password, which Django has already masked anyway.
    audit_record(
        action="staff.session.login_failed", actor=None, data={"username": credentials.get("username", "")}
    )
