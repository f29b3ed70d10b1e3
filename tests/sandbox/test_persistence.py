"""The book lives in its own SQLite file and survives a restart of the sandbox."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import httpx
import pytest

from acgate.sandbox import FaultSettings, SandboxConfig, run_in_thread

from .conftest import Served, bridge_doc, invoice


def test_documents_numbers_and_transfers_survive_a_restart(config: SandboxConfig,
                                                           tmp_path: Path) -> None:
    kept = replace(config, data_dir=tmp_path / "book", faults=FaultSettings(
        commit_timeout_next=1))
    base_url, stop = run_in_thread(kept)
    before = Served.at(base_url)
    with pytest.raises(httpx.TransportError):  # saved, but the answer was lost
        before.cloud.post("/1/invoice", json=invoice())
    before.bridge.post("/api/SalesOrder", json=bridge_doc())
    before.bridge.post("/api/DeliveryOrder", json=bridge_doc(Details=[
        {"FromDocType": "SO", "FromDocNo": "SO-000001", "FromDtlSeq": 1, "Qty": 4}]))
    dumped = before.documents()
    before.close()
    stop()

    base_url, stop = run_in_thread(replace(kept, faults=FaultSettings()))
    after = Served.at(base_url)
    try:
        assert after.documents() == dumped
        created = after.cloud.post("/1/invoice", json=invoice())
        assert created.headers["location"].endswith("docNo=I-000002")
        assert after.documents()[-1]["doc_key"] == 4
        over = after.bridge.post("/api/DeliveryOrder", json=bridge_doc(Details=[
            {"FromDocType": "SO", "FromDocNo": "SO-000001", "FromDtlSeq": 1, "Qty": 7}]))
        assert over.json()["error"].startswith(
            "Transfer quantity 7 is more than the outstanding quantity 6")
    finally:
        after.close()
        stop()
    assert (tmp_path / "book" / "sandbox.db").is_file()


def test_without_a_data_folder_the_book_is_in_memory(config: SandboxConfig) -> None:
    for _ in range(2):
        base_url, stop = run_in_thread(config)
        served = Served.at(base_url)
        try:
            assert served.documents() == []
            served.cloud.post("/1/invoice", json=invoice())
        finally:
            served.close()
            stop()
