"""A gunicorn config for finding what holds a page up: each worker watches its own requests and, when one
has run 200 ms, prints the stack of the thread serving it (again every 150 ms, up to four times), with
the time and the path. The server's stderr is where it goes.

    BENCH_GUNICORN_CONFIG=bench/gunicorn_stalls.py .venv/bin/python bench/page_cpu.py /desk/

This is how the tenth pass found the first-use loads of collections_desk.warmup (bench/README.md).
"""

from __future__ import annotations

import os
import sys
import threading
import time
import traceback

_request: dict[str, object] = {"started": None, "path": "", "told": 0}


def pre_request(worker, req) -> None:
    _request.update(started=time.perf_counter(), path=req.path, told=0)


def post_request(worker, req, environ, resp) -> None:
    _request["started"] = None


def post_fork(server, worker) -> None:
    serving = threading.main_thread().ident

    def watch() -> None:
        while True:
            time.sleep(0.05)
            started, told = _request["started"], _request["told"]
            if started is None or told >= 4:
                continue
            running = time.perf_counter() - started
            if running > 0.2 + 0.15 * told:
                _request["told"] = told + 1
                stack = "".join(traceback.format_stack(sys._current_frames().get(serving))[-14:])
                sys.stderr.write(
                    f"SLOW pid={os.getpid()} {running * 1000:.0f} ms at {time.strftime('%H:%M:%S')} "
                    f"{_request['path']}\n{stack}\n"
                )
                sys.stderr.flush()

    threading.Thread(target=watch, daemon=True).start()
