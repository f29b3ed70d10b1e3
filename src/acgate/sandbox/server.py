"""Serving the sandbox with uvicorn: in a background thread for tests, the bench and the demo,
or in the foreground for `acgate sandbox`. Always on 127.0.0.1."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable
from typing import NamedTuple

import uvicorn

from acgate.sandbox.app import SandboxApp, create_app
from acgate.sandbox.config import SandboxConfig

HOST = "127.0.0.1"


class RunningSandbox(NamedTuple):
    base_url: str
    stop: Callable[[], None]


def _server(app: SandboxApp, port: int, quiet: bool) -> uvicorn.Server:
    # h11: the fault gate's connection drop relies on uvicorn's h11 request cycle.
    return uvicorn.Server(uvicorn.Config(
        app, host=HOST, port=port, http="h11", lifespan="off", access_log=not quiet,
        log_level="warning" if quiet else "info", timeout_graceful_shutdown=1))


def run_in_thread(config: SandboxConfig, port: int = 0) -> RunningSandbox:
    """Start a sandbox on a free port (or `port`) and return its base URL and a `stop` that
    shuts it down and closes its book, so a new one can open the same data folder."""
    app = create_app(config)
    # IPPROTO_TCP spelled out: asyncio sets TCP_NODELAY only on sockets that name it, and
    # without it every answer waits ~40 ms on Nagle and delayed ACKs.
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((HOST, port))
    server = _server(app, port, quiet=True)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True,
                              name="acgate-sandbox")
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            app.close()
            raise RuntimeError("the sandbox did not start")
        time.sleep(0.005)

    def stop() -> None:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()
        app.close()

    return RunningSandbox(f"http://{HOST}:{sock.getsockname()[1]}", stop)


def serve(config: SandboxConfig, port: int) -> None:
    """Run in the foreground until interrupted."""
    app = create_app(config)
    try:
        _server(app, port, quiet=False).run()
    finally:
        app.close()
