"""What the REST API takes and answers, as pydantic models: they are the OpenAPI document.

Field names are the ones the CLI's `--json` output and the contract files use.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints

from acgate.domain.access import Action, Role
from acgate.domain.codes import Code, Outcome
from acgate.domain.rules import Table

NonBlank = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1,
                                            max_length=2000)]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=255)]


class _In(BaseModel):
    """A request body: unknown fields are a mistake worth telling the caller about."""

    model_config = ConfigDict(extra="forbid")


# ---- errors -------------------------------------------------------------------------------------

class Problem(BaseModel):
    """One thing wrong with a request: the record and field it is about, and the fix."""

    field: str
    problem: str
    fix: str | None = None
    record: str | None = None


class Error(BaseModel):
    """Every error answer: what went wrong, what to do, and the problems one by one."""

    error: str
    fix: str | None = None
    record: str | None = None
    problems: list[Problem] | None = None


# ---- people -------------------------------------------------------------------------------------

class LoginIn(_In):
    username: Annotated[str, StringConstraints(max_length=200)]
    password: Annotated[str, StringConstraints(max_length=1000)]


class UserOut(BaseModel):
    username: str
    display_name: str
    role: Role
    disabled: bool
    created_at: dt.datetime


class ManagedUserOut(UserOut):
    """A user as an integration admin manages them: with a running lock-out, which concerns
    the admin rather than the person signed in."""

    locked_until: AwareDatetime | None = Field(
        description="While sign-in with this username is locked out after failed sign-ins in "
                    "a row (the right password is refused too), when that ends; null when it "
                    "is not locked out now. `POST /api/v1/users/{username}/unlock` lifts it.")


class SessionOut(BaseModel):
    """The signed-in person. Send `csrf_token` as `X-CSRF-Token` with every change."""

    user: UserOut
    csrf_token: str
    expires_at: dt.datetime
    permissions: list[Action]
    queue_owners: list[str] = Field(
        description="The finding owners whose records are in this person's queue.")


class UserIn(_In):
    username: Name
    role: Role
    password: Annotated[str, StringConstraints(max_length=1000)]
    display_name: Annotated[str, StringConstraints(max_length=255)] | None = None


class RoleIn(_In):
    role: Role


class KeyIn(_In):
    source: Name


class KeyOut(BaseModel):
    key_id: str
    source: str
    created_by: str
    created_at: dt.datetime
    revoked_at: dt.datetime | None
    last_used_at: dt.datetime | None
    active: bool


class NewKeyOut(BaseModel):
    """A new key. `secret` and `signing_secret` are shown now and never again."""

    key: KeyOut
    secret: str = Field(description="Send as `Authorization: Bearer <secret>`.")
    signing_secret: str = Field(description="Signs webhooks: HMAC-SHA256 over "
                                            "`timestamp + \".\" + body`.")


class AccessLogEntryOut(BaseModel):
    """One entry of the access log: when, who did it, what, and for whom."""

    at: dt.datetime
    actor: str = Field(description="Who did it: the person signed in, or the username typed "
                                   "at a sign-in.")
    kind: str = Field(description="What was recorded: one of the `kind` filter's values (or a "
                                  "kind another acgate version recorded).")
    what: str = Field(description="The entry in words, as the users page shows it.")
    username: str | None = Field(description="The user it is about, when it is about one.")
    lockout: bool = Field(description="A lock-out after failed sign-ins, or a sign-in it "
                                      "refused.")
    reason: str | None
    data: dict[str, Any]


class AccessLogOut(BaseModel):
    total: int = Field(description="How many entries match, beyond this page too.")
    limit: int
    offset: int
    rows: list[AccessLogEntryOut]


# ---- findings and records -----------------------------------------------------------------------

class SuggestionOut(BaseModel):
    label: str
    action: str
    table: str | None = None
    source_code: str | None = None
    target_code: str | None = None
    score: float | None = None


class FindingOut(BaseModel):
    code: Code
    gap: str
    outcome: Outcome
    owner: str
    message: str
    field: str | None
    source_value: str | None
    expected: str | None
    suggestions: list[SuggestionOut]
    released_by: str | None = None


class RecordOut(BaseModel):
    """A record as it stands after an action."""

    identity: str
    company: str
    outcome: Outcome
    owner: str | None
    assignee: str | None
    autocount_doc_no: str | None
    findings: list[FindingOut]


class ReasonIn(_In):
    reason: NonBlank


class AssignIn(_In):
    to: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=128)]
    reason: NonBlank | None = None


class CommentIn(_In):
    text: NonBlank


# ---- intake -------------------------------------------------------------------------------------

class FieldProblemOut(BaseModel):
    field: str
    problem: str
    fix: str
    value: str | None = None  # what was sent there, when it was one value


class IntakeProblemOut(BaseModel):
    """A document that was not taken as a new version (or was kept as held INVALID_DOCUMENT),
    where it came from, and what to fix field by field."""

    origin: str
    identity: str | None
    kind: Literal["unreadable", "invalid", "conflict", "unknown_company", "wrong_source"]
    code: str | None
    problems: list[FieldProblemOut]


class CheckedOut(BaseModel):
    identity: str
    outcome: Outcome
    owner: str | None
    findings: list[FindingOut]


class IngestOut(BaseModel):
    """The intake report: counts, every problem (the first 1000), and for JSON requests each
    checked document with its outcome and findings."""

    received: int
    new_documents: int
    new_versions: int
    redeliveries: int
    stale: int
    refused: int
    outcomes: dict[str, int]
    codes: dict[str, int]
    problem_count: int
    problems: list[IntakeProblemOut]
    documents: list[CheckedOut]


# ---- the holding area ---------------------------------------------------------------------------

class QueueRowOut(BaseModel):
    identity: str
    company: str
    version: int | None
    outcome: Outcome
    owner: str | None
    assignee: str | None
    party: str | None
    first_received_at: dt.datetime
    age_hours: float
    findings: list[FindingOut]


class QueueOut(BaseModel):
    total: int = Field(description="How many records match, beyond this page too.")
    limit: int
    offset: int
    rows: list[QueueRowOut]


class OpenFindingsOut(BaseModel):
    code: str
    owner: str | None
    count: int


class SummaryOut(BaseModel):
    outcomes: dict[str, int]
    open_findings: list[OpenFindingsOut]


class VersionOut(BaseModel):
    version: int | None
    updated_at: dt.datetime | None
    received_at: dt.datetime
    origin: str | None
    status: str | None
    state: str | None
    outcome: Outcome | None
    approval: dict[str, Any] | None
    content_hash: str | None
    problems: list[FieldProblemOut] | None
    synced: bool
    released: dict[str, str]


class MappedOut(BaseModel):
    field: str
    source_value: str | None
    autocount_value: str | None
    rule: str | None


class ConversionOut(BaseModel):
    field: str
    item: str | None
    source_uom: str | None
    alias: str | None
    autocount_uom: str | None
    autocount_rate: str | None
    source_rate: str | None
    qty: str | None
    base_qty: str | None
    base_uom: str | None


class DuplicateCheckOut(BaseModel):
    kind: str
    key: str | None
    found: list[str]


class LedgerLineOut(BaseModel):
    target: str
    target_line: int
    relation: str
    line: int
    base_qty: str


class FulfilmentOut(BaseModel):
    fulfils: list[LedgerLineOut]
    fulfilled_by: dict[str, dict[str, str]] = Field(
        description="relation -> line of this document -> base quantity fulfilled against it")


class EventOut(BaseModel):
    at: dt.datetime
    actor: str
    kind: str
    reason: str | None
    data: dict[str, Any]


class AttemptOut(BaseModel):
    at: dt.datetime
    worker: str | None
    action: str
    result: str
    doc_no: str | None
    message: str | None
    elapsed_ms: int | None


class TraceOut(BaseModel):
    """Everything that happened to a record, from each version received to AutoCount."""

    identity: str
    company: str
    outcome: Outcome
    owner: str | None
    assignee: str | None
    first_received_at: dt.datetime
    autocount_doc_no: str | None
    changed_after_sync: bool
    versions: list[VersionOut]
    findings: list[FindingOut]
    mapped: list[MappedOut]
    conversions: list[ConversionOut]
    duplicate_checks: list[DuplicateCheckOut]
    totals: dict[str, str]
    fulfilment: FulfilmentOut
    sync_attempts: list[AttemptOut]
    events: list[EventOut]


class LoggedAttemptOut(AttemptOut):
    identity: str
    company: str


class SyncLogOut(BaseModel):
    total: int
    limit: int
    offset: int
    rows: list[LoggedAttemptOut]


# ---- companies: mappings, master data, rules -----------------------------------------------------

class CompanyOut(BaseModel):
    company: str
    name: str | None


class MappingIn(_In):
    company: Name | None = Field(default=None,
                                 description="Default: the only company configured.")
    table: Table
    source_code: Name
    target_code: Name
    reason: NonBlank | None = None


class MappingOut(BaseModel):
    company: str
    table: Table
    source_code: str
    target_code: str
    origin: Literal["rules", "person"] = Field(
        description="`rules`: the rules file; `person`: added by someone (`added_by`).")
    added_by: str | None = None
    added_at: dt.datetime | None = None
    reason: str | None = None


class MappingsOut(BaseModel):
    total: int = Field(description="How many mappings match, beyond this page too.")
    limit: int
    offset: int
    rows: list[MappingOut]


class MappingResultOut(BaseModel):
    mapping: MappingOut
    rechecked: int
    moved_on: list[str] = Field(description="Records that left held or waiting because of it.")


class MasterOut(BaseModel):
    company: str
    loaded_from: str | None
    loaded_at: dt.datetime | None
    counts: dict[str, int]


class MasterLoadedOut(MasterOut):
    rechecked: int = Field(description="Open records re-checked against the new master data.")
