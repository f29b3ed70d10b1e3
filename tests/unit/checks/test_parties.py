"""Finding the AutoCount debtor or creditor that a new party probably is."""

from __future__ import annotations

from typing import Any

import pytest

from acgate.domain.masterdata import PartyRecord
from acgate.matching.parties import PartyMatcher, normalise_name

DEBTORS = [
    PartyRecord("300-M001", "Syarikat Maju Jaya Sdn Bhd", tin="C20880011020",
                brn="201901000123", email="accounts@majujaya.my", phone="+60 4-222 1234"),
    PartyRecord("300-K001", "Kedai Roti Sdn Bhd"),
    PartyRecord("300-T001", "Tan Brothers Trading", phone="012-345 6789"),
    PartyRecord("300-M002", "Maju Motor Sdn Bhd"),
]


def matched(name: str | None = None, *, threshold: float = 90, tin: str | None = None,
            email: str | None = None, phone: str | None = None) -> list[str]:
    matcher = PartyMatcher(DEBTORS, threshold)
    return [m.code for m in matcher.matches(name, tin=tin, email=email, phone=phone)]


@pytest.mark.parametrize(("ids", "reason"), [
    ({"tin": "c2088-0011020"}, "same TIN"),
    ({"brn": "2019 0100 0123"}, "same registration no."),
    ({"email": " Accounts@MajuJaya.MY "}, "same e-mail"),
    ({"phone": "04-2221234"}, "same phone"),
    ({"phone": "(604) 222 1234"}, "same phone"),
])
def test_the_same_identifier_in_another_spelling_is_a_match(ids: dict[str, Any],
                                                            reason: str) -> None:
    [match] = PartyMatcher(DEBTORS, 90).matches("Someone Else Entirely", **ids)

    assert (match.code, match.score, match.reasons) == ("300-M001", 100.0, (reason,))


def test_every_reason_is_given_once() -> None:
    [match] = PartyMatcher(DEBTORS, 90).matches(
        "Maju Jaya S/B", tin="C20880011020", email="accounts@majujaya.my")

    assert match.reasons == ("same TIN", "same e-mail", "name 100% alike")


@pytest.mark.parametrize("name", [
    "Maju-Jaya S/B", "MAJU JAYA SDN. BHD.", "Maju Jaya Enterprise (M)", "Jaya Maju Trading",
])
def test_names_match_after_case_punctuation_and_legal_suffixes_are_dropped(name: str) -> None:
    assert matched(name) == ["300-M001"]


def test_a_name_at_the_threshold_matches_and_one_below_does_not() -> None:
    # "kedai rota" is 90% like "kedai roti"; "kedai rusa" is 70%.
    assert matched("Kedai Rota Enterprise") == ["300-K001"]
    assert matched("Kedai Rota Enterprise", threshold=90.5) == []
    assert matched("Kedai Rusa") == []


@pytest.mark.parametrize("name", ["Maju Elektrik Sdn Bhd", "Tan", "Jaya Motor", "Trading Sdn Bhd"])
def test_unrelated_parties_that_share_a_word_do_not_match(name: str) -> None:
    assert matched(name) == []


def test_unrelated_identifiers_and_too_short_phones_do_not_match() -> None:
    assert matched(tin="C99999999999", email="someone@else.my", phone="222-1234") == []
    assert matched(phone="1234") == []


def test_the_best_match_comes_first() -> None:
    matches = PartyMatcher(DEBTORS, 90).matches("Kedai Rota", phone="+60123456789")

    assert [(m.code, m.score) for m in matches] == [("300-T001", 100.0), ("300-K001", 90.0)]


def test_normalised_names_keep_the_words_that_identify() -> None:
    assert normalise_name("Syarikat Maju Jaya Sdn. Bhd.") == "maju jaya"
    assert normalise_name("Lim & Sons Pte. Ltd.") == "lim and sons"
