"""A small AutoCount book for the sandbox tests, reached in-process or over a real socket."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from typing import Any

import httpx
import pytest

from acgate.domain.masterdata import MasterData
from acgate.sandbox import SandboxConfig, run_in_thread
from acgate.sources.masterdata import master_data_from_json

CLOUD_KEYS = {"Key-ID": "sandbox", "API-Key": "sandbox-api-key"}
BRIDGE_KEYS = {"X-API-KEY": "sandbox-bridge-key"}

MASTER_JSON: dict[str, Any] = {
    "debtors": [
        {"code": "300-M001", "name": "Syarikat Maju Jaya Sdn Bhd", "tin": "C20880050010",
         "currency": "MYR", "terms": "30 Days"},
        {"code": "300-K002", "name": "Kedai Runcit Ah Kow", "active": False},
    ],
    "creditors": [{"code": "400-P001", "name": "Pembekal Utama Sdn Bhd", "terms": "C.O.D."}],
    "items": [
        {"code": "WID-100", "description": "Widget", "base_uom": "PCS", "tax_code": "S-10",
         "uoms": [{"uom": "PCS", "rate": "1", "price": "12.50", "purchase_price": "7.20"},
                  {"uom": "CTN", "rate": "12", "price": "140.00"}]},
        {"code": "GAD-200", "description": "Gadget", "base_uom": "UNIT",
         "uoms": [{"uom": "UNIT", "rate": "1", "price": "30.00"}]},
    ],
    "locations": ["HQ", "PENANG"],
    "tax_codes": [{"code": "S-10", "rate": "0.1"}, {"code": "SV-8", "rate": "0.08"}],
    "terms": ["30 Days", "C.O.D."],
    "agents": ["MEI"],
    "projects": ["P-2026"],
    "departments": ["SALES"],
}


class Clock:
    """A clock the test moves."""

    START = dt.datetime(2026, 11, 20, 9, 0, tzinfo=dt.UTC)

    def __init__(self) -> None:
        self.now = self.START

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += dt.timedelta(**delta)


@dataclass
class Served:
    """A sandbox behind uvicorn, with a client for each profile and one for /_admin."""

    base_url: str
    cloud: httpx.Client
    bridge: httpx.Client
    admin: httpx.Client

    @classmethod
    def at(cls, base_url: str, timeout: float = 2.0) -> Served:
        # One transport for the three clients: building httpx's TLS context takes ~40 ms.
        transport = httpx.HTTPTransport()

        def client(headers: dict[str, str]) -> httpx.Client:
            return httpx.Client(base_url=base_url, headers=headers, timeout=timeout,
                                transport=transport, trust_env=False)

        return cls(base_url, client(CLOUD_KEYS), client(BRIDGE_KEYS), client({}))

    def close(self) -> None:
        for client in (self.cloud, self.bridge, self.admin):
            client.close()

    def faults(self, **switches: Any) -> dict[str, Any]:
        answer = self.admin.post("/_admin/faults", json=switches)
        answer.raise_for_status()
        settings: dict[str, Any] = answer.json()
        return settings

    def documents(self) -> list[dict[str, Any]]:
        answer = self.admin.get("/_admin/documents")
        answer.raise_for_status()
        documents: list[dict[str, Any]] = answer.json()["documents"]
        return documents


@pytest.fixture(scope="session")
def master() -> MasterData:
    return master_data_from_json(MASTER_JSON)


@pytest.fixture(scope="session")
def clock() -> Clock:
    return Clock()


@pytest.fixture(scope="session")
def config(master: MasterData, clock: Clock) -> SandboxConfig:
    """The shared sandbox's config: no rate limit, so tests may make many calls."""
    return SandboxConfig(master=master, clock=clock, rate_limit=0)


@pytest.fixture(scope="session")
def shared(config: SandboxConfig) -> Iterator[Served]:
    base_url, stop = run_in_thread(config)
    served = Served.at(base_url)
    yield served
    served.close()
    stop()


@pytest.fixture
def sandbox(shared: Served, clock: Clock) -> Served:
    """The shared sandbox, emptied: no documents, numbering from 1, no faults."""
    clock.now = Clock.START
    shared.admin.post("/_admin/reset").raise_for_status()
    return shared


@pytest.fixture
def serve(config: SandboxConfig) -> Iterator[Callable[..., Served]]:
    """Start a sandbox of its own; keyword arguments change the config (`timeout` the
    clients' timeout)."""
    started: list[tuple[Served, Callable[[], None]]] = []

    def start(timeout: float = 2.0, **changes: Any) -> Served:
        base_url, stop = run_in_thread(replace(config, **changes))
        served = Served.at(base_url, timeout)
        started.append((served, stop))
        return served

    yield start
    for served, stop in started:
        served.close()
        stop()


def invoice(**master: Any) -> dict[str, Any]:
    """A Cloud invoice body that the book accepts; keyword arguments change the master."""
    return {
        "master": {"docDate": "2026-11-20", "debtorCode": "300-M001",
                   "debtorName": "Syarikat Maju Jaya Sdn Bhd", "creditTerm": "30 Days",
                   "salesLocation": "HQ", "remark4": "acg:test-1", **master},
        "details": [{"productCode": "WID-100", "accNo": "500-0000", "qty": 2, "unit": "PCS",
                     "unitPrice": 12.5, "taxCode": "S-10"}],
    }


def bridge_doc(**head: Any) -> dict[str, Any]:
    """A bridge sales order that the book accepts; keyword arguments change the header."""
    return {"DocNo": "<<New>>", "DocDate": "2026-11-20", "DebtorCode": "300-M001",
            "Remark4": "acg:so-1",
            "Details": [{"ItemCode": "WID-100", "UOM": "PCS", "Qty": 10, "UnitPrice": 12.5},
                        {"ItemCode": "GAD-200", "UOM": "UNIT", "Qty": 4, "UnitPrice": 30}],
            **head}
