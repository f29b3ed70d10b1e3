"""What the Cloud and bridge clients share: one httpx client, and the meaning of each answer.

The outcome rules are the contract's "What the client must do". The line that matters most is
between a request that surely never reached AutoCount (safe to send again) and one that may have
been carried out (a write then is in doubt and is never resent blindly).
"""

from __future__ import annotations

import abc
import contextlib
import datetime as dt
import html
import json
import re
from collections.abc import Callable, Hashable, Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from types import TracebackType
from typing import Any, Self, TypeVar

import httpx

from acgate.autocount.errors import (
    Duplicate,
    InDoubt,
    RateLimited,
    Rejected,
    TargetPaused,
    Unavailable,
    Unsupported,
)
from acgate.autocount.fields import Fields, remote_document
from acgate.autocount.masters import code_of
from acgate.autocount.payloads import json_bytes, remark_field
from acgate.autocount.ratelimit import RateBudget, RateLimit, parse_rate_limit, retry_after
from acgate.autocount.target import RemoteDocument, Wait
from acgate.domain.documents import DocType
from acgate.domain.posting import Posting

MESSAGE_KEYS = ("message", "Message", "error", "errorMessage", "detail")
"""Where an error body may put AutoCount's message; the Cloud API's envelope is unpublished."""

# Raised before a byte of the request left this machine: the request cannot have had an effect.
NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)

T = TypeVar("T")
# How often a paced read meets a 429 before it gives up (see `HttpTarget._read`).
READ_TRIES = 5
Page = tuple[list[RemoteDocument], int | None]
"""One listing page: its documents and the total count the page reported (None: not told)."""

ROW_KEYS = ("data", "items", "records", "results", "rows")
"""Where a listing answer may hold its rows: the Cloud API's `data`, else a common name."""
COUNT_KEYS = ("totalCount", "totalRecords", "totalItems")
"""Where a listing answer may say how many rows the whole listing has."""


@dataclass(frozen=True, slots=True)
class Timeouts:
    """Seconds allowed for each phase of a call; every call has all four."""

    connect: float = 5.0
    read: float = 30.0
    write: float = 30.0
    pool: float = 5.0

    def as_httpx(self) -> httpx.Timeout:
        return httpx.Timeout(connect=self.connect, read=self.read, write=self.write,
                             pool=self.pool)


@dataclass(frozen=True, kw_only=True)
class HttpSettings:
    """What both HTTP profiles are configured with.

    `key_window` is how far either side of a posting's date `find_by_key` looks; a person may
    have changed the date in AutoCount since. `listing_passes` bounds how often a listing whose
    pages kept shifting is read again before it is reported as unavailable.
    """

    base_url: str
    timeouts: Timeouts = field(default_factory=Timeouts)
    remark_field: str = "remark4"
    key_window: dt.timedelta = dt.timedelta(days=7)
    listing_passes: int = 3

    def __post_init__(self) -> None:
        object.__setattr__(self, "remark_field", remark_field(self.remark_field))
        if self.listing_passes < 1:
            raise ValueError("listing_passes must be at least 1")


HTML_MESSAGE_LENGTH = 200


def is_html(response: httpx.Response) -> bool:
    """Whether an answer is a web page (a proxy's or web server's), not the API speaking."""
    if "html" in response.headers.get("content-type", "").casefold():
        return True
    start = response.text.lstrip()[:15].casefold()
    return start.startswith(("<!doctype html", "<html"))


def _html_text(page: str) -> str:
    """What an HTML error page says, in one short line: its title, else its text."""
    title = re.search(r"<title[^>]*>(.*?)</title>", page, re.IGNORECASE | re.DOTALL)
    body = re.sub(r"<(script|style)[^>]*>.*?</\1>", " ", page, flags=re.IGNORECASE | re.DOTALL)
    text = title.group(1) if title and title.group(1).strip() else re.sub(r"<[^>]+>", " ", body)
    text = " ".join(html.unescape(text).split())
    if len(text) > HTML_MESSAGE_LENGTH:
        text = text[:HTML_MESSAGE_LENGTH - 1] + "…"
    return text


def error_message(response: httpx.Response) -> str:
    """AutoCount's message in an error answer, whatever envelope carries it.

    An HTML page (a proxy's 502, a web server's 404) is not AutoCount speaking: its title is
    the message, marked as a web page, instead of the whole page.
    """
    text = response.text.strip()
    if text and is_html(response):
        said = _html_text(text) or f"HTTP {response.status_code} {response.reason_phrase}"
        return f"{said.strip()} (a web page answered, not AutoCount's API)"
    try:
        body = json.loads(text) if text else None
    except ValueError:
        return text
    message = _message_in(body)
    if message:
        return message
    return text or f"HTTP {response.status_code} {response.reason_phrase}".strip()


