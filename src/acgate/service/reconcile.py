"""Reconciliation: what AutoCount holds now, against what acgate posted.

A field AutoCount owns (the company's ownership rule) may change there: the difference is
accepted and recorded. Any other difference is a manual edit after sync, held for review; a
document acgate synced that AutoCount no longer has is held as missing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from acgate.autocount.target import RemoteDocument, Target, Wait
from acgate.domain.codes import Code, Outcome
from acgate.domain.documents import DocType, party_kind
from acgate.domain.findings import Finding, Suggestion
from acgate.domain.masterdata import MasterData
from acgate.domain.posting import RECONCILED_HEADER, RECONCILED_LINE, Posting
from acgate.service.companies import CompanyDirectory
from acgate.service.pipeline import recheck
from acgate.storage.repository import StoredDocument
from acgate.storage.store import Store


@dataclass
class ReconcileReport:
    checked: int = 0
    matching: int = 0
    accepted: list[tuple[str, str]] = field(default_factory=list)
    edited: list[tuple[str, list[str]]] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    stopped: bool = False  # told to stop before it had compared them all


def _same(left: Any, right: Any) -> bool:
    """Equal as AutoCount means it: 148 is 148.00, a date is its ISO text, empty is absent."""
    if left in (None, "") or right in (None, ""):
        return left in (None, "") and right in (None, "")
    try:
        return Decimal(str(left)) == Decimal(str(right))
    except ArithmeticError:
        return str(left) == str(right)


def _filled(name: str, posted: dict[str, Any], line: dict[str, Any] | None,
            master: MasterData | None) -> Any:
    """What AutoCount puts into a field acgate sent empty, as the SDK fills it: rate 1, the
    party's term, the item's description, tax code and price for the UOM. None when unknown."""
    if name == "currency_rate":
        return Decimal(1)
    if master is None:
        return None
    kind = party_kind(DocType(posted["doc_type"])) if "doc_type" in posted else "customer"
    if line is None:
        party = master.parties(kind).get(posted.get("party_code") or "")
        return party.terms if name == "terms" and party is not None else None
    item = master.items.get(line.get("item") or "")
    if item is None:
        return None
    if name == "description":
        return item.description
    if name == "tax_code":
        return item.tax_code
    unit = item.uom(line.get("uom") or "")
    if name == "unit_price" and unit is not None:
        return unit.purchase_price if kind == "supplier" else unit.price
    return None


def _unchanged(name: str, mine: Any, theirs: Any, posted: dict[str, Any],
               line: dict[str, Any] | None, master: MasterData | None) -> bool:
    """The same, or a field acgate left empty that AutoCount filled in itself: on a line
    transferred from another document from that document's line (compared there), else with
    AutoCount's default."""
    if _same(mine, theirs):
        return True
    if mine not in (None, ""):
        return False
    if line is not None and line.get("transfer"):
        return True
    default = _filled(name, posted, line, master)
    return default is not None and _same(default, theirs)


def differences(posted: dict[str, Any], remote: RemoteDocument,
                master: MasterData | None = None) -> list[tuple[str, Any, Any]]:
    """(field, what acgate posted, what AutoCount holds) for every field that differs.
    `master` (the company's AutoCount master data) tells AutoCount's defaults apart from edits."""
    found = []
    held = {"reference": remote.ref, **{name: getattr(remote, name, None)
                                        for name in RECONCILED_HEADER if name != "reference"}}
    for name in RECONCILED_HEADER:
        if name in posted and not _unchanged(name, posted[name], held[name], posted, None,
                                             master):
            found.append((name, posted[name], held[name]))
    cancelled = bool(posted.get("cancelled"))  # acgate voided it itself
    if remote.cancelled != cancelled:
        found.append(("cancelled", cancelled, remote.cancelled))
    lines = list(remote.lines or ())
    for index, line in enumerate(posted.get("lines", [])):
        theirs = lines[index] if index < len(lines) else None
        for name in RECONCILED_LINE:
            mine, held_value = line.get(name), getattr(theirs, name, None) if theirs else None
            if theirs is None or not _unchanged(name, mine, held_value, posted, line, master):
                found.append((f"lines[{index}].{name}", mine, held_value))
                if theirs is None:
                    break
    for index in range(len(posted.get("lines", [])), len(lines)):
        found.append((f"lines[{index}]", None, lines[index].item))
    return found


