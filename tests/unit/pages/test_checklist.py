"""The readiness checklist: every finding code lands on exactly one row, and a row fails only
on a finding that stops the record."""

from __future__ import annotations

from acgate.domain.checklist import ITEMS, checklist, unwaivable
from acgate.domain.codes import MEANING, SPECS, WAY_OUT, Code, Outcome
from acgate.domain.findings import Finding


def finding(code: Code, outcome: Outcome = Outcome.HELD, owner: str = "accounts",
            released_by: str | None = None) -> Finding:
    return Finding(code, outcome, owner, f"{code.value} here", released_by=released_by)


def test_every_code_is_on_exactly_one_row() -> None:
    rows = [code for item in ITEMS for code in item.codes]
    assert sorted(rows) == sorted(Code)


def test_the_rows_are_the_seven_questions_in_order() -> None:
    assert [item.label for item in ITEMS] == [
        "Status ready", "Party matches", "Item and UOM match", "Date correct",
        "Duplicates blocked", "Exception owned", "Failed sync reviewable"]


def test_a_clean_record_passes_every_row() -> None:
    assert all(row.passed for row in checklist([]))


def test_a_finding_fails_its_own_row_and_no_other() -> None:
    rows = {row.item.key: row for row in checklist([finding(Code.UOM_UNKNOWN)])}
    assert [key for key, row in rows.items() if not row.passed] == ["items"]
    assert [f.code for f in rows["items"].findings] == [Code.UOM_UNKNOWN]


def test_a_note_or_a_released_finding_is_shown_but_passes() -> None:
    rows = {row.item.key: row for row in checklist([
        finding(Code.PARTIAL_DELIVERY, Outcome.READY, "operations"),
        finding(Code.PRICE_OUT_OF_TOLERANCE, Outcome.READY, released_by="alice: agreed")])}
    assert rows["duplicates"].passed and rows["items"].passed
    assert len(rows["duplicates"].findings) == 1 and len(rows["items"].findings) == 1


def test_a_held_finding_nobody_owns_fails_until_someone_is_assigned() -> None:
    unowned = [finding(Code.SYNC_FAILED, owner="-")]
    owned = {row.item.key: row.passed for row in checklist(unowned)}
    assert owned["owned"] is False and owned["sync"] is False
    assert {row.item.key: row.passed for row in checklist(unowned, "mei.ling")}["owned"]


def test_waiting_on_a_batch_window_needs_no_owner() -> None:
    rows = {row.item.key: row.passed
            for row in checklist([finding(Code.SCHEDULED_BATCH, Outcome.WAITING, "-")])}
    assert rows["owned"] and not rows["status"]


def test_only_a_standing_finding_of_a_firm_code_is_beyond_a_release() -> None:
    firm, waivable = finding(Code.SYNC_FAILED), finding(Code.UOM_RATE_MISMATCH)
    released = finding(Code.ITEM_UNMAPPED, Outcome.READY, released_by="an override")
    waiting = finding(Code.SCHEDULED_BATCH, Outcome.WAITING, "-")
    assert unwaivable([firm, waivable, released, waiting]) == [firm, waiting]
    assert unwaivable([waivable]) == []


def test_every_firm_code_says_what_ends_it() -> None:
    assert set(WAY_OUT) == {code for code, spec in SPECS.items() if spec.firm}
    assert all(text and not text.endswith(".") for text in WAY_OUT.values())


def test_every_code_has_its_meaning_in_words() -> None:
    assert set(MEANING) == set(Code)
    assert all(text[0].isupper() and "`" not in text for text in MEANING.values())
