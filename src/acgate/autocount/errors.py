"""What an AutoCount answer means for the record being synced.

Each error says what the dispatcher may do next: `Unavailable` and `RateLimited` are safe to
retry, `InDoubt` must be resolved by a look-up before any resend, `Rejected` holds the record,
`TargetPaused` stops the whole target, and `Unsupported` is known before any call is made.
"""

from __future__ import annotations

from acgate.domain.documents import DocType


class TargetError(Exception):
    """An AutoCount target did not accept a request; `message` is what AutoCount said."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class Rejected(TargetError):
    """AutoCount refused the request (400, 409, 422 and other 4xx): the record is held."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class Duplicate(Rejected):
    """A document with this DocNo exists already; it may be acgate's own earlier write."""

    def __init__(self, message: str, doc_no: str, status: int | None = 409) -> None:
        super().__init__(message, status)
        self.doc_no = doc_no


class TargetPaused(TargetError):
    """Credentials or configuration are wrong (401, 403): pause the target, not the record."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class RateLimited(TargetError):
    """Over the call budget (429); nothing was done. Wait `reset_after_seconds` if known."""

    def __init__(self, message: str, reset_after_seconds: float | None) -> None:
        super().__init__(message)
        self.reset_after_seconds = reset_after_seconds


class Unavailable(TargetError):
    """The request surely had no effect (not sent, or a read failed): safe to retry."""


class InDoubt(TargetError):
    """A write may or may not have happened: look the document up before any resend."""


class Unsupported(TargetError):
    """The target cannot take this kind of request at all; raised before any call."""

    def __init__(self, message: str, doc_type: DocType | None = None) -> None:
        super().__init__(message)
        self.doc_type = doc_type
