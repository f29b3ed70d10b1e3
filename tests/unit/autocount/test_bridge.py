"""The bridge client against a fake bridge: the SDK's names, transfers, cancel, DocNo look-ups."""

from __future__ import annotations

from decimal import Decimal

import httpx
import pytest

from acgate.autocount.bridge import BridgeClient, BridgeSettings
from acgate.autocount.errors import Duplicate, InDoubt, Rejected, TargetPaused, Unsupported
from acgate.autocount.target import Accepted
from acgate.domain.documents import DocType
from acgate.domain.posting import PostingLine, Transfer

from .fakes import DAY, FakeBridge, answer, json_body, posting


@pytest.fixture
def bridge() -> FakeBridge:
    return FakeBridge()


def test_post_answers_number_and_key_in_one_call(bridge: FakeBridge) -> None:
    assert bridge.client().post(posting()) == Accepted("INV-2611-0001", 101)
    [request] = bridge.requests
    assert request.url == "http://bridge.local:8080/api/Invoice"
    assert request.headers["X-API-KEY"] == "secret"
    body = json_body(request)
    assert body["DocNo"] == "<<New>>" and body["Remark4"] == "acg:acme-inv-0001"
    assert b'"Qty":0.2,' in request.content


def test_a_delivery_carries_its_transfer_from_the_order(bridge: FakeBridge) -> None:
    line = PostingLine(1, "A100", "PCS", Decimal(2), location="HQ",
                       transfer=Transfer(DocType.SALES_ORDER, "SO-2611-0001", 3))
    client = bridge.client()
    client.post(posting(doc_type=DocType.DELIVERY_ORDER, lines=(line,)))
    assert bridge.requests[0].url.path == "/api/DeliveryOrder"
    found = client.find(DocType.DELIVERY_ORDER, "INV-2611-0001")
    assert found is not None and found.lines is not None
    assert found.lines[0].transfer == Transfer(DocType.SALES_ORDER, "SO-2611-0001", 3)
    assert found.lines[0].qty == Decimal(2) and found.lines[0].location == "HQ"


def test_transfers_only_from_orders_and_deliveries(bridge: FakeBridge) -> None:
    line = PostingLine(1, "A100", "PCS", Decimal(1), Decimal(1),
                       transfer=Transfer(DocType.SALES_INVOICE, "I-1", 1))
    with pytest.raises(Unsupported, match="transfers lines only from"):
        bridge.client().post(posting(doc_type=DocType.CREDIT_NOTE, lines=(line,)))
    with pytest.raises(Unsupported):
        bridge.client().post(posting(doc_type=DocType.PURCHASE_REQUEST))
    assert bridge.requests == []


def test_duplicate_docno_and_the_bridges_error_envelope(bridge: FakeBridge) -> None:
    client = bridge.client()
    client.post(posting(doc_no="INV-1"))
    with pytest.raises(Duplicate) as caught:
        client.post(posting(doc_no="INV-1", key="someone-else"))
    assert caught.value.doc_no == "INV-1"
    assert caught.value.message == "DocNo INV-1 already exists"


def test_a_validation_refusal_carries_the_bridges_error(bridge: FakeBridge) -> None:
    bridge.fail = lambda request: answer(400, {"ok": False, "error": "Item A100 has no UOM BOX"})
    with pytest.raises(Rejected, match="no UOM BOX") as caught:
        bridge.client().post(posting())
    assert caught.value.status == 400


def test_a_bad_api_key_pauses_the_target(bridge: FakeBridge) -> None:
    wrong = BridgeClient(BridgeSettings(base_url="http://bridge.local", api_key="nope"),
                         transport=httpx.MockTransport(bridge.handle))
    with pytest.raises(TargetPaused, match="X-API-KEY"):
        wrong.post(posting())
    assert wrong.rate_limit is None  # the bridge sends no rate-limit headers


def test_an_accepted_answer_without_docno_is_in_doubt(bridge: FakeBridge) -> None:
    bridge.fail = lambda request: answer(201, {"DocKey": 5})
    with pytest.raises(InDoubt, match="DocNo"):
        bridge.client().post(posting())
    bridge.fail = lambda request: httpx.Response(201, text="ok")
    with pytest.raises(InDoubt, match="not JSON"):
        bridge.client().post(posting())


