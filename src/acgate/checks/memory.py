"""An in-memory view of other documents that the checks read.

The holding area fills one per batch from storage (a handful of bulk queries instead of several
per document) and keeps it current as the batch proceeds; tests build one by hand.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from acgate.domain.codes import Outcome
from acgate.domain.documents import DocType, Document, Identity
from acgate.domain.ledger import Contribution, Relation


@dataclass(slots=True)
class KnownDocument:
    company: str
    arrival: int
    outcome: Outcome
    document: Document | None = None
    counts_in_ledger: bool = True
    in_autocount: bool = False


@dataclass(slots=True)
class MemoryFacts:
    """Implements `Facts` over dictionaries."""

    known: dict[Identity, KnownDocument] = field(default_factory=dict)
    keys: dict[tuple[str, str, str], dict[Identity, int]] = field(
        default_factory=lambda: defaultdict(dict))
    ledger: dict[tuple[str, Relation], dict[Identity, list[Contribution]]] = field(
        default_factory=lambda: defaultdict(dict))
    _by_type_id: dict[tuple[DocType, str], list[Identity]] = field(
        default_factory=lambda: defaultdict(list))
    # What each identity put where, so that replacing it is not a scan of every bucket.
    _key_slots: dict[Identity, list[tuple[str, str, str]]] = field(default_factory=dict)
    _ledger_slots: dict[Identity, list[tuple[str, Relation]]] = field(default_factory=dict)

    def put(self, identity: Identity, known: KnownDocument) -> None:
        if identity not in self.known:
            self._by_type_id[(identity.type, identity.id)].append(identity)
        self.known[identity] = known

    def load_key(self, company: str, doc_type: str, key: str, identity: Identity,
                 arrival: int) -> None:
        """A duplicate key as the holding area stores it, replaced when its document is put."""
        slot = (company, doc_type, key)
        self.keys[slot][identity] = arrival
        self._key_slots.setdefault(identity, []).append(slot)

    def load_contribution(self, identity: Identity, contribution: Contribution) -> None:
        """A ledger line as the holding area stores it, replaced when its document is put."""
        slot = (contribution.target, contribution.relation)
        self.ledger[slot].setdefault(identity, []).append(contribution)
        self._ledger_slots.setdefault(identity, []).append(slot)

    def put_keys(self, company: str, identity: Identity, arrival: int, keys: list[str]) -> None:
        """The document's keys as now checked, in place of any it had (a document checked
        again in the batch, or a new version, must not keep its old keys or count twice)."""
        for slot in self._key_slots.pop(identity, []):
            self.keys[slot].pop(identity, None)
        slots = [(company, identity.type.value, key) for key in keys]
        for slot in slots:
            self.keys[slot][identity] = arrival
        self._key_slots[identity] = slots

    def put_contributions(self, identity: Identity, contributions: list[Contribution]) -> None:
        for slot in self._ledger_slots.pop(identity, []):
            self.ledger[slot].pop(identity, None)
        slots = []
        for contribution in contributions:
            slot = (contribution.target, contribution.relation)
            self.ledger[slot].setdefault(identity, []).append(contribution)
            slots.append(slot)
        self._ledger_slots[identity] = slots

    def resolve(self, company: str, source: str | None, ref_type: str, ref_id: str,
                own_source: str) -> Identity | None:
        doc_type = DocType(ref_type)
        if source is not None:
            return self._of_company(Identity(source, doc_type, ref_id), company)
        candidates = [
            identity for identity in self._by_type_id.get((doc_type, ref_id), [])
            if self.known[identity].company == company
        ]
        same = [identity for identity in candidates if identity.source == own_source]
        if same or not candidates:
            return self._of_company(Identity(own_source, doc_type, ref_id), company)
        return min(candidates, key=lambda identity: self.known[identity].arrival)

    def _of_company(self, identity: Identity, company: str) -> Identity | None:
        """A reference is looked up in the referring document's own company: another company's
        document of that identity is not one it follows (its book, rules and ledger differ)."""
        known = self.known.get(identity)
        return identity if known is None or known.company == company else None

    def outcome(self, identity: Identity) -> Outcome | None:
        known = self.known.get(identity)
        return known.outcome if known else None

    def in_autocount(self, identity: Identity) -> bool:
        known = self.known.get(identity)
        return known is not None and known.in_autocount

    def document(self, identity: Identity) -> Document | None:
        known = self.known.get(identity)
        return known.document if known else None

    def fulfilled(self, target: Identity, relation: Relation, before: int) -> dict[int, Decimal]:
        totals: dict[int, Decimal] = defaultdict(Decimal)
        for follower, contributions in self.ledger.get((str(target), relation), {}).items():
            known = self.known.get(follower)
            # A person may reject a document after it was assessed: it stops counting then.
            if (known is None or known.arrival >= before or not known.counts_in_ledger
                    or known.outcome is Outcome.REJECTED):
                continue
            for contribution in contributions:
                totals[contribution.target_line] += contribution.base_qty
        return dict(totals)

    def earlier_with_key(self, company: str, doc_type: str, key: str, before: int,
                         exclude: Identity) -> list[Identity]:
        found = []
        for identity, arrival in self.keys.get((company, doc_type, key), {}).items():
            known = self.known.get(identity)
            if identity == exclude or arrival >= before or known is None:
                continue
            if known.outcome is not Outcome.REJECTED:
                found.append((arrival, identity))
        return [identity for _, identity in sorted(found)]
