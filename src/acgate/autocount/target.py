"""What every AutoCount target offers acgate, and what it answers with.

A target is one way into one AutoCount book: the Cloud API, the on-premise bridge, or import
workbooks for a person. The dispatcher and reconciliation speak only this protocol.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass
from decimal import Decimal
from typing import Protocol

from acgate.autocount.ratelimit import RateLimit
from acgate.domain.documents import DocType
from acgate.domain.masterdata import MasterData
from acgate.domain.posting import Posting, Transfer

# Pauses the caller for so many seconds (the CLI sleeps; a test records).
Wait = Callable[[float], None]


@dataclass(frozen=True, slots=True)
class Accepted:
    """AutoCount holds the document as `doc_no`; `doc_key` is None when it was not learnt."""

    doc_no: str
    doc_key: int | None = None


@dataclass(frozen=True, slots=True)
class RemoteLine:
    """A document line as AutoCount holds it, in the fields reconciliation compares."""

    item: str | None
    uom: str | None
    qty: Decimal | None
    unit_price: Decimal | None = None
    discount: str | None = None
    tax_code: str | None = None
    location: str | None = None
    description: str | None = None
    project: str | None = None
    department: str | None = None
    subtotal: Decimal | None = None
    seq: int | None = None
    transfer: Transfer | None = None


@dataclass(frozen=True, slots=True)
class RemoteDocument:
    """A document as AutoCount holds it, normalised to `Decimal` and `date`.

    `acgate_key` is the key found in the configured remark field (None when the document was not
    written by acgate). `lines` is None when a listing did not carry the details; `find` gives
    the whole document.
    """

    doc_type: DocType
    doc_no: str
    doc_key: int | None
    date: dt.date
    party_code: str | None
    party_name: str | None = None
    ref: str | None = None
    description: str | None = None
    remarks: tuple[str | None, ...] = (None, None, None, None)
    acgate_key: str | None = None
    currency: str | None = None
    currency_rate: Decimal | None = None
    agent: str | None = None
    terms: str | None = None
    location: str | None = None
    total: Decimal | None = None
    cancelled: bool = False
    lines: tuple[RemoteLine, ...] | None = None

    @property
    def identity(self) -> int | str:
        """What tells two listing rows apart: the DocKey, else the DocNo (unique per type)."""
        return self.doc_key if self.doc_key is not None else self.doc_no


class Target(Protocol):
    """One AutoCount book as acgate posts to it.

    Every method raises the errors of `acgate.autocount.errors`; none retries a write by itself
    and none sleeps. `list_documents` and `find_by_key` return only complete answers: when a
    listing cannot be read completely they raise `Unavailable` rather than report an absence.
    """

    name: str
    # The master data tables `master_data` cannot read (left empty there): a pull keeps what
    # was loaded for them before, rather than emptying them.
    unlisted_master_tables: frozenset[str]

    @property
    def rate_limit(self) -> RateLimit | None:
        """The rate-limit headers of the latest answer, if the target sends them."""
        ...

    def unsupported(self, posting: Posting) -> str | None:
        """Why this target cannot take the posting at all, or None when it can."""
        ...

    def post(self, posting: Posting, *, need_key: bool = False) -> Accepted:
        """Create the document; learn its DocKey too when `need_key` (one more call on cloud)."""
        ...

    def find(self, doc_type: DocType, doc_no: str) -> RemoteDocument | None:
        ...

    def find_by_key(self, doc_type: DocType, key: str, party_code: str | None, date: dt.date,
                    doc_no: str | None = None) -> RemoteDocument | None:
        """The document that carries acgate's key, to resolve a write that is in doubt.

        With `doc_no` (acgate chose the number) one look-up decides; otherwise the party's
        documents around `date` are listed. None is a confirmed absence.
        """
        ...

    def update(self, posting: Posting, doc_no: str) -> None:
        """Replace document `doc_no` with the posting, lines included."""
        ...

    def void(self, doc_type: DocType, doc_no: str) -> None:
        """Cancel the document (Cloud's void, the SDK's cancel)."""
        ...

    def list_documents(self, doc_type: DocType, date_from: dt.date,
                       date_to: dt.date) -> Iterator[RemoteDocument]:
        """Each document dated in the range once, whatever order the pages come in."""
        ...

    def master_data(self) -> MasterData:
        """AutoCount's master data."""
        ...

    def pacing(self, wait: Wait | None) -> AbstractContextManager[None]:
        """Reads made inside pause for AutoCount's call budget through `wait` (and try again
        after a 429) instead of failing: for a long run of reads whose caller can wait, such as
        a master data pull (one call per product on the Cloud API) or a reconciliation (one per
        document). A target never sleeps by itself."""
        ...
