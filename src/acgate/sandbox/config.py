"""How a sandbox book is set up: its master data, numbering, fiscal years, keys and faults."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from acgate.domain.masterdata import MasterData


class DocKind(StrEnum):
    """AutoCount's document types, by the SDK's names (the bridge's `{DocType}`)."""

    SALES_ORDER = "SalesOrder"
    DELIVERY_ORDER = "DeliveryOrder"
    INVOICE = "Invoice"
    CASH_SALE = "CashSale"
    CREDIT_NOTE = "CreditNote"
    DEBIT_NOTE = "DebitNote"
    PURCHASE_ORDER = "PurchaseOrder"
    GOODS_RECEIVED = "GoodsReceivedNote"
    PURCHASE_INVOICE = "PurchaseInvoice"

    @property
    def purchase(self) -> bool:
        return self in _PURCHASE


_PURCHASE = frozenset({DocKind.PURCHASE_ORDER, DocKind.GOODS_RECEIVED, DocKind.PURCHASE_INVOICE})

DEFAULT_NUMBERING: dict[DocKind, str] = {
    DocKind.SALES_ORDER: "SO-<000000>",
    DocKind.DELIVERY_ORDER: "DO-<000000>",
    DocKind.INVOICE: "I-<000000>",
    DocKind.CASH_SALE: "CS-<000000>",
    DocKind.CREDIT_NOTE: "CN-<000000>",
    DocKind.DEBIT_NOTE: "DN-<000000>",
    DocKind.PURCHASE_ORDER: "PO-<000000>",
    DocKind.GOODS_RECEIVED: "GR-<000000>",
    DocKind.PURCHASE_INVOICE: "PI-<000000>",
}
"""AutoCount's shipped formats; a book overrides any of them (`INV-{@yyMM}-<0000>`)."""


class Period(BaseModel):
    """Days from `start` to `end`, both included."""

    model_config = ConfigDict(frozen=True)

    start: dt.date
    end: dt.date

    @model_validator(mode="after")
    def _ordered(self) -> Period:
        if self.end < self.start:
            raise ValueError(f"period ends ({self.end}) before it starts ({self.start})")
        return self

    def __contains__(self, day: object) -> bool:
        return isinstance(day, dt.date) and self.start <= day <= self.end


def _calendar_year(year: int) -> Period:
    return Period(start=dt.date(year, 1, 1), end=dt.date(year, 12, 31))


class BookConfig(BaseModel):
    """One AutoCount book as both HTTP profiles see it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    book_id: int = 1
    cloud_keys: dict[str, str] = Field(default_factory=lambda: {"sandbox": "sandbox-api-key"})
    """Cloud `Key-ID` -> `API-Key`."""
    bridge_keys: frozenset[str] = frozenset({"sandbox-bridge-key"})
    """Accepted bridge `X-API-KEY` values."""
    numbering: dict[DocKind, str] = Field(default_factory=lambda: dict(DEFAULT_NUMBERING))
    fiscal_years: tuple[Period, ...] = tuple(_calendar_year(y) for y in (2025, 2026, 2027))
    locked_periods: tuple[Period, ...] = ()
    sales_account: str = "500-0000"
    purchase_account: str = "610-0000"
    """The accounts AutoCount fills into a detail's AccNo when asked to."""

    @field_validator("numbering")
    @classmethod
    def _every_kind(cls, given: dict[DocKind, str]) -> dict[DocKind, str]:
        from acgate.sandbox.numbering import NumberFormat

        for text in given.values():
            NumberFormat.parse(text)
        return {**DEFAULT_NUMBERING, **given}


class FaultSettings(BaseModel):
    """Fault switches. `*_next` faults the next N calls; `*_rate` is a probability a call, drawn
    from the sandbox's seeded generator so a run repeats. Admin calls are never faulted."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True)

    latency_ms: int = Field(default=0, ge=0)
    error_next: int = Field(default=0, ge=0)
    error_rate: float = Field(default=0.0, ge=0, le=1)
    error_status: Literal[500, 502, 503, 504] = 503
    throttle_next: int = Field(default=0, ge=0)
    throttle_rate: float = Field(default=0.0, ge=0, le=1)
    drop_next: int = Field(default=0, ge=0)
    drop_rate: float = Field(default=0.0, ge=0, le=1)
    commit_timeout_next: int = Field(default=0, ge=0)
    commit_timeout_rate: float = Field(default=0.0, ge=0, le=1)
    commit_timeout_mode: Literal["drop", "sleep"] = "drop"
    """After the write is saved: close the connection, or answer only after `commit_timeout_ms`."""
    commit_timeout_ms: int = Field(default=2000, ge=0)
    methods: frozenset[str] = frozenset()
    """Fault only calls with these HTTP methods; empty means every method."""

    @field_validator("methods")
    @classmethod
    def _upper(cls, methods: frozenset[str]) -> frozenset[str]:
        return frozenset(m.upper() for m in methods)


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@dataclass(frozen=True)
class SandboxConfig:
    """Everything `create_app` needs.

    `data_dir` None keeps the book in memory; a folder keeps it in `sandbox.db` there, so the
    documents survive a restart of the sandbox (and a crash of whoever was posting to it).
    """

    master: MasterData
    book: BookConfig = field(default_factory=BookConfig)
    data_dir: Path | None = None
    seed: int = 0
    rate_limit: int = 100
    """Cloud calls a minute per `Key-ID`; 0 turns the limit off."""
    faults: FaultSettings = field(default_factory=FaultSettings)
    clock: Callable[[], dt.datetime] = utc_now


def load_book_config(path: Path) -> BookConfig:
    """A book config from a YAML or JSON file (JSON is YAML)."""
    data: Any = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return BookConfig.model_validate(data)
