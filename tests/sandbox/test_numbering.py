"""Document numbers: AutoCount's formats, one run per type (and per month with a date part)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest

from acgate.sandbox import BookConfig, DocKind
from acgate.sandbox.numbering import NumberFormat

from .conftest import Served, bridge_doc, invoice


def test_a_format_renders_the_date_part_and_the_padded_number() -> None:
    number_format = NumberFormat.parse("INV-{@yyMM}-<0000>")
    assert number_format.render(dt.date(2026, 11, 20), 1) == "INV-2611-0001"
    assert number_format.series(dt.date(2026, 11, 20)) == "INV-2611-<0000>"
    assert NumberFormat.parse("{@yyyy}/{@MM}/{@dd}-<00>").render(dt.date(2026, 1, 5), 7) \
        == "2026/01/05-07"


def test_a_format_needs_exactly_one_running_number() -> None:
    with pytest.raises(ValueError, match="exactly one running number"):
        NumberFormat.parse("INV-{@yyMM}")
    with pytest.raises(ValueError):
        BookConfig(numbering={DocKind.INVOICE: "I-<00>-<00>"})


def test_numbers_run_per_month_and_restart_in_a_new_month(
        serve: Callable[..., Served]) -> None:
    monthly = serve(book=BookConfig(numbering={DocKind.INVOICE: "INV-{@yyMM}-<0000>"}))
    numbers = [monthly.bridge.post("/api/Invoice", json=bridge_doc(DocDate=day)).json()["DocNo"]
               for day in ("2026-11-02", "2026-11-30", "2026-12-01", "2026-11-15")]
    assert numbers == ["INV-2611-0001", "INV-2611-0002", "INV-2612-0001", "INV-2611-0003"]
    created = monthly.cloud.post("/1/invoice", json=invoice())
    assert created.headers["location"].endswith("/1/invoice?docNo=INV-2611-0004")


def test_each_type_has_its_own_run_in_the_default_formats(sandbox: Served) -> None:
    def post(doc_type: str, **head: object) -> str:
        answer = sandbox.bridge.post(f"/api/{doc_type}", json=bridge_doc(**head))
        number: str = answer.json()["DocNo"]
        return number

    assert post("SalesOrder") == "SO-000001"
    assert post("Invoice") == "I-000001"
    assert post("SalesOrder", DocNo=None) == "SO-000002"


def test_a_number_taken_by_hand_is_skipped(sandbox: Served) -> None:
    by_hand = sandbox.bridge.post("/api/SalesOrder", json=bridge_doc(DocNo="SO-000002"))
    assert by_hand.json()["DocNo"] == "SO-000002"
    numbers = [sandbox.bridge.post("/api/SalesOrder", json=bridge_doc()).json()["DocNo"]
               for _ in range(2)]
    assert numbers == ["SO-000001", "SO-000003"]


def test_a_number_is_never_reused_after_a_delete(sandbox: Served) -> None:
    sandbox.cloud.post("/1/invoice", json=invoice())
    assert sandbox.cloud.delete("/1/invoice", params={"docNo": "I-000001"}).status_code == 204
    created = sandbox.cloud.post("/1/invoice", json=invoice())
    assert created.headers["location"].endswith("docNo=I-000002")


def test_a_refused_document_takes_no_number(sandbox: Served) -> None:
    refused = sandbox.bridge.post("/api/SalesOrder", json=bridge_doc(DebtorCode="300-NONE"))
    assert refused.status_code == 400
    assert sandbox.bridge.post("/api/SalesOrder", json=bridge_doc()).json()["DocNo"] \
        == "SO-000001"
