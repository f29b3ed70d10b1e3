"""Fault switches, as a client over a real socket sees them."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

import httpx
import pytest

from acgate.sandbox import ConnectionDropped, FaultSettings, SandboxConfig, create_app

from .conftest import Served, invoice


def statuses(sandbox: Served, calls: int) -> list[int]:
    return [sandbox.cloud.get("/1/location/listing").status_code for _ in range(calls)]


def test_latency_delays_each_call_but_not_admin_calls(sandbox: Served) -> None:
    sandbox.faults(latency_ms=60)
    started = time.monotonic()
    assert sandbox.cloud.get("/1/location/listing").status_code == 200
    assert time.monotonic() - started >= 0.06
    started = time.monotonic()
    sandbox.admin.get("/_admin/faults")
    assert time.monotonic() - started < 0.06


def test_a_burst_of_5xx_then_recovery_and_nothing_saved(sandbox: Served) -> None:
    sandbox.faults(error_next=2)
    first = sandbox.cloud.post("/1/invoice", json=invoice())
    assert (first.status_code, first.json()) == (503, {"message": "Service Unavailable"})
    second = sandbox.bridge.get("/api/Item/list")
    assert second.json() == {"ok": False, "error": "Service Unavailable"}
    assert sandbox.cloud.post("/1/invoice", json=invoice()).status_code == 201
    assert [doc["doc_no"] for doc in sandbox.documents()] == ["I-000001"]


def test_a_5xx_rate_repeats_under_its_seed(sandbox: Served) -> None:
    sandbox.faults(error_rate=0.5, error_status=500)
    first = statuses(sandbox, 20)
    assert set(first) == {200, 500}
    sandbox.admin.post("/_admin/reset")
    sandbox.faults(error_rate=0.5, error_status=500)
    assert statuses(sandbox, 20) == first


def test_a_different_seed_draws_differently(serve: Callable[..., Served]) -> None:
    faults = FaultSettings(error_rate=0.5)
    assert statuses(serve(seed=1, faults=faults), 20) != statuses(serve(seed=2, faults=faults), 20)


def test_injected_429_tells_when_to_come_back(sandbox: Served) -> None:
    sandbox.faults(throttle_next=1)
    throttled = sandbox.cloud.get("/1/location/listing")
    assert throttled.status_code == 429
    assert throttled.headers["retry-after"] == "1"
    assert throttled.headers["x-rate-limit-remaining"] == "0"
    assert throttled.headers["x-rate-limit-limit"] == "1m"
    assert "x-rate-limit-reset" in throttled.headers
    assert sandbox.cloud.get("/1/location/listing").status_code == 200


def test_a_dropped_connection_is_a_transport_error_and_saves_nothing(sandbox: Served) -> None:
    sandbox.faults(drop_next=1)
    with pytest.raises(httpx.RemoteProtocolError):
        sandbox.cloud.post("/1/invoice", json=invoice())
    assert sandbox.documents() == []
    assert sandbox.cloud.post("/1/invoice", json=invoice()).status_code == 201


def test_commit_then_drop_saves_the_document_the_client_never_heard_of(
        sandbox: Served) -> None:
    sandbox.faults(commit_timeout_next=1)
    with pytest.raises(httpx.TransportError):
        sandbox.bridge.post("/api/SalesOrder", json={
            "DocDate": "2026-11-20", "DebtorCode": "300-M001", "Remark4": "acg:lost",
            "Details": [{"ItemCode": "WID-100", "Qty": 1}]})
    found = sandbox.bridge.get("/api/SalesOrder/list").json()["data"]
    assert [(row["DocNo"], row["Remark4"]) for row in found] == [("SO-000001", "acg:lost")]


def test_commit_then_timeout_answers_after_the_client_gave_up(sandbox: Served) -> None:
    sandbox.faults(commit_timeout_next=1, commit_timeout_mode="sleep", commit_timeout_ms=300)
    with pytest.raises(httpx.ReadTimeout):
        sandbox.cloud.post("/1/invoice", json=invoice(), timeout=0.1)
    assert sandbox.cloud.get("/1/invoice", params={"docNo": "I-000001"}).status_code == 200


def test_commit_then_timeout_lets_a_refusal_through(sandbox: Served) -> None:
    sandbox.faults(commit_timeout_next=1)
    refused = sandbox.cloud.post("/1/invoice", json=invoice(creditTerm="COD"))
    assert refused.status_code == 400
    assert sandbox.faults()["commit_timeout_next"] == 0


def test_faults_can_be_limited_to_some_methods(sandbox: Served) -> None:
    sandbox.faults(error_next=1, methods=["post"])
    assert sandbox.cloud.get("/1/location/listing").status_code == 200
    assert sandbox.cloud.post("/1/invoice", json=invoice()).status_code == 503
    assert sandbox.faults()["methods"] == ["POST"]


def test_fault_switches_are_read_changed_and_reset(sandbox: Served) -> None:
    assert sandbox.admin.post("/_admin/faults", json={"error_rate": 2}).status_code == 422
    assert sandbox.admin.post("/_admin/faults", json={"no_such": 1}).status_code == 422
    sandbox.faults(drop_next=3)
    assert sandbox.admin.get("/_admin/faults").json()["drop_next"] == 3
    sandbox.admin.post("/_admin/reset")
    assert sandbox.admin.get("/_admin/faults").json() == FaultSettings().model_dump(mode="json")


def test_configured_faults_apply_from_the_start(serve: Callable[..., Served]) -> None:
    faulty = serve(faults=FaultSettings(error_next=1, error_status=502))
    assert faulty.cloud.get("/1/location/listing").status_code == 502


def test_in_process_a_drop_raises_connection_dropped(config: SandboxConfig) -> None:
    config = SandboxConfig(master=config.master, faults=FaultSettings(drop_next=1))
    app = create_app(config)

    async def call() -> None:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://sandbox") as client:
            await client.get("/api/Item/list")

    with pytest.raises(ConnectionDropped):
        asyncio.run(call())
    app.close()