def _message_in(body: Any) -> str | None:
    if isinstance(body, str):
        return body.strip() or None
    if not isinstance(body, Mapping):
        return None
    for key in MESSAGE_KEYS:
        found = _message_in(body.get(key))
        if found:
            return found
    # ASP.NET's validation answer: {"title": ..., "errors": {"Master": ["The Master field..."]}}
    errors = body.get("errors")
    if isinstance(errors, Mapping):
        texts = [str(item) for items in errors.values()
                 for item in (items if isinstance(items, list) else [items])]
        if texts:
            return " ".join(texts)
    title = body.get("title")
    return (title.strip() or None) if isinstance(title, str) else None


def doc_no_from_location(location: str | None) -> str | None:
    """The `docNo` query parameter of a `location` header such as `.../invoice?docNo=I-000001`."""
    if not location:
        return None
    try:
        params = httpx.URL(location).params
    except httpx.InvalidURL:
        return None
    for name, value in params.multi_items():
        if name.casefold() == "docno" and value.strip():
            return value.strip()
    return None


class HttpTarget(abc.ABC):
    """The shared half of an HTTP target: calls, outcome mapping, complete listings."""

    name: str
    unlisted_master_tables: frozenset[str] = frozenset()
    duplicate_statuses: tuple[int, ...] = (409,)
    """Refusals of a post under acgate's own number that may mean "that number is taken"."""

    def __init__(self, settings: HttpSettings, base_url: str, headers: Mapping[str, str], *,
                 transport: httpx.BaseTransport | None = None, budget: RateBudget | None = None,
                 clock: Callable[[], dt.datetime] | None = None) -> None:
        self.settings = settings
        self.budget = budget or RateBudget()
        self._wait: Wait | None = None
        self._clock = clock or (lambda: dt.datetime.now(dt.UTC))
        self._rate_limit: RateLimit | None = None
        self._client = httpx.Client(
            base_url=base_url, headers={"Accept": "application/json", **headers},
            timeout=settings.timeouts.as_httpx(), transport=transport,
        )

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self.close()

    @property
    def rate_limit(self) -> RateLimit | None:
        return self._rate_limit

    @abc.abstractmethod
    def unsupported(self, posting: Posting) -> str | None: ...

    @abc.abstractmethod
    def find(self, doc_type: DocType, doc_no: str) -> RemoteDocument | None: ...

    @abc.abstractmethod
    def _supported_type(self, doc_type: DocType) -> str | None:
        """The target's name for a document type, or None when it has none."""

    @abc.abstractmethod
    def _page(self, doc_type: DocType, date_from: dt.date, date_to: dt.date,
              party_code: str | None, page: int) -> Page: ...

    def find_by_key(self, doc_type: DocType, key: str, party_code: str | None, date: dt.date,
                    doc_no: str | None = None) -> RemoteDocument | None:
        if doc_no is not None:
            found = self.find(doc_type, doc_no)
            # A document under that number without acgate's key is someone else's: ours is absent.
            return found if found is not None and found.acgate_key == key else None
        window = self.settings.key_window
        for document in self._listing(doc_type, date - window, date + window, party_code):
            if document.acgate_key == key:
                return document
        return None

    def list_documents(self, doc_type: DocType, date_from: dt.date,
                       date_to: dt.date) -> Iterator[RemoteDocument]:
        return self._listing(doc_type, date_from, date_to, None)

    def _listing(self, doc_type: DocType, date_from: dt.date, date_to: dt.date,
                 party_code: str | None) -> Iterator[RemoteDocument]:
        self._type_name(doc_type)  # refuse before the first call, not at the first `next`
        return complete_listing(
            lambda page: self._page(doc_type, date_from, date_to, party_code, page),
            lambda document: document.identity, self.settings.listing_passes,
        )

    def _document(self, doc_type: DocType, data: Any) -> RemoteDocument:
        try:
            return remote_document(doc_type, data, self.settings.remark_field)
        except ValueError as error:
            raise Unavailable(f"unreadable {doc_type.value} from AutoCount: {error}") from error

    def _documents(self, doc_type: DocType, answer: Any) -> Page:
        """A listing page's documents. A row without the date or without the remark field
        that carries acgate's key (a summary row: the contract names no listing row's fields)
        is read whole by its number, since a key not listed is unknown, not absent."""
        try:
            rows, total = listing_page(answer)
        except ValueError as error:
            raise Unavailable(f"unreadable {doc_type.value} listing: {error}") from error
        documents: list[RemoteDocument] = []
        for row in rows:
            try:
                doc_no = summary_row(row, self.settings.remark_field)
            except ValueError as error:
                raise Unavailable(f"unreadable {doc_type.value} listing: {error}") from error
            if doc_no is None:
                documents.append(self._document(doc_type, row))
            elif (whole := self.find(doc_type, doc_no)) is not None:
                documents.append(whole)
        return documents, total

    def _table(self, path: str, params: Mapping[str, str], read: Callable[[Fields], T],
               identity: Callable[[T], Hashable]) -> list[T]:
        """Every row of a master data table, read page by page."""
        def fetch(page: int) -> tuple[list[T], int | None]:
            answer = self._read("GET", path, params={**params, "page": page})
            try:
                rows, total = listing_page(answer)
                return [read(Fields(row)) for row in rows], total
            except ValueError as error:
                raise Unavailable(f"unreadable {path} listing: {error}") from error
        return list(complete_listing(fetch, identity, self.settings.listing_passes))

    def _codes(self, path: str, params: Mapping[str, str], name: str) -> set[str]:
        """A master data table of bare codes, such as locations, whose code field is `name`."""
        return set(self._table(path, params, lambda row: code_of(row, name, "code"), str))

    def _type_name(self, doc_type: DocType) -> str:
        name = self._supported_type(doc_type)
        if name is None:
            raise Unsupported(f"the {self.name} target takes no {doc_type.value} documents",
                              doc_type)
        return name

    def _refuse_unsupported(self, posting: Posting) -> None:
        reason = self.unsupported(posting)
        if reason is not None:
            raise Unsupported(reason, posting.doc_type)

    @contextlib.contextmanager
    def pacing(self, wait: Wait | None) -> Iterator[None]:
        previous, self._wait = self._wait, wait
        try:
            yield
        finally:
            self._wait = previous

    def _read(self, method: str, url: str, *, params: Mapping[str, str | int] | None = None,
              body: Any = None, missing_ok: bool = False) -> Any:
        """The JSON answer of a call without effect; None for a 404 when `missing_ok`. Inside
        `pacing`, a spent call budget is waited out first and a 429 tried again after its reset
        (a few times: a key shared with another program may keep it spent)."""
        tries = 1
        while True:
            if self._wait is not None and (pause := self.budget.wait_seconds()):
                self._wait(pause)
            try:
                response = self._call(method, url, write=False, params=params, body=body,
                                      missing_ok=missing_ok)
            except RateLimited:
                if self._wait is None or tries == READ_TRIES:
                    raise
                tries += 1
                continue  # the budget now knows the reset: the next turn waits for it
            return None if response is None else answer_json(response, write=False)

    def _write(self, method: str, url: str, *, params: Mapping[str, str] | None = None,
               body: Any = None, doc_no: str | None = None) -> httpx.Response:
        """The answer of a call that changes the book; `doc_no` is the number acgate chose."""
        response = self._call(method, url, write=True, params=params, body=body, doc_no=doc_no)
        assert response is not None  # only reads may answer "missing"
        return response

    def _call(self, method: str, url: str, *, write: bool,
              params: Mapping[str, str | int] | None = None, body: Any = None,
              doc_no: str | None = None, missing_ok: bool = False) -> httpx.Response | None:
        request = self._client.build_request(
            method, url, params=params,
            content=None if body is None else json_bytes(body),
            headers=None if body is None else {"Content-Type": "application/json"},
        )
        what = f"{method} {request.url.path}"
        try:
            response = self._client.send(request)
        except NOT_SENT as error:
            raise Unavailable(f"{what} was not sent: {_describe(error)}") from error
        except httpx.UnsupportedProtocol as error:
            raise TargetPaused(f"the target's address is wrong: {error}") from error
        except httpx.RequestError as error:
            self.budget.record(None)
            if write:
                raise InDoubt(f"{what} may have been carried out: {_describe(error)} after the "
                              "request was sent") from error
            raise Unavailable(f"{what} failed: {_describe(error)}") from error
        self._observe(response)
        # A web page's 404 is a proxy or web server that did not reach the API (a wrong path,
        # an application restarting), not AutoCount saying the document is absent.
        if missing_ok and response.status_code == 404 and not is_html(response):
            return None
        self._check(response, what, write, doc_no)
        return response

    def _observe(self, response: httpx.Response) -> None:
        rate = parse_rate_limit(response.headers, self.budget.clock(), self._clock())
        if rate is not None:
            self._rate_limit = rate
        self.budget.record(rate)

    def _check(self, response: httpx.Response, what: str, write: bool,
               doc_no: str | None) -> None:
        status = response.status_code
        if 200 <= status < 300:
            return
        message = error_message(response)
        if status in (401, 403):
            raise TargetPaused(message, status)
        if status == 429:
            wait = retry_after(response.headers, self._clock())
            self.budget.exhausted(wait)
            raise RateLimited(message, wait)
        # Any status is an answer to a request that arrived; only AutoCount's refusals (4xx)
        # say that nothing was written. A 5xx or a redirect leaves a write in doubt.
        if status < 400 or status == 408 or status >= 500:
            if write:
                raise InDoubt(f"{what} answered {status} after the request was sent: {message}")
            raise Unavailable(f"{what} answered {status}: {message}")
        if is_html(response):
            # A web page for a refusal is a proxy or web server that kept the request from the
            # API (a wrong path, an application restarting): nothing was written, try again.
            raise Unavailable(f"{what} answered {status}: {message}")
        if status in self.duplicate_statuses and doc_no is not None:
            raise Duplicate(message, doc_no, status)
        raise Rejected(message, status)


