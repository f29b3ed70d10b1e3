"""Finding the existing AutoCount debtor or creditor that a new party probably is.

Exact identifiers (TIN, registration no., e-mail, phone) are looked up in hash indexes; names are
compared only within blocks that share a significant word, so matching one new party against tens
of thousands of debtors costs a handful of fuzzy comparisons, not one per debtor.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from rapidfuzz import fuzz

from acgate.domain.masterdata import PartyRecord

_LEGAL_SUFFIXES = (
    "sdn bhd", "sdn. bhd.", "s/b", "s b", "bhd", "berhad", "pte ltd", "pte. ltd.", "pte", "ltd",
    "limited", "plc", "llp", "plt", "enterprise", "enterprises", "ent", "trading", "co",
    "company", "corporation", "corp", "inc", "m",
)
_SUFFIX_WORDS = frozenset(word for suffix in _LEGAL_SUFFIXES for word in suffix.split())
_FORM_WORDS = frozenset({"sdn", "bhd", "pte", "ltd", "syarikat", "perniagaan"})
_PUNCT = re.compile(r"[^\w\s]")
# A word shared by more parties than this says nothing about identity ("trading", "maju").
_MAX_BLOCK = 200


def normalise_name(name: str) -> str:
    """Lower-case, punctuation dropped, legal suffixes dropped: 'Maju-Jaya S/B' -> 'maju jaya'."""
    text = name.casefold().replace("s/b", " ").replace("&", " and ")
    words = _PUNCT.sub(" ", text).split()
    while words and words[-1] in _SUFFIX_WORDS:
        words.pop()
    # Malay legal-form words say what kind of business it is, not which one.
    kept = [w for w in words if w not in _FORM_WORDS]
    return " ".join(kept or words)


def phone_keys(phone: str) -> set[str]:
    digits = re.sub(r"\D", "", phone)
    if len(digits) < 7:
        return set()
    keys = {digits}
    if digits.startswith("60"):
        keys.add("0" + digits[2:])
    elif digits.startswith("0"):
        keys.add("60" + digits[1:])
    return keys


# LHDN's general TINs for e-invoices (general public, foreign buyer, foreign supplier,
# government): shared by many parties, so they identify none.
_GENERAL_TINS = frozenset({"EI00000000010", "EI00000000020", "EI00000000030", "EI00000000040"})


def _ident(value: str | None) -> str | None:
    if not value:
        return None
    key = re.sub(r"[^0-9A-Za-z]", "", value).upper()
    return key if key and key not in _GENERAL_TINS else None


@dataclass(frozen=True, slots=True)
class PartyMatch:
    code: str
    name: str
    score: float
    reasons: tuple[str, ...]


class PartyMatcher:
    """Index of one party book (debtors or creditors) for duplicate look-ups."""

    def __init__(self, parties: Iterable[PartyRecord], threshold: float) -> None:
        self.threshold = threshold
        self._parties: dict[str, PartyRecord] = {}
        self._names: dict[str, str] = {}
        self._exact: dict[tuple[str, str], set[str]] = defaultdict(set)
        self._blocks: dict[str, set[str]] = defaultdict(set)
        self._glued: dict[str, set[str]] = defaultdict(set)
        for party in parties:
            self._add(party)

    def _add(self, party: PartyRecord) -> None:
        self._parties[party.code] = party
        name = normalise_name(party.name)
        self._names[party.code] = name
        for kind, key in _exact_keys(party.tin, party.brn, party.email, party.phone):
            self._exact[(kind, key)].add(party.code)
        for word in set(name.split()):
            self._blocks[word].add(party.code)
        self._glued[_glued(name)].add(party.code)

    def matches(
        self,
        name: str | None,
        tin: str | None = None,
        brn: str | None = None,
        email: str | None = None,
        phone: str | None = None,
        limit: int = 5,
    ) -> list[PartyMatch]:
        """Existing parties that look like this one, best first."""
        reasons: dict[str, list[str]] = defaultdict(list)
        scores: dict[str, float] = {}
        for kind, key in _exact_keys(tin, brn, email, phone):
            for code in self._exact.get((kind, key), ()):
                if f"same {kind}" not in reasons[code]:
                    reasons[code].append(f"same {kind}")
                scores[code] = 100.0
        if name:
            wanted = normalise_name(name)
            for code in self._candidates(wanted):
                score = _name_score(wanted, self._names[code])
                if score >= self.threshold:
                    reasons[code].append(f"name {score:.0f}% alike")
                    scores[code] = max(scores.get(code, 0.0), score)
        ranked = sorted(scores, key=lambda code: (-scores[code], code))[:limit]
        return [
            PartyMatch(code, self._parties[code].name, scores[code], tuple(reasons[code]))
            for code in ranked
        ]

    def _candidates(self, normalised: str) -> set[str]:
        words = normalised.split()
        blocks = [self._blocks[w] for w in words if w in self._blocks]
        small = [b for b in blocks if len(b) <= _MAX_BLOCK]
        chosen = small or sorted(blocks, key=len)[:1]
        # 'Harbour-Front' and 'Harbourfront' share no word, only their letters.
        return set(self._glued.get(_glued(normalised), ())).union(*chosen)


def _name_score(left: str, right: str) -> float:
    """Word order never matters; a shorter name contained in a longer one counts only when it
    has two words or more, so 'Tan' alone does not match every Tan. Punctuation is dropped, not
    only read as a space: 'Harbour-Front Cafe' is 'Harbourfront Cafe', so the names are also
    compared with their words run together."""
    score = max(fuzz.token_sort_ratio(left, right), fuzz.ratio(_glued(left), _glued(right)))
    if min(len(left.split()), len(right.split())) >= 2:
        score = max(score, fuzz.token_set_ratio(left, right))
    return float(score)


def _glued(name: str) -> str:
    return name.replace(" ", "")


def _exact_keys(
    tin: str | None, brn: str | None, email: str | None, phone: str | None
) -> list[tuple[str, str]]:
    keys: list[tuple[str, str]] = []
    if key := _ident(tin):
        keys.append(("TIN", key))
    if key := _ident(brn):
        keys.append(("registration no.", key))
    if email and email.strip():
        keys.append(("e-mail", email.strip().casefold()))
    if phone:
        keys.extend(("phone", key) for key in sorted(phone_keys(phone)))
    return keys
