"""Reads and writes of the holding area, inside one transaction. Bulk by design: the service
hands over a batch and gets a batch back, so a thousand documents cost a few statements."""

from __future__ import annotations

import datetime as dt
import itertools
import operator
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import orjson
from sqlalchemy import (
    Column,
    Connection,
    Table,
    bindparam,
    delete,
    func,
    insert,
    select,
    tuple_,
    update,
)
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.sql.schema import ScalarElementColumnDefault

from acgate.domain.codes import Code, Outcome
from acgate.domain.documents import DocType, Identity
from acgate.domain.findings import Finding, Suggestion
from acgate.domain.rules import Table as MappingTable
from acgate.storage.tables import (
    company_versions,
    doc_keys,
    documents,
    events,
    findings,
    intake_errors,
    ledger,
    mappings,
    master_data,
    outbox,
    versions,
)

T = TypeVar("T")

# SQLite allows 32766 bound parameters; stay well below for composite IN lists.
_CHUNK = 400


@dataclass(frozen=True, slots=True)
class StoredDocument:
    """A document identity with its current version, as the holding area keeps it."""

    id: int
    company: str
    identity: Identity
    first_received_at: dt.datetime
    outcome: Outcome
    owner: str | None
    assignee: str | None
    current_version_id: int | None
    synced_version_id: int | None
    autocount_doc_no: str | None
    counts_in_ledger: bool
    version: int | None
    source_updated_at: dt.datetime | None
    content_hash: str | None
    state: str | None
    raw: str | None
    released: dict[str, str]
    carried: list[dict[str, Any]]

    @property
    def arrival(self) -> int:
        return self.id


_DOC_COLUMNS = (
    documents.c.id, documents.c.company, documents.c.source, documents.c.type,
    documents.c.doc_id, documents.c.first_received_at, documents.c.outcome, documents.c.owner,
    documents.c.assignee, documents.c.current_version_id, documents.c.synced_version_id,
    documents.c.autocount_doc_no, documents.c.counts_in_ledger, versions.c.version,
    versions.c.source_updated_at, versions.c.content_hash, versions.c.state, versions.c.raw,
    versions.c.released, versions.c.carried,
)


def _stored(row: Any) -> StoredDocument:
    return StoredDocument(
        id=row.id, company=row.company,
        identity=Identity(row.source, DocType(row.type), row.doc_id),
        first_received_at=row.first_received_at, outcome=Outcome(row.outcome), owner=row.owner,
        assignee=row.assignee, current_version_id=row.current_version_id,
        synced_version_id=row.synced_version_id, autocount_doc_no=row.autocount_doc_no,
        counts_in_ledger=bool(row.counts_in_ledger), version=row.version,
        source_updated_at=row.source_updated_at, content_hash=row.content_hash, state=row.state,
        raw=row.raw, released=dict(row.released or {}), carried=list(row.carried or []),
    )


_MARKERS = {"qmark": "?", "format": "%s", "pyformat": "%s"}


def _insert_many(connection: Connection, table: Table, rows: list[dict[str, Any]]) -> None:
    """One executemany of plain tuples, each value through its column's own bind processor.

    SQLAlchemy's per-row parameter machinery costs intake more than SQLite's own work, and the
    hot tables take tens of thousands of rows a second; the values stored are the same.
    """
    if not rows:
        return
    dialect = connection.dialect
    first = rows[0].keys()
    names = list(first) if all(row.keys() == first for row in rows) else list(
        dict.fromkeys(name for row in rows for name in row))
    columns = [table.c[name] for name in names]
    # The dialect's own type, as SQLAlchemy's statements use: an instant is then written in the
    # same text as everywhere else, not left to the driver's adapter.
    processors = [(index, process) for index, column in enumerate(columns)
                  if (process := column.type.dialect_impl(dialect).bind_processor(dialect))
                  is not None]
    marker = _MARKERS[dialect.paramstyle]
    quote = dialect.identifier_preparer.quote
    sql = (f"INSERT INTO {quote(table.name)} ({', '.join(quote(n) for n in names)}) "
           f"VALUES ({', '.join([marker] * len(names))})")
    defaults = {name: _scalar_default(column) for name, column in zip(names, columns,
                                                                        strict=True)}
    # A batch's rows share their timestamps (the batch's moment): each distinct value once.
    last: list[tuple[object, object]] = [(_UNSET, None)] * len(processors)
    # The row's values in column order, picked in C rather than by a comprehension per row
    # (for one column, itemgetter gives the value itself, not a tuple of it).
    pick = operator.itemgetter(*names)
    several = len(names) > 1
    values = []
    for row in rows:
        if len(row) != len(names):  # a row without some columns takes their defaults
            row = {**defaults, **row}
        value = list(pick(row)) if several else [pick(row)]
        for slot, (index, process) in enumerate(processors):
            given = value[index]
            previous, processed = last[slot]
            if given is not previous:
                processed = process(given)
                last[slot] = (given, processed)
            value[index] = processed
        values.append(tuple(value))
    connection.exec_driver_sql(sql, values)


