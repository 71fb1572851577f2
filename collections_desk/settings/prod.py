"""Production: everything is read from the environment; only the safe defaults differ from base."""

from __future__ import annotations

from .base import *  # noqa: F403
from .base import env, env_bool, env_int

SECRET_KEY = env("SECRET_KEY")  # no default: refuse to start without one
DEBUG = False
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", True)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 60 * 60 * 24 * 365)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# base.py defaults to console mail, which in production sends nothing and would print messages (which
# may name patients) to the logs; an unset EMAIL_BACKEND here means SMTP.
MAILERS = {"default": {"BACKEND": env("EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend")}}
