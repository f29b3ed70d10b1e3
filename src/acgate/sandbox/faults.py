"""Fault switches: latency, 5xx bursts, 429s, dropped connections, and commit-then-timeout.

They sit outside the application (on the raw ASGI connection), so a dropped connection never
reaches the client as an answer. Under uvicorn a drop closes the socket before a byte of the
answer is written, and the client sees a transport error ("Server disconnected without sending a
response"). In-process transports (TestClient, httpx.ASGITransport) have no socket; there the
drop is raised as `ConnectionDropped`.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any, Literal

from starlette.types import Message, Receive, Scope, Send

from acgate.sandbox.config import FaultSettings
from acgate.sandbox.errors import error_body
from acgate.sandbox.ratelimit import WINDOW_NAME, reset_text
from acgate.sandbox.wire import dumps

ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]
Fault = Literal["drop", "throttle", "error", "commit_timeout"]
_SWITCHES: tuple[Fault, ...] = ("drop", "throttle", "error")
_WRITES = frozenset({"POST", "PUT", "DELETE"})


class ConnectionDropped(Exception):
    """A drop where there is no connection to close."""


@dataclass(frozen=True, slots=True)
class Plan:
    latency_ms: int = 0
    fault: Fault | None = None


class Faults:
    """The switches now in force, and the seeded generator their rates draw from."""

    def __init__(self, settings: FaultSettings, seed: int) -> None:
        self._initial = settings
        self._seed = seed
        self.reset()

    def reset(self) -> None:
        self.settings = self._initial.model_copy()
        self._random = random.Random(self._seed)

    def update(self, changes: dict[str, Any]) -> FaultSettings:
        """Change some switches; the rest stay. Raises pydantic's ValidationError."""
        self.settings = FaultSettings.model_validate({**self.settings.model_dump(), **changes})
        return self.settings

    def plan(self, method: str, path: str) -> Plan:
        """What happens to one call. Switches are tried in a fixed order and the first that
        fires wins, so a queued `*_next` fault waits for the next call rather than being lost."""
        settings = self.settings
        if settings.methods and method not in settings.methods:
            return Plan()
        for switch in _SWITCHES:
            if self._fires(switch):
                return Plan(settings.latency_ms, switch)
        if method in _WRITES and not path.endswith("/listing") and self._fires("commit_timeout"):
            return Plan(settings.latency_ms, "commit_timeout")
        return Plan(settings.latency_ms)

    def _fires(self, switch: Fault) -> bool:
        queued: int = getattr(self.settings, f"{switch}_next")
        if queued > 0:
            setattr(self.settings, f"{switch}_next", queued - 1)
            return True
        rate: float = getattr(self.settings, f"{switch}_rate")
        return rate > 0 and self._random.random() < rate


class FaultGate:
    """Runs a call through the fault switches, then (unless a fault answered) the app."""

    def __init__(self, faults: Faults) -> None:
        self.faults = faults

    async def __call__(self, scope: Scope, receive: Receive, send: Send, app: ASGIApp) -> None:
        path: str = scope["path"]
        plan = self.faults.plan(scope["method"], path)
        if plan.latency_ms:
            await asyncio.sleep(plan.latency_ms / 1000)
        if plan.fault == "drop":
            await drop_connection(send)
        elif plan.fault == "throttle":
            await _answer(send, 429, error_body(path, "API calls quota exceeded!"), {
                "x-rate-limit-limit": WINDOW_NAME, "x-rate-limit-remaining": "0",
                "x-rate-limit-reset": reset_text(dt.datetime.now(dt.UTC) + dt.timedelta(seconds=1)),
                "retry-after": "1"})
        elif plan.fault == "error":
            status = self.faults.settings.error_status
            await _answer(send, status, error_body(path, HTTPStatus(status).phrase), {})
        elif plan.fault == "commit_timeout":
            await self._commit_then_timeout(scope, receive, send, app)
        else:
            await app(scope, receive, send)

    async def _commit_then_timeout(self, scope: Scope, receive: Receive, send: Send,
                                   app: ASGIApp) -> None:
        """Let the app save and answer, then lose the answer: drop it, or hold it past the
        client's timeout. A refusal (non-2xx) saved nothing and goes out as usual."""
        answer: list[Message] = []

        async def keep(message: Message) -> None:
            answer.append(message)

        await app(scope, receive, keep)
        saved = bool(answer) and 200 <= answer[0].get("status", 500) < 300
        settings = self.faults.settings
        if saved and settings.commit_timeout_mode == "drop":
            await drop_connection(send)
            return
        if saved:
            await asyncio.sleep(settings.commit_timeout_ms / 1000)
        for message in answer:
            await send(message)


async def _answer(send: Send, status: int, body: dict[str, object],
                  headers: dict[str, str]) -> None:
    content = dumps(body).encode()
    raw = [(b"content-type", b"application/json"), (b"content-length", str(len(content)).encode()),
           *((name.encode(), value.encode()) for name, value in headers.items())]
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": content})


async def drop_connection(send: Send) -> None:
    """Close the client's connection without answering.

    ASGI has no message for this, so it reaches uvicorn's connection through the `send` it
    gave us (a bound method of its request cycle, holding the socket's transport).
    """
    cycle = getattr(send, "__self__", None)
    transport = getattr(cycle, "transport", None)
    if not isinstance(transport, asyncio.BaseTransport):
        raise ConnectionDropped("the sandbox dropped the connection")
    transport.close()
    # uvicorn learns of the close on a later turn of the loop; returning before it has would
    # make it report a missing answer and try to send a 500 on the closed socket.
    for _ in range(100):
        if getattr(cycle, "disconnected", True):
            return
        await asyncio.sleep(0)