_UNSET = object()


def _scalar_default(column: Column[Any]) -> Any:
    default = column.default
    return default.arg if isinstance(default, ScalarElementColumnDefault) else None


_DOCUMENTS = select(*_DOC_COLUMNS).select_from(
    documents.outerjoin(versions, versions.c.id == documents.c.current_version_id)
)


# Intake asks two reads for every batch twice (planning, then under the lock), with hundreds of
# values each, so both are built once. On SQLite the values go as one JSON array read by
# `json_each`: SQLAlchemy renders an expanding parameter's hundreds of placeholders into the
# statement on every call, which cost intake more than SQLite's own search. PostgreSQL takes the
# expanding IN, a chunk at a time.
def _each(name: str) -> Any:
    return select(func.json_each(bindparam(name)).table_valued("value").c.value)


def _json_array(values: list[str]) -> str | None:
    """The values as a JSON array that `json_each` reads back exactly; None when it would not:
    SQLite's JSON text ends at a NUL (an id may hold one), and half a character is no JSON."""
    if any("\x00" in value for value in values):
        return None
    try:
        return orjson.dumps(values).decode()
    except orjson.JSONEncodeError:
        return None


def _by_doc_ids(values: Any) -> Any:
    return _DOCUMENTS.where(documents.c.doc_id.in_(values))


def _keys_by_reference(values: Any) -> Any:
    return select(doc_keys.c.document_id, doc_keys.c.type, doc_keys.c.key).where(
        doc_keys.c.company == bindparam("company"), doc_keys.c.reference.in_(values))


_BY_DOC_IDS = {"sqlite": _by_doc_ids(_each("values")),
               None: _by_doc_ids(bindparam("values", expanding=True))}
_KEYS_BY_REFERENCE = {"sqlite": _keys_by_reference(_each("values")),
                      None: _keys_by_reference(bindparam("values", expanding=True))}


def _chunks(items: Iterable[T]) -> Iterable[list[T]]:
    iterator = iter(items)
    while chunk := list(itertools.islice(iterator, _CHUNK)):
        yield chunk