def _owned_by_autocount(field_name: str, owned: list[str]) -> bool:
    generic = field_name.split("[")[0] + "." + field_name.split(".")[-1] \
        if "[" in field_name else field_name
    return field_name in owned or generic in owned


# The findings reconciliation raises, which it also ends once AutoCount's copy matches again.
_RECONCILED = frozenset({Code.MANUAL_EDIT_AFTER_SYNC.value, Code.MISSING_IN_AUTOCOUNT.value})


class Reconciler:
    def __init__(self, store: Store, directory: CompanyDirectory,
                 targets: Callable[[str], Target], clock: Callable[[], dt.datetime],
                 actor: str = "reconciliation") -> None:
        self.store = store
        self.directory = directory
        self.targets = targets
        self.clock = clock
        self.actor = actor

    def run(self, company: str, date_from: dt.date, date_to: dt.date,
            stop: Callable[[], bool] = lambda: False,
            wait: Wait | None = None) -> ReconcileReport:
        """Compare every document synced in the range. `stop` is asked before each one: a
        worker told to stop (SIGTERM) leaves after the document in hand, not after thousands;
        the next round compares them all again. Given `wait`, reading AutoCount pauses for its
        call budget (a document can take a call of its own) instead of failing part way, which
        would leave the documents after the hundredth or so never compared."""
        report = ReconcileReport()
        target = self.targets(company)
        with self.store.transaction() as repo:
            synced = repo.synced_postings(company, date_from, date_to)
            master = self.directory.get(repo, company).master
        by_type: dict[DocType, list[tuple[StoredDocument, dict[str, Any]]]] = {}
        for stored, posted in synced:
            by_type.setdefault(DocType(posted["doc_type"]), []).append((stored, posted))
        with target.pacing(wait):
            for doc_type, documents in by_type.items():
                if stop():
                    break
                held = {d.doc_no: d
                        for d in target.list_documents(doc_type, date_from, date_to)}
                for stored, posted in documents:
                    if stop():
                        report.stopped = True
                        return report
                    report.checked += 1
                    remote = held.get(posted["doc_no"]) or target.find(doc_type,
                                                                       posted["doc_no"])
                    self._compare(company, stored, posted, remote, master, report)
        return report

    def _compare(self, company: str, stored: StoredDocument, posted: dict[str, Any],
                 remote: RemoteDocument | None, master: MasterData,
                 report: ReconcileReport) -> None:
        rules = self.directory.rules[company]
        if remote is None:
            report.missing.append(str(stored.identity))
            self._hold(stored, Finding(
                Code.MISSING_IN_AUTOCOUNT, Outcome.HELD, rules.owner_of(Code.MISSING_IN_AUTOCOUNT),
                f"AutoCount no longer has {posted['doc_no']}, which acgate synced",
                expected=posted["doc_no"],
                suggestions=(Suggestion("find out who deleted it; retry the sync to post it "
                                        "again", "retry"),)))
            return
        if remote.lines is None:
            remote = self.targets(company).find(remote.doc_type, remote.doc_no) or remote
        diffs = differences(posted, remote, master)
        owned = rules.ownership.autocount
        accepted = [d for d in diffs if _owned_by_autocount(d[0], owned)]
        edited = [d for d in diffs if not _owned_by_autocount(d[0], owned)]
        if accepted:
            report.accepted.extend((str(stored.identity), d[0]) for d in accepted)
            self._record(stored, accepted)
        if not edited:
            report.matching += 0 if accepted else 1
            self._clear(stored)
            return
        shown = "; ".join(f"{name}: {mine} -> {theirs}" for name, mine, theirs in edited)
        report.edited.append((str(stored.identity), [d[0] for d in edited]))
        self._hold(stored, Finding(
            Code.MANUAL_EDIT_AFTER_SYNC, Outcome.HELD,
            rules.owner_of(Code.MANUAL_EDIT_AFTER_SYNC),
            f"{posted['doc_no']} was changed in AutoCount after sync (source-owned fields): "
            f"{shown}", field=edited[0][0], source_value=str(edited[0][1]),
            expected=str(edited[0][2]),
            suggestions=(Suggestion("accept AutoCount's version: release with a reason",
                                    "release"),
                         Suggestion("correct it in AutoCount; the next reconciliation then clears "
                                    "it", "fix_autocount"))))

    def _record(self, stored: StoredDocument, accepted: list[tuple[str, Any, Any]]) -> None:
        now = self.clock()
        with self.store.transaction() as repo:
            repo.append_events([{
                "document_id": stored.id, "version_id": stored.synced_version_id,
                "company": stored.company, "at": now, "actor": self.actor,
                "kind": "reconciled",
                "reason": "AutoCount-owned fields changed there; accepted: "
                + ", ".join(name for name, _, _ in accepted),
                "data": {"accepted": [{"field": n, "posted": str(a), "autocount": str(b)}
                                      for n, a, b in accepted]},
            }])

    def _clear(self, stored: StoredDocument) -> None:
        """AutoCount's copy matches what acgate posted again (corrected or restored there): what
        reconciliation held the record for no longer stands, so it is re-checked without it.
        Otherwise the way out its finding offers (correct it in AutoCount) would lead nowhere."""
        if not any(f.get("code") in _RECONCILED for f in stored.carried):
            return
        now = self.clock()
        with self.store.transaction() as repo:
            current = repo.by_ids([stored.id])[0]
            assert current.current_version_id is not None
            repo.set_version_fields(current.current_version_id, carried=[
                f for f in current.carried if f.get("code") not in _RECONCILED])
            recheck(repo, self.directory.lookup(repo), [stored.id], now, self.actor,
                    "AutoCount's copy matches what acgate posted again", kind="reconciled")

    def _hold(self, stored: StoredDocument, finding: Finding) -> None:
        now = self.clock()
        with self.store.transaction() as repo:
            current = repo.by_ids([stored.id])[0]
            code = finding.code.value
            if any(f.get("code") == code and f.get("message") == finding.message
                   for f in current.carried):
                return  # held for this very difference already, or a person accepted it
            # A difference other than the one held (or accepted) is a new edit: it replaces the
            # old finding, and a person's acceptance of the old one does not cover it.
            assert current.current_version_id is not None
            repo.set_version_fields(
                current.current_version_id,
                carried=[*(f for f in current.carried if f.get("code") != code),
                         finding.as_dict()],
                released={k: v for k, v in current.released.items() if k != code})
            # A synced record re-enters the holding area so its owner sees it.
            repo.update_documents([{"id": stored.id, "outcome": Outcome.HELD.value,
                                    "changed_at": now}])
            recheck(repo, self.directory.lookup(repo), [stored.id], now, self.actor,
                    finding.message, kind="reconciled")


def posting_dict(posting: Posting) -> dict[str, Any]:
    """A posting as JSON: what reconciliation later compares AutoCount's copy with."""
    return {
        "doc_type": posting.doc_type.value, "date": posting.date.isoformat(),
        "party_code": posting.party_code, "party_name": posting.party_name,
        "key": posting.key, "doc_no": posting.doc_no, "reference": posting.reference,
        "description": posting.description, "currency": posting.currency,
        "currency_rate": _text(posting.currency_rate), "agent": posting.agent,
        "terms": posting.terms, "location": posting.location,
        "lines": [
            {"line": line.line, "item": line.item, "uom": line.uom, "qty": str(line.qty),
             "unit_price": _text(line.unit_price), "discount": line.discount,
             "tax_code": line.tax_code, "location": line.location,
             "description": line.description, "project": line.project,
             "department": line.department,
             "transfer": None if line.transfer is None else {
                 "from_type": line.transfer.from_type.value,
                 "from_doc_no": line.transfer.from_doc_no,
                 "from_line": line.transfer.from_line, "from_uom": line.transfer.from_uom}}
            for line in posting.lines
        ],
    }


def _text(value: Decimal | None) -> str | None:
    return None if value is None else str(value)
