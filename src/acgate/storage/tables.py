"""The holding area's tables (SQLAlchemy Core). Alembic migrations create them; this module is the
one place that names their columns."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    DateTime,
    Dialect,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    and_,
    text,
)
from sqlalchemy.types import TypeDecorator

from acgate.domain.codes import Outcome

metadata = MetaData()


class Instant(TypeDecorator[dt.datetime]):
    """A timezone-aware instant on every database: SQLite keeps no offset, so store UTC and
    hand back an aware datetime."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        if not isinstance(value, dt.datetime) or value.tzinfo is None:
            raise ValueError(f"refusing to store a naive timestamp {value!r}")
        stamp = value.astimezone(dt.UTC)
        return stamp.replace(tzinfo=None) if dialect.name == "sqlite" else stamp

    def process_result_value(self, value: Any, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        stamp: dt.datetime = value
        return stamp.replace(tzinfo=dt.UTC) if stamp.tzinfo is None else stamp.astimezone(dt.UTC)

# One row per document identity (source, type, id). `arrival` orders documents for the ledger
# and for "the first to arrive keeps its place"; it is the row id.
documents = Table(
    "documents", metadata,
    Column("id", Integer, primary_key=True),
    Column("company", String(64), nullable=False),
    Column("source", String(128), nullable=False),
    Column("type", String(32), nullable=False),
    Column("doc_id", String(255), nullable=False),
    Column("first_received_at", Instant(), nullable=False),
    Column("current_version_id", Integer),
    Column("outcome", String(16), nullable=False),
    Column("owner", String(64)),
    Column("assignee", String(128)),
    Column("party_code", String(128)),
    Column("reference", String(255)),
    Column("synced_version_id", Integer),
    Column("autocount_doc_no", String(64)),
    Column("counts_in_ledger", Boolean, nullable=False, default=True),
    Column("changed_at", Instant(), nullable=False),
    UniqueConstraint("source", "type", "doc_id", name="uq_documents_identity"),
    Index("ix_documents_doc_id", "doc_id", "type"),
    Index("ix_documents_company_outcome", "company", "outcome"),
    # The queue's order (oldest first) with the outcome it filters on: a page, however deep, and
    # its count read this index alone.
    Index("ix_documents_queue", "first_received_at", "id", "outcome"),
)

# Only a held or waiting record has an owner, and people look up a party's *open* records (whom
# to chase about what is held): those two indexes hold open records alone. Parties and owners
# come in no order, so in a full index every document intake stored dirtied a page of its own,
# and a ready document (nearly every one) was moved out again when it synced. Queries that use
# them repeat their condition word for word (`acgate.storage.queue`, `.dashboard`): SQLite uses a
# partial index only for a term it can match as written.
OPEN_INDEXED = (Outcome.HELD, Outcome.WAITING)
OPEN_ONLY = text(f"outcome IN ({', '.join(repr(o.value) for o in OPEN_INDEXED)})")
Index("ix_documents_party", documents.c.party_code, documents.c.outcome,
      documents.c.first_received_at, sqlite_where=OPEN_ONLY, postgresql_where=OPEN_ONLY)
# A role's records ("accounts, older than 3 days") found and counted from the index.
Index("ix_documents_owner", documents.c.owner, documents.c.outcome,
      documents.c.first_received_at, sqlite_where=OPEN_ONLY, postgresql_where=OPEN_ONLY)
# A document has an AutoCount number once it is synced; intake stores none.
HAS_DOC_NO = text("autocount_doc_no IS NOT NULL")
Index("ix_documents_autocount_doc_no", documents.c.autocount_doc_no, sqlite_where=HAS_DOC_NO,
      postgresql_where=HAS_DOC_NO)

# Every delivery of a version that was stored. `raw` is the payload exactly as received (text),
# so a rejected payload is never lost and a re-check re-parses the original.
versions = Table(
    "versions", metadata,
    Column("id", Integer, primary_key=True),
    Column("document_id", Integer, ForeignKey("documents.id"), nullable=False),
    Column("version", Integer),
    Column("source_updated_at", Instant()),
    Column("content_hash", String(64)),
    Column("raw", Text, nullable=False),
    Column("origin", String(512)),
    Column("received_at", Instant(), nullable=False),
    Column("status", String(128)),
    Column("state", String(16), nullable=False),  # current | superseded | stale | invalid
    Column("outcome", String(16)),
    Column("approved", Boolean, nullable=False, default=False),
    Column("problems", JSON),
    Column("assessment", JSON),
    Column("released", JSON),  # {code: "who: why"} given by people for this version
    # Findings raised outside the checks (sync, reconciliation), kept across re-checks until
    # their own way out clears them.
    Column("carried", JSON),
    Index("ix_versions_document", "document_id"),
)

# The findings of each document's current assessment (replaced on re-check; history is in events).
findings = Table(
    "findings", metadata,
    Column("id", Integer, primary_key=True),
    Column("document_id", Integer, ForeignKey("documents.id"), nullable=False),
    Column("version_id", Integer, ForeignKey("versions.id"), nullable=False),
    Column("company", String(64), nullable=False),
    Column("code", String(32), nullable=False),
    Column("gap", String(16), nullable=False),
    Column("outcome", String(16), nullable=False),
    Column("owner", String(64), nullable=False),
    Column("message", Text, nullable=False),
    Column("field", String(255)),
    Column("source_value", Text),
    Column("expected", Text),
    Column("suggestions", JSON),
    Column("blocker_table", String(32)),
    Column("blocker_code", String(512)),
    Column("released_by", Text),
    # Findings are looked up by document, by code and by the mapping that blocks them; the
    # trailing columns let the queue's filters and its causes (grouped by blocker, joined to the
    # documents from either side) be answered from the indexes alone.
    Index("ix_findings_document", "document_id", "blocker_table", "blocker_code", "company",
          "outcome"),
    Index("ix_findings_code", "code", "company", "document_id"),
    Index("ix_findings_blocker", "blocker_table", "blocker_code", "company", "outcome",
          "document_id"),
)

# Append-only: who did what to which record, when and why. Triggers refuse updates and deletes.
events = Table(
    "events", metadata,
    Column("id", Integer, primary_key=True),
    Column("document_id", Integer, ForeignKey("documents.id")),
    Column("version_id", Integer),
    Column("company", String(64)),
    Column("at", Instant(), nullable=False),
    Column("actor", String(128), nullable=False),
    Column("kind", String(32), nullable=False),
    Column("reason", Text),
    Column("data", JSON),
    Index("ix_events_document", "document_id"),
    Index("ix_events_kind_at", "kind", "at"),  # the dashboard's inflow and outflow per day
)

# The access log is the events `acgate.service.people` records: about no document and no
# company (a mapping added or master data loaded names its company), read newest first. On
# PostgreSQL `ix_events_document` finds those rows but not in id order, so every page would sort
# the whole log; this index is partial because nearly every row is a document's event: intake
# never writes to it. (SQLite reads the log from `ix_events_document`, whose entries end in the
# rowid, `id`.)
ACCESS_LOG_EVENTS = and_(events.c.document_id.is_(None), events.c.company.is_(None))
Index("ix_events_access_log", events.c.id,
      sqlite_where=ACCESS_LOG_EVENTS, postgresql_where=ACCESS_LOG_EVENTS)

# Duplicate-document keys (unique reference, natural key) of each document's current version.
doc_keys = Table(
    "doc_keys", metadata,
    Column("document_id", Integer, ForeignKey("documents.id"), nullable=False),
    Column("company", String(64), nullable=False),
    Column("type", String(32), nullable=False),
    Column("key", String(768), nullable=False),
    Column("reference", String(255), nullable=False),
    Index("ix_doc_keys_document", "document_id"),
    Index("ix_doc_keys_reference", "company", "reference"),
)

# The fulfilment ledger: each follower line's base quantity against a target line.
ledger = Table(
    "ledger", metadata,
    Column("document_id", Integer, ForeignKey("documents.id"), nullable=False),
    Column("target", String(512), nullable=False),
    Column("target_line", Integer, nullable=False),
    Column("relation", String(16), nullable=False),
    Column("base_qty", String(40), nullable=False),
    Column("line", Integer, nullable=False),
    Index("ix_ledger_target", "target", "relation"),
    Index("ix_ledger_document", "document_id"),
)

# Mappings people added at run time; they join the rules file's tables.
mappings = Table(
    "mappings", metadata,
    Column("id", Integer, primary_key=True),
    Column("company", String(64), nullable=False),
    Column("table_name", String(32), nullable=False),
    Column("source_code", String(255), nullable=False),
    Column("target_code", String(255), nullable=False),
    Column("added_by", String(128), nullable=False),
    Column("added_at", Instant(), nullable=False),
    Column("reason", Text),
    UniqueConstraint("company", "table_name", "source_code", name="uq_mappings_source"),
)

# AutoCount master data per company, as one JSON document: it is read whole, never queried.
master_data = Table(
    "master_data", metadata,
    Column("company", String(64), primary_key=True),
    Column("data", JSON, nullable=False),
    Column("loaded_from", String(512)),
    Column("loaded_at", Instant(), nullable=False),
)

# How often each company's mappings or master data changed. Every process that checks records
# (an API server, a worker, the CLI) keeps the company it built with the version it saw, and
# builds it again when the version moves on: a mapping added in one process holds for all.
company_versions = Table(
    "company_versions", metadata,
    Column("company", String(64), primary_key=True),
    Column("version", Integer, nullable=False),
)

# Payloads that could not be tied to a document identity; kept whole, never dropped.
intake_errors = Table(
    "intake_errors", metadata,
    Column("id", Integer, primary_key=True),
    Column("company", String(64)),
    Column("received_at", Instant(), nullable=False),
    Column("origin", String(512)),
    Column("raw", Text, nullable=False),
    Column("problems", JSON, nullable=False),
)


# The durable outbox: one entry per version that must reach AutoCount (post, update, void).
# An entry is claimed with a lease before any call; a lease that ran out means a worker died
# mid-call, so the next one looks the document up before it sends anything again.
outbox = Table(
    "outbox", metadata,
    Column("id", Integer, primary_key=True),
    Column("document_id", Integer, ForeignKey("documents.id"), nullable=False),
    Column("version_id", Integer, nullable=False),
    Column("company", String(64), nullable=False),
    Column("action", String(16), nullable=False),  # post | update | void | reverse | adjust
    Column("key", String(40), nullable=False),
    Column("doc_no", String(64)),
    Column("state", String(16), nullable=False),  # pending|in_flight|in_doubt|done|failed|cancelled
    Column("attempts", Integer, nullable=False, default=0),
    Column("not_before", Instant(), nullable=False),
    Column("lease_until", Instant()),
    Column("worker", String(64)),
    Column("posting", JSON(none_as_null=True)),
    Column("last_error", Text),
    Column("created_at", Instant(), nullable=False),
    Column("updated_at", Instant(), nullable=False),
    UniqueConstraint("key", "action", name="uq_outbox_key_action"),
    Index("ix_outbox_due", "state", "not_before"),
    Index("ix_outbox_document", "document_id"),
)

# Every call acgate made to AutoCount for a record, and what came back.
sync_attempts = Table(
    "sync_attempts", metadata,
    Column("id", Integer, primary_key=True),
    Column("outbox_id", Integer, ForeignKey("outbox.id"), nullable=False),
    Column("document_id", Integer, ForeignKey("documents.id"), nullable=False),
    Column("company", String(64), nullable=False),
    Column("at", Instant(), nullable=False),
    Column("worker", String(64)),
    Column("action", String(16), nullable=False),
    Column("result", String(24), nullable=False),
    Column("doc_no", String(64)),
    Column("message", Text),
    Column("elapsed_ms", Integer),
    Index("ix_sync_attempts_document", "document_id"),
    Index("ix_sync_attempts_at", "at"),
)

# A target paused by a configuration error (bad key): records wait, they do not fail.
targets = Table(
    "targets", metadata,
    Column("company", String(64), primary_key=True),
    Column("paused", Boolean, nullable=False, default=False),
    Column("reason", Text),
    Column("since", Instant()),
)


# People who sign in to the pages and the REST API. Nobody is ever deleted: the trace names them.
users = Table(
    "users", metadata,
    Column("id", Integer, primary_key=True),
    Column("username", String(64), nullable=False),
    Column("display_name", String(255), nullable=False),
    Column("role", String(32), nullable=False),
    Column("password_hash", String(255), nullable=False),  # argon2id, with its parameters
    Column("disabled", Boolean, nullable=False, default=False),
    Column("created_at", Instant(), nullable=False),
    UniqueConstraint("username", name="uq_users_username"),
)

# Server-side sessions. Only a hash of the cookie's token is kept, so a copy of the database
# signs nobody in; `expires_at` slides with use up to the session's lifetime.
sessions = Table(
    "sessions", metadata,
    Column("id", Integer, primary_key=True),
    Column("token_hash", String(64), nullable=False),
    Column("user_id", Integer, ForeignKey("users.id"), nullable=False),
    Column("created_at", Instant(), nullable=False),
    Column("last_seen_at", Instant(), nullable=False),
    Column("expires_at", Instant(), nullable=False),
    Column("revoked_at", Instant()),
    Column("csrf_secret", String(64), nullable=False),
    UniqueConstraint("token_hash", name="uq_sessions_token_hash"),
    Index("ix_sessions_user", "user_id"),
)

# Source systems' API keys. `key_id` is the public part people see and revoke by; the key itself
# is shown once and only its SHA-256 is kept (it doubles as the webhook signing secret).
api_keys = Table(
    "api_keys", metadata,
    Column("id", Integer, primary_key=True),
    Column("key_id", String(32), nullable=False),
    Column("source", String(128), nullable=False),
    Column("key_hash", String(64), nullable=False),
    Column("created_by", String(128), nullable=False),
    Column("created_at", Instant(), nullable=False),
    Column("revoked_at", Instant()),
    Column("last_used_at", Instant()),
    UniqueConstraint("key_id", name="uq_api_keys_key_id"),
    Index("ix_api_keys_source", "source"),
)

# Signed webhook deliveries recently accepted, so that a replay of one is recognised. A delivery
# is the sender's delivery id, or else its signature; rows older than a day are pruned.
webhook_deliveries = Table(
    "webhook_deliveries", metadata,
    Column("id", Integer, primary_key=True),
    Column("source", String(128), nullable=False),
    Column("delivery", String(128), nullable=False),
    Column("received_at", Instant(), nullable=False),
    UniqueConstraint("source", "delivery", name="uq_webhook_deliveries_delivery"),
    Index("ix_webhook_deliveries_received", "received_at"),
)

# Failed logins in a row per username: the count that locks a username out for a while. The
# username is whatever was typed, known or not, so guessing at names is limited too. A row goes
# at that username's next successful login, or once its failures are forgotten and its lock-out
# is over.
login_failures = Table(
    "login_failures", metadata,
    Column("id", Integer, primary_key=True),
    Column("username", String(64), nullable=False),
    Column("failures", Integer, nullable=False),
    Column("last_failed_at", Instant(), nullable=False),
    Column("locked_until", Instant()),
    UniqueConstraint("username", name="uq_login_failures_username"),
    Index("ix_login_failures_last_failed", "last_failed_at"),
)
