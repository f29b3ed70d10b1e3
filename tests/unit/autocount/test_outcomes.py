"""What each answer means: the contract's outcome rules, shared by both HTTP profiles."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest

from acgate.autocount.cloud import CloudClient
from acgate.autocount.errors import (
    Duplicate,
    InDoubt,
    RateLimited,
    Rejected,
    TargetError,
    TargetPaused,
    Unavailable,
)
from acgate.autocount.http import error_message
from acgate.domain.documents import DocType

from .fakes import DAY, FakeCloud, answer, posting


def failing(status: int, body: object = None, headers: dict[str, str] | None = None,
            text: str | None = None) -> FakeCloud:
    cloud = FakeCloud()
    if text is not None:
        cloud.fail = lambda request: httpx.Response(status, text=text, headers=headers)
    else:
        cloud.fail = lambda request: answer(status, body, headers)
    return cloud


@pytest.mark.parametrize(("status", "error"), [
    (400, Rejected), (404, Rejected), (409, Rejected), (422, Rejected),
    (401, TargetPaused), (403, TargetPaused), (429, RateLimited),
    (408, InDoubt), (500, InDoubt), (502, InDoubt), (503, InDoubt), (504, InDoubt),
    (303, InDoubt),
])
def test_a_write_answer_maps_to_its_outcome(status: int, error: type[TargetError]) -> None:
    cloud = failing(status, {"message": "AutoCount says no"})
    with pytest.raises(error) as caught:
        cloud.client().post(posting())
    assert type(caught.value) is error
    assert "AutoCount says no" in caught.value.message
    assert len(cloud.requests) == 1  # never retried by the client


@pytest.mark.parametrize(("status", "error"), [
    (400, Rejected), (401, TargetPaused), (403, TargetPaused), (429, RateLimited),
    (500, Unavailable), (503, Unavailable), (408, Unavailable),
])
def test_a_read_answer_maps_to_its_outcome(status: int, error: type[TargetError]) -> None:
    with pytest.raises(error):
        failing(status, {"message": "no"}).client().find(DocType.SALES_INVOICE, "I-1")


def test_a_rejection_carries_autocounts_message_and_status() -> None:
    cloud = failing(400, {"message": "CreditTerm (CreditTermKey = COD) not exists"})
    with pytest.raises(Rejected) as caught:
        cloud.client().post(posting())
    assert caught.value.message == "CreditTerm (CreditTermKey = COD) not exists"
    assert caught.value.status == 400


def test_409_on_a_number_acgate_chose_is_a_duplicate_to_check() -> None:
    cloud = failing(409, {"message": "DocNo I-9 already exists."})
    with pytest.raises(Duplicate) as chosen:
        cloud.client().post(posting(doc_no="I-9"))
    assert chosen.value.doc_no == "I-9" and chosen.value.status == 409
    # Without a number of acgate's there is nothing to compare: a plain refusal.
    with pytest.raises(Rejected) as allocated:
        cloud.client().post(posting())
    assert type(allocated.value) is Rejected


def test_429_tells_how_long_to_wait_and_spends_the_budget() -> None:
    cloud = failing(429, {"message": "API calls quota exceeded!"},
                    headers={"x-rate-limit-reset": "2026-11-20T02:00:42Z",
                             "date": "Fri, 20 Nov 2026 02:00:00 GMT"})
    client = cloud.client()
    with pytest.raises(RateLimited) as caught:
        client.post(posting())
    assert caught.value.reset_after_seconds == 42
    assert client.budget.wait_seconds() == 42


def test_429_falls_back_to_retry_after() -> None:
    cloud = failing(429, headers={"retry-after": "7"})
    with pytest.raises(RateLimited) as caught:
        cloud.client().post(posting())
    assert caught.value.reset_after_seconds == 7
    assert caught.value.message == "HTTP 429 Too Many Requests"


def test_the_last_rate_limit_headers_are_exposed() -> None:
    cloud = FakeCloud()
    cloud.headers = {"x-rate-limit-limit": "1m", "x-rate-limit-remaining": "41",
                     "x-rate-limit-reset": "2026-11-20T02:00:30.0000000Z"}
    client = cloud.client()
    assert client.rate_limit is None
    client.post(posting())
    assert client.rate_limit is not None
    assert (client.rate_limit.limit, client.rate_limit.remaining) == ("1m", 41)
    assert client.rate_limit.reset_after == 30
    cloud.headers = {}
    client.find(DocType.SALES_INVOICE, "I-000001")
    assert client.rate_limit.remaining == 41  # an answer without headers keeps the last seen


def raising(error: type[httpx.TransportError]) -> FakeCloud:
    cloud = FakeCloud()

    def fail(request: httpx.Request) -> httpx.Response:
        raise error("boom", request=request)
    cloud.fail = fail
    return cloud


WRITES: dict[str, Callable[[CloudClient], object]] = {
    "post": lambda client: client.post(posting()),
    "update": lambda client: client.update(posting(), "I-1"),
    "void": lambda client: client.void(DocType.SALES_INVOICE, "I-1"),
}


@pytest.mark.parametrize("write", WRITES)
@pytest.mark.parametrize("error", [
    httpx.ReadTimeout, httpx.WriteTimeout, httpx.RemoteProtocolError, httpx.ReadError,
    httpx.WriteError,
])
def test_a_write_that_may_have_been_sent_is_in_doubt(
        error: type[httpx.TransportError], write: str) -> None:
    cloud = raising(error)
    with pytest.raises(InDoubt, match=error.__name__):
        WRITES[write](cloud.client())
    assert len(cloud.requests) == 1


@pytest.mark.parametrize("error", [httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout])
def test_a_write_that_surely_was_not_sent_is_unavailable(
        error: type[httpx.TransportError]) -> None:
    with pytest.raises(Unavailable, match="not sent"):
        raising(error).client().post(posting())


@pytest.mark.parametrize("error", [httpx.ReadTimeout, httpx.RemoteProtocolError,
                                   httpx.ConnectError])
def test_a_failed_read_is_unavailable(error: type[httpx.TransportError]) -> None:
    with pytest.raises(Unavailable):
        raising(error).client().find(DocType.SALES_INVOICE, "I-1")
    with pytest.raises(Unavailable):
        list(raising(error).client().list_documents(DocType.SALES_INVOICE, DAY, DAY))


def test_an_unreadable_read_answer_is_unavailable() -> None:
    cloud = failing(200, text="<html>maintenance</html>")
    with pytest.raises(Unavailable, match="not JSON"):
        cloud.client().find(DocType.SALES_INVOICE, "I-1")


@pytest.mark.parametrize(("body", "message"), [
    ('{"message": "The Master field is required."}', "The Master field is required."),
    ("AccNo is required.", "AccNo is required."),
    ('{"Message": "An error has occurred."}', "An error has occurred."),
    ('{"error": "bad date"}', "bad date"),
    ('{"ok": false, "error": "DocNo exists"}', "DocNo exists"),
    ('{"errorMessage": "locked"}', "locked"),
    ('{"detail": "Transaction date 20/11/2026 is locked"}',
     "Transaction date 20/11/2026 is locked"),
    ('{"error": {"message": "nested"}}', "nested"),
    ('"quoted text"', "quoted text"),
    ('{"title": "One or more validation errors occurred.", '
     '"errors": {"Master": ["The Master field is required."]}}',
     "The Master field is required."),
    ('{"title": "Bad Request"}', "Bad Request"),
    ("", "HTTP 400 Bad Request"),
])
def test_autocounts_message_is_found_in_any_envelope(body: str, message: str) -> None:
    assert error_message(httpx.Response(400, text=body)) == message