class Repository:
    def __init__(self, connection: Connection) -> None:
        self.connection = connection
        self._ids: dict[str, list[int]] = {}
        self._counted: dict[str, int] = {}

    # ---- identifiers -------------------------------------------------------------------
    def new_id(self, table: str) -> int:
        """An id for a row about to be bulk-inserted, so that related rows can refer to it.

        PostgreSQL hands out sequence values in blocks; SQLite counts on from the largest id,
        which is safe because write transactions there take the write lock when they begin.
        """
        pool = self._ids.setdefault(table, [])
        if not pool:
            pool.extend(reversed(self._reserve(table, 500)))
        return pool.pop()

    def _reserve(self, table: str, count: int) -> list[int]:
        if self.connection.dialect.name == "postgresql":
            rows = self.connection.exec_driver_sql(
                f"SELECT nextval('{table}_id_seq') FROM generate_series(1, {count})"
            )
            return [row[0] for row in rows]
        target = {"documents": documents, "versions": versions}[table]
        start = self._counted.get(table)
        if start is None:
            start = int(self.connection.execute(
                select(func.coalesce(func.max(target.c.id), 0))).scalar() or 0)
        self._counted[table] = start + count
        return list(range(start + 1, start + 1 + count))

    # ---- documents ---------------------------------------------------------------------
    def _select_documents(self) -> Any:
        return _DOCUMENTS

    def by_identities(self, identities: Iterable[Identity]) -> dict[Identity, StoredDocument]:
        wanted = set(identities)
        found: dict[Identity, StoredDocument] = {}
        # A plain IN on the indexed id column is much faster than a row-value IN in SQLite.
        for row in self._rows_in(_BY_DOC_IDS, {identity.id for identity in wanted}, {}):
            stored = _stored(row)
            if stored.identity in wanted:
                found[stored.identity] = stored
        return found

    def _rows_in(self, statements: dict[str | None, Any], values: set[str],
                 parameters: dict[str, Any]) -> Iterator[Any]:
        """The rows of a statement whose `values` parameter is a list of values (see `_each`)."""
        if not values:
            return
        ordered = sorted(values)
        if self.connection.dialect.name == "sqlite" and (array := _json_array(ordered)):
            yield from self.connection.execute(statements["sqlite"],
                                               {**parameters, "values": array})
            return
        for chunk in _chunks(ordered):
            yield from self.connection.execute(statements[None], {**parameters, "values": chunk})

    def by_type_and_id(self, pairs: Iterable[tuple[str, str]]) -> list[StoredDocument]:
        found: list[StoredDocument] = []
        for chunk in _chunks(set(pairs)):
            query = self._select_documents().where(
                tuple_(documents.c.type, documents.c.doc_id).in_(chunk)
            )
            found.extend(_stored(row) for row in self.connection.execute(query))
        return found

    def by_ids(self, ids: Iterable[int]) -> list[StoredDocument]:
        found: list[StoredDocument] = []
        for chunk in _chunks(set(ids)):
            query = self._select_documents().where(documents.c.id.in_(chunk))
            found.extend(_stored(row) for row in self.connection.execute(query))
        return sorted(found, key=lambda stored: stored.id)

    def ids_where(self, company: str | None = None, outcomes: Sequence[Outcome] = (),
                  codes: Sequence[Code] = ()) -> list[int]:
        """Documents in arrival order; with `codes`, only those with a finding of one of them."""
        query = select(documents.c.id).order_by(documents.c.id)
        if company:
            query = query.where(documents.c.company == company)
        if outcomes:
            query = query.where(documents.c.outcome.in_([o.value for o in outcomes]))
        if codes:
            query = query.where(documents.c.id.in_(select(findings.c.document_id).where(
                findings.c.code.in_([code.value for code in codes]))))
        return [row[0] for row in self.connection.execute(query)]

    def by_doc_id(self, doc_id: str) -> list[StoredDocument]:
        query = self._select_documents().where(documents.c.doc_id == doc_id)
        return [_stored(row) for row in self.connection.execute(query)]

    def synced_postings(self, company: str, date_from: dt.date,
                        date_to: dt.date) -> list[tuple[StoredDocument, dict[str, Any]]]:
        """Synced documents dated in the range, with the posting acgate last sent for them."""
        query = select(outbox.c.document_id, outbox.c.posting).where(
            outbox.c.company == company, outbox.c.state == "done",
            outbox.c.posting.is_not(None),
        ).order_by(outbox.c.id)
        latest = {row.document_id: dict(row.posting) for row in self.connection.execute(query)
                  if row.posting}
        found = []
        for stored in self.by_ids(latest):
            posted = latest[stored.id]
            day = dt.date.fromisoformat(posted["date"])
            if stored.autocount_doc_no and date_from <= day <= date_to and posted.get("doc_no"):
                found.append((stored, posted))
        return found

    def blocked_by(self, table: str, codes: Iterable[str], outcomes: Sequence[Outcome],
                   company: str | None = None) -> list[int]:
        """Documents in these outcomes with a finding blocked on any of these codes."""
        found: set[int] = set()
        for chunk in _chunks(set(codes)):
            query = select(findings.c.document_id).join(
                documents, documents.c.id == findings.c.document_id).where(
                findings.c.blocker_table == table, findings.c.blocker_code.in_(chunk),
                documents.c.outcome.in_([o.value for o in outcomes]))
            if company:
                query = query.where(documents.c.company == company)
            found.update(row[0] for row in self.connection.execute(query))
        return sorted(found)

    def by_autocount_doc_no(self, doc_no: str) -> list[StoredDocument]:
        query = self._select_documents().where(documents.c.autocount_doc_no == doc_no)
        return [_stored(row) for row in self.connection.execute(query)]

    def insert_documents(self, rows: list[dict[str, Any]]) -> None:
        if rows:
            _insert_many(self.connection, documents, rows)

    def update_rows(self, table: Table, rows: list[dict[str, Any]]) -> None:
        """Each row: `id` plus the columns to set; one executemany per set of columns."""
        by_columns: dict[tuple[str, ...], list[dict[str, Any]]] = {}
        for row in rows:
            by_columns.setdefault(tuple(sorted(row)), []).append(row)
        for columns, group in by_columns.items():
            statement = update(table).where(table.c.id == _bind("doc_id")).values(
                {name: _bind(name) for name in columns if name != "id"}
            )
            self.connection.execute(statement, [_rename(row) for row in group])

    def update_documents(self, rows: list[dict[str, Any]]) -> None:
        self.update_rows(documents, rows)

    def update_versions(self, rows: list[dict[str, Any]]) -> None:
        self.update_rows(versions, rows)

    # ---- versions ----------------------------------------------------------------------
    def insert_versions(self, rows: list[dict[str, Any]]) -> None:
        if rows:
            _insert_many(self.connection, versions, rows)

    def newest_version(self, document_id: int) -> tuple[int | None, dt.datetime | None]:
        """The highest version number and the latest `updated_at` stored for a document."""
        row = self.connection.execute(
            select(func.max(versions.c.version), func.max(versions.c.source_updated_at))
            .where(versions.c.document_id == document_id)).one()
        return row[0], row[1]

    def set_version_fields(self, version_id: int, **values: Any) -> None:
        self.connection.execute(update(versions).where(versions.c.id == version_id)
                                .values(**values))

    def supersede(self, version_ids: Sequence[int]) -> None:
        for chunk in _chunks(version_ids):
            self.connection.execute(
                update(versions).where(versions.c.id.in_(chunk), versions.c.state == "current")
                .values(state="superseded")
            )

    def raws(self, version_ids: Iterable[int]) -> dict[int, str]:
        found: dict[int, str] = {}
        for chunk in _chunks(set(version_ids)):
            query = select(versions.c.id, versions.c.raw).where(versions.c.id.in_(chunk))
            found.update((row.id, row.raw) for row in self.connection.execute(query))
        return found

    def approved_before(self, pairs: Iterable[tuple[int, int]]) -> dict[int, str]:
        """For (document id, version id): the raw of the newest earlier approved version."""
        wanted = dict(pairs)
        found: dict[int, tuple[int, str]] = {}
        for chunk in _chunks(wanted):
            query = select(versions.c.document_id, versions.c.id, versions.c.raw).where(
                versions.c.document_id.in_(chunk), versions.c.approved.is_(True)
            )
            for row in self.connection.execute(query):
                limit = wanted[row.document_id]
                if row.id < limit and row.id > found.get(row.document_id, (0, ""))[0]:
                    found[row.document_id] = (row.id, row.raw)
        return {doc: raw for doc, (_, raw) in found.items()}

    def versions_of(self, document_id: int) -> list[Any]:
        query = select(versions).where(versions.c.document_id == document_id) \
            .order_by(versions.c.id)
        return list(self.connection.execute(query))

    # ---- findings, keys, ledger ----------------------------------------------------------
    def replace_findings(self, document_ids: Sequence[int], rows: list[dict[str, Any]]) -> None:
        for chunk in _chunks(document_ids):
            self.connection.execute(delete(findings).where(findings.c.document_id.in_(chunk)))
        if rows:
            _insert_many(self.connection, findings, rows)

    def findings_of(self, document_ids: Iterable[int]) -> dict[int, list[Any]]:
        found: dict[int, list[Any]] = {}
        for chunk in _chunks(set(document_ids)):
            query = select(findings).where(findings.c.document_id.in_(chunk)) \
                .order_by(findings.c.id)
            for row in self.connection.execute(query):
                found.setdefault(row.document_id, []).append(row)
        return found

    def replace_keys(self, document_ids: Sequence[int], rows: list[dict[str, Any]]) -> None:
        for chunk in _chunks(document_ids):
            self.connection.execute(delete(doc_keys).where(doc_keys.c.document_id.in_(chunk)))
        if rows:
            _insert_many(self.connection, doc_keys, rows)

    def keys_for_references(self, company: str, references: Iterable[str]) -> list[Any]:
        return list(self._rows_in(_KEYS_BY_REFERENCE, set(references), {"company": company}))

    def replace_ledger(self, document_ids: Sequence[int], rows: list[dict[str, Any]]) -> None:
        for chunk in _chunks(document_ids):
            self.connection.execute(delete(ledger).where(ledger.c.document_id.in_(chunk)))
        if rows:
            _insert_many(self.connection, ledger, rows)

    def ledger_for_targets(self, targets: Iterable[str]) -> list[Any]:
        rows: list[Any] = []
        for chunk in _chunks(set(targets)):
            rows.extend(self.connection.execute(select(ledger).where(ledger.c.target.in_(chunk))))
        return rows

    def ledger_targets(self, document_ids: Iterable[int]) -> set[str]:
        """The documents these documents' lines take quantities from."""
        found: set[str] = set()
        for chunk in _chunks(set(document_ids)):
            found.update(row[0] for row in self.connection.execute(
                select(ledger.c.target).where(ledger.c.document_id.in_(chunk)).distinct()))
        return found

    def ledger_of(self, document_id: int) -> list[Any]:
        return list(self.connection.execute(
            select(ledger).where(ledger.c.document_id == document_id)))

    # ---- events --------------------------------------------------------------------------
    def append_events(self, rows: list[dict[str, Any]]) -> None:
        if rows:
            _insert_many(self.connection, events, rows)

    def events_of(self, document_id: int) -> list[Any]:
        query = select(events).where(events.c.document_id == document_id).order_by(events.c.id)
        return list(self.connection.execute(query))

    def add_intake_errors(self, rows: list[dict[str, Any]]) -> None:
        _insert_many(self.connection, intake_errors, rows)

    def intake_errors(self, limit: int = 100) -> list[Any]:
        query = select(intake_errors).order_by(intake_errors.c.id.desc()).limit(limit)
        return list(self.connection.execute(query))

    # ---- mappings and master data ------------------------------------------------------------
    def runtime_mappings(self, company: str) -> dict[MappingTable, dict[str, str]]:
        tables: dict[MappingTable, dict[str, str]] = {}
        query = select(mappings).where(mappings.c.company == company).order_by(mappings.c.id)
        for row in self.connection.execute(query):
            tables.setdefault(MappingTable(row.table_name), {})[row.source_code] = row.target_code
        return tables

    def put_mapping(self, company: str, table: MappingTable, source_code: str,
                    target_code: str, by: str, at: dt.datetime, reason: str | None) -> None:
        self.connection.execute(delete(mappings).where(
            mappings.c.company == company, mappings.c.table_name == table.value,
            mappings.c.source_code == source_code))
        self.connection.execute(insert(mappings), [{
            "company": company, "table_name": table.value, "source_code": source_code,
            "target_code": target_code, "added_by": by, "added_at": at, "reason": reason,
        }])
        self._company_changed(company)

    def master_data(self, company: str) -> dict[str, Any] | None:
        row = self.connection.execute(
            select(master_data.c.data).where(master_data.c.company == company)).first()
        return dict(row.data) if row else None

    def save_master_data(self, company: str, data: dict[str, Any], loaded_from: str,
                         at: dt.datetime) -> None:
        self.connection.execute(delete(master_data).where(master_data.c.company == company))
        self.connection.execute(insert(master_data), [{
            "company": company, "data": data, "loaded_from": loaded_from, "loaded_at": at,
        }])
        self._company_changed(company)

    def company_version(self, company: str) -> int:
        """How often the company's mappings or master data have changed (0: never)."""
        version = self.connection.execute(select(company_versions.c.version).where(
            company_versions.c.company == company)).scalar()
        return int(version or 0)

    def _company_changed(self, company: str) -> None:
        dialect = self.connection.dialect.name
        upsert = (sqlite_insert if dialect == "sqlite" else postgresql_insert)(company_versions)
        self.connection.execute(upsert.values(company=company, version=1).on_conflict_do_update(
            index_elements=[company_versions.c.company],
            set_={"version": company_versions.c.version + 1}))


def finding_from_row(row: Any) -> Finding:
    return Finding(
        code=Code(row.code), outcome=Outcome(row.outcome), owner=row.owner, message=row.message,
        field=row.field, source_value=row.source_value, expected=row.expected,
        suggestions=tuple(Suggestion(**s) for s in (row.suggestions or [])),
        blocker=(row.blocker_table, row.blocker_code) if row.blocker_table else None,
        released_by=row.released_by,
    )


def _bind(name: str) -> Any:
    return bindparam(f"b_{name}")


def _rename(row: dict[str, Any]) -> dict[str, Any]:
    renamed = {f"b_{key}": value for key, value in row.items() if key != "id"}
    renamed["b_doc_id"] = row["id"]
    return renamed
