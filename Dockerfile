# One image for every process of the stack (web, Celery worker, beat, migrate); docker-compose.yml
# picks the process by its command.
FROM python:3.12-slim-bookworm

# WeasyPrint loads Pango through cffi at run time (no wheel ships it) and needs fonts to lay out letters.
RUN apt-get update \
    && apt-get install -y --no-install-recommends \
        libpango-1.0-0 libpangoft2-1.0-0 fonts-liberation fonts-dejavu-core \
    && rm -rf /var/lib/apt/lists/*

# Pinned to the uv desk.py installs, so the image and a developer's .venv resolve uv.lock alike.
RUN pip install --no-cache-dir uv==0.13.9

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    UV_PROJECT_ENVIRONMENT=/app/.venv \
    UV_PYTHON_DOWNLOADS=never \
    UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_NO_CACHE=1 \
    PATH=/app/.venv/bin:$PATH

WORKDIR /app

# Dependencies before code: this layer is rebuilt only when the lock changes.
COPY pyproject.toml uv.lock .python-version ./
RUN uv sync --locked --no-dev

COPY . .

# The prod settings refuse to load without SECRET_KEY; collectstatic never signs anything, so a
# throwaway value scoped to this one RUN is enough and nothing secret is baked into the image.
RUN DJANGO_SETTINGS_MODULE=collections_desk.settings.prod SECRET_KEY=collectstatic-build-step-only \
    python manage.py collectstatic --noinput

# Code stays root-owned and read-only to the app. It writes only media (generated letters, uploads),
# beat's schedule and the generated SECRET_KEY, in folders that named volumes are mounted on (a new volume copies this ownership).
RUN useradd --create-home --uid 10001 app \
    && mkdir -p /app/.data/media /app/.data/beat /app/.data/secrets \
    && chown app:app /app/.data/media /app/.data/beat /app/.data/secrets \
    && chmod 700 /app/.data/secrets
USER 10001:10001

ENV DJANGO_SETTINGS_MODULE=collections_desk.settings.prod \
    WEB_CONCURRENCY=4
EXPOSE 8000

# gunicorn reads its worker count from WEB_CONCURRENCY (4 suits the 2-core hosts of DESIGN.md §7;
# set it per host). X-Forwarded-Proto is trusted from any peer because in a real deployment only the
# TLS proxy reaches this port and its address is not known in advance; prod settings trust it too.
CMD ["gunicorn", "collections_desk.wsgi:application", "--bind=0.0.0.0:8000", "--forwarded-allow-ips=*"]
