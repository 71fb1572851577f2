"""The run and test commands' private servers (used when DATABASE_URL / REDIS_URL are not set)."""

from __future__ import annotations

import psycopg
import pytest
import redis

from collections_desk.embedded import embedded_postgres, embedded_redis


def test_embedded_postgres_and_redis_start_serve_and_stop(tmp_path):
    with (
        embedded_postgres(tmp_path / "pg", database="desk_smoke") as db_url,
        embedded_redis(tmp_path / "redis") as r_url,
    ):
        with psycopg.connect(db_url) as conn:
            assert conn.execute("SELECT current_database()").fetchone() == ("desk_smoke",)
        client = redis.Redis.from_url(r_url)
        assert client.set("k", "v")
        assert client.get("k") == b"v"

    with pytest.raises(psycopg.OperationalError):
        psycopg.connect(db_url, connect_timeout=2)
    with pytest.raises(redis.ConnectionError):
        redis.Redis.from_url(r_url, socket_connect_timeout=1).ping()


def test_data_survives_a_restart_of_embedded_postgres(tmp_path):
    with embedded_postgres(tmp_path / "pg") as url, psycopg.connect(url, autocommit=True) as conn:
        conn.execute("CREATE TABLE kept (n int)")
        conn.execute("INSERT INTO kept VALUES (42)")
    with embedded_postgres(tmp_path / "pg") as url, psycopg.connect(url) as conn:
        assert conn.execute("SELECT n FROM kept").fetchone() == (42,)
