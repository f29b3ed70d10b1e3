"""The refusals the sandbox answers with; each profile renders them in its own envelope."""

from __future__ import annotations


class SandboxError(Exception):
    """A refusal with AutoCount's message and the HTTP status the profile answers with."""

    status = 400

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class BookError(SandboxError):
    """The book refuses a document: master data, dates, amounts, transfers."""


class NotFound(SandboxError):
    status = 404


class Duplicate(SandboxError):
    status = 409


class Unauthorized(SandboxError):
    status = 401


class TooManyCalls(SandboxError):
    status = 429


def error_body(path: str, message: str) -> dict[str, object]:
    """Each profile's envelope: the bridge's `{"ok": false, "error"}` under /api/, else the
    Cloud's `{"message"}` (the Cloud envelope is not published; this one is our choice)."""
    if path.startswith("/api/"):
        return {"ok": False, "error": message}
    return {"message": message}
