"""One running sandbox: the book, its store, the fault switches and the rate limiter."""

from __future__ import annotations

from dataclasses import dataclass
from typing import cast

from starlette.requests import Request

from acgate.sandbox.book import Book
from acgate.sandbox.config import SandboxConfig
from acgate.sandbox.faults import Faults
from acgate.sandbox.ratelimit import Quota, RateLimiter
from acgate.sandbox.store import Store


@dataclass(frozen=True)
class Sandbox:
    config: SandboxConfig
    store: Store
    book: Book
    faults: Faults
    limiter: RateLimiter

    @classmethod
    def open(cls, config: SandboxConfig) -> Sandbox:
        store = Store(config.data_dir)
        return cls(
            config=config, store=store,
            book=Book(config.master, config.book, store, config.clock),
            faults=Faults(config.faults, config.seed),
            limiter=RateLimiter(config.rate_limit, config.clock),
        )

    def reset(self) -> None:
        """An empty book, the configured faults with a fresh generator, no calls counted."""
        self.book.reset()
        self.faults.reset()
        self.limiter.clear()


def current(request: Request) -> Sandbox:
    return cast(Sandbox, request.app.state.sandbox)


def quota_headers(request: Request) -> dict[str, str]:
    """The rate-limit headers of a Cloud call that was counted, for its answer."""
    quota: Quota | None = getattr(request.state, "quota", None)
    return quota.headers() if quota is not None else {}
