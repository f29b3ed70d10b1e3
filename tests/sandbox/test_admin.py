"""`/_admin`: the dump of every document, and edits made in AutoCount by a person."""

from __future__ import annotations

from .conftest import Served, bridge_doc, invoice


def test_the_dump_holds_every_document_of_both_profiles(sandbox: Served) -> None:
    sandbox.cloud.post("/1/invoice", json=invoice())
    sandbox.bridge.post("/api/SalesOrder", json=bridge_doc())
    dumped = sandbox.documents()
    assert [(d["kind"], d["doc_no"], d["remark4"]) for d in dumped] == [
        ("Invoice", "I-000001", "acg:test-1"), ("SalesOrder", "SO-000001", "acg:so-1")]
    assert dumped[0]["total"] == "27.50"
    assert dumped[1]["lines"][0]["qty"] == "10"


def test_a_manual_edit_changes_the_book_past_the_rules(sandbox: Served) -> None:
    sandbox.cloud.post("/1/invoice", json=invoice())
    edited = sandbox.admin.post("/_admin/edit", json={
        "kind": "Invoice", "doc_no": "I-000001",
        "set": {"remark4": None, "party_code": "300-GONE"}, "lines": {"1": {"qty": "7"}}})
    assert edited.status_code == 200, edited.text
    doc = sandbox.cloud.get("/1/invoice", params={"docNo": "I-000001"}).json()
    assert doc["master"]["remark4"] is None
    assert doc["master"]["debtorCode"] == "300-GONE"
    assert doc["details"][0]["qty"] == 7
    assert doc["master"]["total"] == 96.25


def test_a_manual_edit_can_renumber_but_not_onto_a_taken_number(sandbox: Served) -> None:
    sandbox.cloud.post("/1/invoice", json=invoice())
    sandbox.cloud.post("/1/invoice", json=invoice())
    taken = sandbox.admin.post("/_admin/edit", json={
        "kind": "Invoice", "doc_no": "I-000001", "set": {"doc_no": "I-000002"}})
    assert taken.status_code == 409
    moved = sandbox.admin.post("/_admin/edit", json={
        "kind": "Invoice", "doc_no": "I-000001", "set": {"doc_no": "I-MANUAL"}})
    assert moved.status_code == 200
    assert sandbox.cloud.get("/1/invoice", params={"docNo": "I-MANUAL"}).status_code == 200
    assert sandbox.cloud.get("/1/invoice", params={"docNo": "I-000001"}).status_code == 404


def test_a_manual_delete_removes_the_document(sandbox: Served) -> None:
    sandbox.bridge.post("/api/SalesOrder", json=bridge_doc())
    deleted = sandbox.admin.post("/_admin/edit", json={
        "kind": "SalesOrder", "doc_no": "SO-000001", "delete": True})
    assert deleted.status_code == 204
    assert sandbox.documents() == []


def test_manual_edits_name_known_fields_and_documents(sandbox: Served) -> None:
    sandbox.cloud.post("/1/invoice", json=invoice())
    unknown = sandbox.admin.post("/_admin/edit", json={
        "kind": "Invoice", "doc_no": "I-000001", "set": {"colour": "red"}})
    assert unknown.json() == {"message": "cannot edit colour"}
    missing = sandbox.admin.post("/_admin/edit", json={"kind": "Invoice", "doc_no": "I-9"})
    assert missing.status_code == 404
    assert sandbox.admin.post("/_admin/edit", json={"kind": "Nope", "doc_no": "X"}) \
        .status_code == 422


def test_reset_empties_the_book(sandbox: Served) -> None:
    sandbox.cloud.post("/1/invoice", json=invoice())
    sandbox.admin.post("/_admin/reset")
    assert sandbox.documents() == []
    sandbox.cloud.post("/1/invoice", json=invoice())
    assert [d["doc_no"] for d in sandbox.documents()] == ["I-000001"]