def complete_listing(fetch: Callable[[int], tuple[list[T], int | None]],
                     identity: Callable[[T], Hashable], passes: int) -> Iterator[T]:
    """Every row of a paged listing once, though pages come in no stable order.

    `fetch(page)` gives a page's rows and the total the listing reported. A write between two
    page calls can move rows across pages, so one pass may see a row twice and miss another:
    rows are told apart by `identity`, and passes repeat until as many distinct rows were seen
    as the listing counts.

    A listing that reports no total (a bare list, or `data` alone) is read page after page
    until a page is empty, brings no row not seen (a server that ignores `page` answers the
    whole listing each time) or is refused past the first page: its first page alone is never
    taken for the whole listing, since an in-doubt document thought absent would be sent twice.
    """
    seen: set[Hashable] = set()
    total: int | None = 0
    for _ in range(passes):
        rows_this_pass, page = 0, 1
        while True:
            try:
                rows, total = fetch(page)
            except Rejected:
                if page > 1 and total is None:
                    return  # no page past the last: the uncounted listing was read whole
                raise
            fresh = 0
            for row in rows:
                if identity(row) not in seen:
                    seen.add(identity(row))
                    fresh += 1
                    yield row
            rows_this_pass += len(rows)
            if not rows or (rows_this_pass >= total if total is not None else not fresh):
                break
            page += 1
        if total is None or len(seen) >= total:
            return
    raise Unavailable(f"the listing kept shifting: {len(seen)} distinct rows of {total} after "
                      f"{passes} passes")


