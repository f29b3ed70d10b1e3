"""What an independent audit found when it ran acgate against rules and data its developers had
not seen: each test states what the contract (contract/documents.md, contract/exceptions.md)
requires where acgate did otherwise (each failed on the code audited, commit 0bb6c49).
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

from acgate.bootstrap import App
from acgate.domain.codes import Outcome
from acgate.service.masters import load_master

from .support import (
    COMPANY,
    MASTER,
    Cli,
    Clock,
    Files,
    codes,
    configure,
    ingest,
    line,
    order,
    outcome,
    trace_of,
)


def _findings(app: App, ref: str) -> list[dict[str, Any]]:
    return list(trace_of(app, ref).as_dict()["findings"])


def _with_master(app: App, files: Files, clock: Clock, **extra: list[Any]) -> None:
    """Load MASTER with rows added to some of its tables."""
    data = copy.deepcopy(MASTER)
    for table, rows in extra.items():
        data[table] = data[table] + rows
    path: Path = files.json("master-extra.json", data)
    load_master(app.store, app.directory, COMPANY, path, clock(), "setup")


# ---- duplicate parties -------------------------------------------------------------------------

def test_a_new_customer_whose_name_differs_only_by_punctuation_is_a_duplicate_party(
        app: App, files: Files, clock: Clock) -> None:
    """exceptions.md, "Duplicate parties": a name similarity at or above the threshold "after
    lower-casing, dropping punctuation and legal suffixes". Dropping the hyphen of
    'Harbour-Front Cafe' gives 'harbourfront cafe', the very name AutoCount has; acgate turns
    the hyphen into a space instead and scores the two names 69, under the threshold of 90."""
    _with_master(app, files, clock, debtors=[
        {"code": "300-H001", "name": "Harbourfront Cafe Sdn Bhd", "currency": "MYR",
         "active": True}])
    ingest(app, files, {"source": "crm", "type": "customer", "id": "C-9", "version": 1,
                        "status": "active", "code": "NEW-9", "name": "Harbour-Front Cafe"})
    assert "DUPLICATE_PARTY" in codes(app, "crm/customer/C-9")


# ---- approval and versions ----------------------------------------------------------------------

def test_a_price_changed_after_approval_is_caught_on_documents_ordered_by_updated_at(
        app: App, files: Files) -> None:
    """exceptions.md, "Approval": "A line whose unit_price differs ... from the approved
    version's: PRICE_CHANGED". documents.md lets a source order its versions by `updated_at`
    instead of `version`. Version one (10:00) is approved at 10:30; version two (11:00) raises
    the price under the same, now stale, approval. acgate says APPROVAL_STALE but never
    PRICE_CHANGED: it skips the comparison whenever both versions have no `version` number."""
    approval = {"by": "mei.ling", "at": "2026-11-20T10:30:00+08:00", "version": 1}
    ingest(app, files, order("SO-U", version=None, updated_at="2026-11-20T10:00:00+08:00",
                             approval=approval, lines=[line(unit_price="12.50")]))
    assert outcome(app, "SO-U") is Outcome.READY
    ingest(app, files, order("SO-U", version=None, updated_at="2026-11-20T11:00:00+08:00",
                             approval=approval, lines=[line(unit_price="15.00")]),
           name="second.jsonl")
    found = codes(app, "SO-U")
    assert "APPROVAL_STALE" in found
    assert "PRICE_CHANGED" in found


def test_a_new_version_that_breaks_the_contract_keeps_its_status_in_the_trace(
        app: App, files: Files) -> None:
    """exceptions.md, "What every record must answer": "every version received and when; its
    status at each". A version held as INVALID_DOCUMENT for a bad quantity still said which
    status it was sent in ('draft'); the trace shows that version with no status at all."""
    ingest(app, files, order("SO-1"))
    ingest(app, files, order("SO-1", version=2, status="draft", lines=[line(qty="-1")]),
           name="v2.jsonl")
    assert outcome(app, "SO-1") is Outcome.HELD
    versions = trace_of(app, "SO-1").as_dict()["versions"]
    assert [v["status"] for v in versions] == ["approved", "draft"]


# ---- currency -----------------------------------------------------------------------------------

def test_a_delivery_in_a_currency_other_than_the_partys_is_a_currency_mismatch(
        app: App, files: Files) -> None:
    """exceptions.md, "Currency": "A foreign currency needs currency_rate, and must equal the
    party's AutoCount currency" (CURRENCY_MISMATCH: "the currency differs from the party's
    AutoCount currency"). A delivery order in USD for a debtor AutoCount keeps in MYR passes:
    acgate skips the comparison for documents whose lines carry no unit_price."""
    ingest(app, files, order("SO-1"),
           {**_delivery_of("SO-1"), "currency": "USD", "currency_rate": "4.40"})
    assert "CURRENCY_MISMATCH" in codes(app, "DO-1")


def _delivery_of(order_id: str) -> dict[str, Any]:
    return {"source": "shop", "type": "delivery_order", "id": "DO-1", "version": 1,
            "status": "delivered", "date": "2026-11-20", "party": {"code": "C-0042"},
            "based_on": [{"type": "sales_order", "id": order_id}],
            "lines": [line(unit_price=None)]}


# ---- fulfilment ---------------------------------------------------------------------------------

def test_a_purchase_order_for_more_than_its_request_is_not_over_fulfilment(
        app: App, files: Files) -> None:
    """exceptions.md: OVER_FULFILMENT is raised when "a delivery exceeds the order's outstanding
    quantity, or an invoice exceeds what was delivered"; the ledger marks "the document whose
    line crosses what was ordered (deliveries) or delivered (invoices)". A purchase order is
    neither: buying 12 where 10 were requested (a supplier's carton size) is ordinary, yet
    acgate holds the purchase order as OVER_FULFILMENT against its purchase request."""
    configure(app, {"types": {"purchase_request": {"sync": False, "statuses": {
        "ready": ["approved"]}}}})
    request = {"source": "buy", "type": "purchase_request", "id": "PR-1", "version": 1,
               "status": "approved", "date": "2026-11-20", "party": {"code": "400-P001"},
               "lines": [line(qty="10", unit_price=None)]}
    purchase = {"source": "buy", "type": "purchase_order", "id": "PO-1", "version": 1,
                "status": "approved", "date": "2026-11-20", "party": {"code": "400-P001"},
                "based_on": [{"type": "purchase_request", "id": "PR-1"}],
                "lines": [line(qty="12", unit_price="12.50", based_on_line={
                    "type": "purchase_request", "id": "PR-1", "line": 1})]}
    ingest(app, files, request, purchase)
    assert "OVER_FULFILMENT" not in codes(app, "buy/purchase_order/PO-1")
    assert outcome(app, "buy/purchase_order/PO-1") is Outcome.TRACKED


# ---- the CLI in a workspace of two companies ----------------------------------------------------

def test_a_command_without_company_in_a_two_company_workspace_names_the_company_option(
        cli: Cli, workspace: Path) -> None:
    """An error names what is wrong and the fix. With a second company in the workspace,
    `acgate map` (and `acgate master load`) without `--company` answers "the document names no
    company ... add `company`": there is no document, and the fix is the `--company` option."""
    (workspace / "rules" / "other.yaml").write_text("company: other\n")
    result = cli("map", "uom", "box", "BOX", "-r", "boxes")
    assert result.exit_code != 0
    assert "--company" in result.output
    assert "document" not in result.output
