"""Django's Redis cache backend, with one redis-py client per connection pool.

Django's `RedisCacheClient.get_client` makes a new `redis.Redis` for every cache call, and redis-py fills
a table of some 170 response callbacks in each one's `__init__`: 75 µs a call here, where a whole
`cache.get` takes 135 µs without it. Every desk page makes several calls (the session, the queue's shared
rows and their generations). A client holds only its pool and that table, so one per pool does. (Django
keeps a cache backend per thread, so a client is not even shared between threads; redis-py documents
that it could be.)"""

from __future__ import annotations

from typing import Any

from django.core.cache.backends.redis import RedisCache, RedisCacheClient


class SharedClientRedisCacheClient(RedisCacheClient):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._clients: dict[int, Any] = {}

    def get_client(self, key: Any = None, *, write: bool = False) -> Any:
        pool = self._get_connection_pool(write)
        client = self._clients.get(id(pool))
        if client is None:
            client = self._clients[id(pool)] = self._client(connection_pool=pool)
        return client


class SharedClientRedisCache(RedisCache):
    def __init__(self, server: str, params: dict[str, Any]) -> None:
        super().__init__(server, params)
        self._class = SharedClientRedisCacheClient