def listing_page(answer: Any) -> tuple[list[Any], int | None]:
    """A listing answer `{"data": [...], "totalCount": n}`: its rows and count (None: not told).

    The contract gives the Cloud listings this envelope and leaves the bridge's open, so a bare
    list, or rows under another common name without a count, is read as one page of a listing
    of unknown length.
    """
    if isinstance(answer, list):
        return answer, None
    page = Fields(answer)
    rows = page.get(*ROW_KEYS)
    if not isinstance(rows, list):
        raise ValueError("a listing answer needs its rows as a list in `data`")
    return rows, page.integer(*COUNT_KEYS)


def summary_row(row: Any, remark: str) -> str | None:
    """The DocNo of a listing row that lacks the date or acgate's remark field, else None."""
    outer = Fields(row)
    master = Fields(outer.get("master")) if outer.has("master") else outer
    if master.get("docDate") is not None and master.has(remark):
        return None
    return master.text("docNo")


def answer_json(response: httpx.Response, write: bool) -> Any:
    """The JSON of an answer, decimals exact; unreadable is in doubt for a write."""
    try:
        return json.loads(response.content, parse_float=Decimal) if response.content else None
    except ValueError as error:
        what = f"{response.request.method} {response.request.url.path}"
        if write:
            raise InDoubt(f"{what} answered {response.status_code} in a form that is not JSON; "
                          "the write may have been carried out") from error
        raise Unavailable(f"the answer to {what} is not JSON") from error


def _describe(error: httpx.RequestError) -> str:
    return f"{type(error).__name__}: {error}" if str(error) else type(error).__name__