def test_update_replaces_the_whole_document_and_cancel(bridge: FakeBridge) -> None:
    client = bridge.client()
    client.post(posting())
    client.update(posting(reference="PO-1"), "INV-2611-0001")
    put = bridge.requests[-1]
    assert put.method == "PUT" and put.url.params["DocNo"] == "INV-2611-0001"
    assert json_body(put)["DocNo"] == "INV-2611-0001"
    client.void(DocType.SALES_INVOICE, "INV-2611-0001")
    assert bridge.requests[-1].url.path == "/api/Invoice/cancel"
    found = client.find(DocType.SALES_INVOICE, "INV-2611-0001")
    assert found is not None and found.cancelled and found.ref == "PO-1"


def test_find_by_key_lists_the_date_window_when_autocount_numbered(bridge: FakeBridge) -> None:
    client = bridge.client()
    for key in ("a", "b", "c"):
        client.post(posting(key=key))
    bridge.requests.clear()
    found = client.find_by_key(DocType.SALES_INVOICE, "b", "300-A001", DAY)
    assert found is not None and found.doc_no == "INV-2611-0002"
    [listing] = bridge.requests
    assert listing.url.path == "/api/Invoice/list"
    assert dict(listing.url.params) == {"from": "2026-11-13", "to": "2026-11-27", "page": "1"}
    assert client.find_by_key(DocType.SALES_INVOICE, "zzz", "300-A001", DAY) is None


def test_find_by_key_by_docno_when_acgate_chose_it(bridge: FakeBridge) -> None:
    client = bridge.client()
    client.post(posting(doc_no="INV-9"))
    bridge.requests.clear()
    found = client.find_by_key(DocType.SALES_INVOICE, "acme-inv-0001", None, DAY, "INV-9")
    assert found is not None and found.doc_key == 101
    assert [r.url.path for r in bridge.requests] == ["/api/Invoice"]


def test_master_data_from_the_bridge_lists(bridge: FakeBridge) -> None:
    bridge.masters = {
        "Debtor": {"data": [{"AccNo": "300-A001", "CompanyName": "Ah Seng",
                             "DisplayTerm": "C.O.D.", "IsActive": "T"}], "totalCount": 1},
        "Creditor": [{"AccNo": "400-B001", "CompanyName": "Bintang", "IsActive": "F"}],
        "Item": [{"ItemCode": "A100", "Description": "Widget", "BaseUOM": "PCS",
                  "ItemUOM": [{"UOM": "PCS", "Rate": 1}, {"UOM": "CTN", "Rate": 12}]}],
        "Location": [{"Location": "HQ"}], "TaxCode": [{"TaxCode": "SV-8", "TaxRate": 8}],
        "Project": [{"ProjNo": "P1"}], "Department": [{"DeptNo": "D1"}],
        "SalesAgent": [{"SalesAgent": "BOB"}], "Term": [{"DisplayTerm": "C.O.D."}],
    }
    data = bridge.client().master_data()
    assert data.debtors["300-A001"].active and not data.creditors["400-B001"].active
    assert data.items["A100"].uom("ctn") is not None
    assert data.tax_codes == {"SV-8": Decimal("0.08")}
    assert (data.terms, data.projects, data.departments, data.agents, data.locations) == (
        {"C.O.D."}, {"P1"}, {"D1"}, {"BOB"}, {"HQ"})


def test_master_lists_answered_as_data_without_a_count_are_read_whole(
        bridge: FakeBridge) -> None:
    # The contract leaves the master lists' envelope open; the sandbox answers `{"data": [...]}`.
    bridge.masters = {name: {"data": rows} for name, rows in {
        "Debtor": [{"AccNo": "300-A001", "CompanyName": "Ah Seng"}],
        "Creditor": [{"AccNo": "400-B001", "CompanyName": "Bintang"}],
        "Item": [{"ItemCode": "A100", "ItemUOM": [{"UOM": "PCS", "Rate": 1}]}],
        "Location": [{"Location": "HQ"}], "TaxCode": [{"TaxCode": "SV-8", "TaxRate": 8}],
        "Project": [], "Department": [], "SalesAgent": [], "Term": [{"DisplayTerm": "C.O.D."}],
    }.items()}
    data = bridge.client().master_data()
    assert set(data.debtors) == {"300-A001"} and set(data.items) == {"A100"}
    assert (data.locations, data.terms) == ({"HQ"}, {"C.O.D."})
