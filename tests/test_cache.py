"""The cache backend against the real Redis: one redis-py client serves every call of a thread."""

from __future__ import annotations

import threading

from django.core.cache import cache


def test_every_cache_call_uses_the_same_client_and_still_reads_what_was_written():
    backend = cache._cache
    first = backend.get_client("a")
    cache.set("greeting", {"text": "hello"}, 30)
    cache.set_many({"one": 1, "two": 2}, 30)
    assert cache.get("greeting") == {"text": "hello"}
    assert cache.get_many(["one", "two", "three"]) == {"one": 1, "two": 2}
    assert cache.incr("one") == 2
    assert backend.get_client("b", write=True) is first


def test_each_thread_keeps_one_client_and_gets_its_own_answers():
    errors: list[str] = []

    def worker(k: int) -> None:
        client = cache._cache.get_client()
        for i in range(50):
            cache.set(f"t{k}-{i}", (k, i), 30)
            if cache.get(f"t{k}-{i}") != (k, i):
                errors.append(f"{k}-{i}: wrong value")
        if cache._cache.get_client(write=True) is not client:
            errors.append(f"{k}: a new client")

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
