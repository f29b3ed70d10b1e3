"""A company's readiness rules: the integrator's configuration, one file per company.

The model is strict (unknown keys are refused) so that a typo in a rules file is an error with its
line, never a silently ignored setting.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    field_validator,
    model_validator,
)

from acgate.domain.codes import SEVERITY, SPECS, Code, Outcome
from acgate.domain.currencies import CURRENCY_FIX, is_currency
from acgate.domain.documents import DocType
from acgate.domain.posting import OWNABLE_FIELDS
from acgate.domain.values import to_decimal


class Timing(StrEnum):
    IMMEDIATE = "immediate"
    AFTER_DEPENDENCY = "after_dependency"
    BATCH = "batch"
    MANUAL = "manual"


class VersionPolicy(StrEnum):
    UPDATE = "update"
    NEW_DOCUMENT = "new_document"
    BLOCK = "block"
    REVERSE = "reverse"
    REVIEW = "review"


class CancelPolicy(StrEnum):
    REVERSE = "reverse"
    BLOCK = "block"
    REVIEW = "review"


class Numbering(StrEnum):
    """Who chooses the AutoCount document number."""

    SOURCE = "source"  # acgate sets it from the source id: AutoCount's unique DocNo guards it
    AUTOCOUNT = "autocount"  # AutoCount allocates the next number of the type's format


class TargetKind(StrEnum):
    CLOUD = "cloud"
    BRIDGE = "bridge"
    XLSX = "xlsx"


class Table(StrEnum):
    """A mapping table: source code -> AutoCount code."""

    CUSTOMER = "customer"
    SUPPLIER = "supplier"
    ITEM = "item"
    LOCATION = "location"
    TAX = "tax"
    AGENT = "agent"
    PROJECT = "project"
    DEPARTMENT = "department"
    TERMS = "terms"
    UOM = "uom"


_DURATION = re.compile(r"^\s*(\d+)\s*(s|m|h|d|w)\s*$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def _duration(value: Any) -> dt.timedelta:
    if isinstance(value, dt.timedelta):
        return value
    match = _DURATION.match(str(value))
    if not match:
        raise ValueError(f"expected a duration such as 30s, 30m, 72h, 3d or 2w, got {value!r}")
    try:
        return dt.timedelta(**{_UNITS[match[2]]: int(match[1])})
    except OverflowError:
        raise ValueError(f"{value!r} is longer than acgate can count: at most "
                         f"{dt.timedelta.max.days} days") from None


def duration_text(value: dt.timedelta) -> str:
    """A duration as rules files write it, in the largest unit that states it exactly (72h ->
    3d), so that messages quote the rule as the integrator wrote it."""
    minutes = int(value.total_seconds()) // 60
    for unit, size in (("w", 7 * 24 * 60), ("d", 24 * 60), ("h", 60)):
        if minutes and minutes % size == 0:
            return f"{minutes // size}{unit}"
    return f"{minutes}m"


_FRACTION = "a fraction from 0 to 1 such as 0.05, or a percentage such as 5%"


def _fraction(value: Any) -> Decimal:
    # "2%" reads as the integrator says it; a bare number is the fraction (0.02).
    try:
        if isinstance(value, str) and value.strip().endswith("%"):
            number = to_decimal(value.strip().removesuffix("%").strip()) / 100
        else:
            number = to_decimal(value)
    except ValueError:
        raise ValueError(f"expected {_FRACTION}, got {_shown(value)}") from None
    if not 0 <= number <= 1:
        # 5 meant as 5% would let a price six times AutoCount's through; say which is meant.
        raise ValueError(f"expected {_FRACTION}, got {_shown(value)}")
    return number


def _shown(value: object) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, dict | list):
        return "a mapping" if isinstance(value, dict) else "a list"
    return repr(value)


def _code(value: Any) -> str:
    # TOML writes a numeric code unquoted (300 = 300); YAML already gives every code as text.
    # Anything else (nothing, true, 1.5, a list) would become a made-up code such as 'None'.
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if not isinstance(value, str):
        raise ValueError(f"expected a code as text, got {_shown(value)}; write the code in "
                         "quotes")
    if not value.strip():
        raise ValueError("a code is empty; write the code, or remove the entry")
    return value


def _not_blank(value: str) -> str:
    # A blank status word or owner would match nothing (or no one) while looking configured.
    if not value.strip():
        raise ValueError("is empty; write a word, or remove it")
    return value


Duration = Annotated[dt.timedelta, BeforeValidator(_duration)]
Fraction = Annotated[Decimal, BeforeValidator(_fraction)]
MappedCode = Annotated[str, BeforeValidator(_code)]
Word = Annotated[str, AfterValidator(_not_blank)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class StatusWords(_Strict):
    """Source status words of one document type, by what they mean for readiness."""

    ready: list[Word] = Field(default_factory=list)
    waiting: list[Word] = Field(default_factory=list)
    cancelled: list[Word] = Field(default_factory=list)
    exception: list[Word] = Field(default_factory=list)

    @model_validator(mode="after")
    def _each_word_once(self) -> StatusWords:
        seen: dict[str, str] = {}
        for kind in ("ready", "waiting", "cancelled", "exception"):
            for word in getattr(self, kind):
                key = word.strip().casefold()
                if key in seen:
                    where = f"twice in {kind}" if seen[key] == kind else (
                        f"as both {seen[key]} and {kind}")
                    raise ValueError(f"status word {word!r} is listed {where}; keep one")
                seen[key] = kind
        return self

    def meaning(self, word: str) -> str | None:
        """'ready', 'waiting', 'cancelled', 'exception', or None for a word in no list."""
        key = word.strip().casefold()
        for kind in ("ready", "waiting", "cancelled", "exception"):
            if any(key == listed.strip().casefold() for listed in getattr(self, kind)):
                return kind
        return None


class TypeRules(_Strict):
    sync: bool = True
    statuses: StatusWords = Field(default_factory=StatusWords)
    approval_required: bool = False
    timing: Timing = Timing.IMMEDIATE
    schedule: str | None = None
    version_policy: VersionPolicy = VersionPolicy.REVIEW
    cancel_policy: CancelPolicy = CancelPolicy.REVIEW
    max_wait: Duration | None = None
    unique_reference: bool = False
    price_check: bool = False
    max_age_days: int | None = Field(default=None, ge=0)
    numbering: Numbering = Numbering.AUTOCOUNT

    @model_validator(mode="after")
    def _schedule(self) -> TypeRules:
        if self.timing is Timing.BATCH and not self.schedule:
            raise ValueError("timing `batch` needs `schedule`, a cron line such as '0 18 * * *'")
        if self.schedule is not None and self.timing is not Timing.BATCH:
            # Only batch timing reads a schedule; kept silently, the company would believe its
            # documents wait for the window while they sync at once.
            raise ValueError(f"schedule applies only to timing `batch`, not `{self.timing}`; "
                             "set `timing: batch` or remove the schedule")
        if self.schedule is not None:
            problem = _cron_problem(self.schedule)
            if problem:
                raise ValueError(f"schedule {self.schedule!r} {problem}")
        return self


# A cron line has five fields. croniter also takes a sixth and seventh (seconds and year, in that
# order), while Quartz puts seconds first: '0 0 18 * * *' would fire at midnight on the 18th, not
# at 18:00 every day, so extra fields are refused rather than read one way or the other.
_CRON_FIELDS = 5


def _cron_problem(schedule: str) -> str | None:
    """Why a cron line cannot be a batch window, or None when it is one."""
    from croniter import CroniterBadDateError, croniter  # pure computation; no I/O

    fields = schedule.split()
    if not schedule.strip().startswith("@") and len(fields) != _CRON_FIELDS:
        count = f"{len(fields)} field{'s' if len(fields) != 1 else ''}"
        return (f"is not a valid cron line: it has {count}; write the five of one: minute hour "
                "day-of-month month day-of-week, such as '0 18 * * 1-5'")
    if not croniter.is_valid(schedule):
        return "is not a valid cron line (minute hour day-of-month month day-of-week)"
    try:
        # A valid line can still name a day that never comes (30 February); the window would
        # never open and every look for the next one would fail.
        croniter(schedule, dt.datetime(2000, 1, 1)).get_next(dt.datetime)
    except CroniterBadDateError:
        return "never fires (it names a date that does not exist)"
    return None


class Period(_Strict):
    start: dt.date = Field(alias="from")
    end: dt.date = Field(alias="to")

    @model_validator(mode="after")
    def _in_order(self) -> Period:
        # Reversed, the period would cover no day at all and lock nothing.
        if self.start > self.end:
            raise ValueError(f"from {self.start} is after to {self.end}; a period runs from its "
                             "first day to its last")
        return self

    def covers(self, day: dt.date) -> bool:
        return self.start <= day <= self.end


class DateRules(_Strict):
    fiscal_year_start: dt.date | None = None
    fiscal_year_end: dt.date | None = None
    locked_periods: list[Period] = Field(default_factory=list)
    max_age_days: int | None = Field(default=None, ge=0)
    allow_future: bool = False

    @model_validator(mode="after")
    def _consistent(self) -> DateRules:
        start, end = self.fiscal_year_start, self.fiscal_year_end
        if start and end and start > end:
            raise ValueError(f"fiscal_year_end {end} is before fiscal_year_start {start}; "
                             "every date would be outside the fiscal year")
        # Overlapping locked periods are allowed: a year locked and a month in it locked again
        # (say, by two people) is redundant, not wrong, and must not stop the company loading.
        return self


class DuplicateRules(_Strict):
    # rapidfuzz scores run 0-100; 90 catches "Maju Jaya Sdn Bhd" vs "Maju-Jaya S/B" without
    # pairing unrelated companies that share one common word.
    party_name_threshold: float = Field(default=90.0, ge=0, le=100)


class RetryRule(_Strict):
    """How often a sync that could not reach AutoCount is tried again before it is held."""

    first: Duration = dt.timedelta(seconds=30)
    factor: float = Field(default=2.0, ge=1)
    cap: Duration = dt.timedelta(hours=1)
    attempts: int = Field(default=8, ge=1)
    jitter: float = Field(default=0.2, ge=0, le=1)


class AutoCountTarget(_Strict):
    """Where this company's AutoCount book is. Secrets are named by environment variable,
    never written in the rules file."""

    kind: TargetKind = TargetKind.BRIDGE
    base_url: str | None = None
    book: str | None = None  # the Cloud account book id
    key_id_env: str | None = None  # Cloud: Key-ID
    api_key_env: str | None = None  # Cloud: API-Key; bridge: X-API-KEY
    folder: str | None = None  # xlsx: where import workbooks are written
    remark_field: str = Field(default="remark4", pattern=r"^remark[1-4]$")
    timeout: Duration = dt.timedelta(seconds=20)


def _ownable(field: str) -> str:
    # A misspelt field would leave AutoCount's edits to it held while the company believes them
    # accepted, so only fields reconciliation compares are taken.
    if field not in OWNABLE_FIELDS:
        raise ValueError(f"{field!r} is not a field reconciliation compares; use one of "
                         f"{', '.join(sorted(OWNABLE_FIELDS))}")
    return field


class Ownership(_Strict):
    """Which fields AutoCount may change after sync. A difference there is accepted and
    recorded; a difference in any other field is a manual edit held for review."""

    autocount: list[Annotated[str, AfterValidator(_ownable)]] = Field(
        default_factory=lambda: ["description", "agent", "lines.description"])


class CodeOverride(_Strict):
    outcome: Outcome | None = None
    owner: Word | None = None


class Mappings(_Strict):
    """Source code -> AutoCount code, per table. `uom` holds UOM aliases (word -> AutoCount UOM)."""

    identity: list[Table] = Field(default_factory=list)
    customer: dict[str, MappedCode] = Field(default_factory=dict)
    supplier: dict[str, MappedCode] = Field(default_factory=dict)
    item: dict[str, MappedCode] = Field(default_factory=dict)
    location: dict[str, MappedCode] = Field(default_factory=dict)
    tax: dict[str, MappedCode] = Field(default_factory=dict)
    agent: dict[str, MappedCode] = Field(default_factory=dict)
    project: dict[str, MappedCode] = Field(default_factory=dict)
    department: dict[str, MappedCode] = Field(default_factory=dict)
    terms: dict[str, MappedCode] = Field(default_factory=dict)
    uom: dict[str, MappedCode] = Field(default_factory=dict)

    def table(self, table: Table) -> dict[str, str]:
        mapping: dict[str, str] = getattr(self, table.value)
        return mapping


def _home_currency(code: str) -> str:
    if not is_currency(code):
        raise ValueError(f"{code} is not an ISO 4217 currency code; {CURRENCY_FIX}")
    return code


class CompanyRules(_Strict):
    company: str = Field(min_length=1)
    name: str | None = None
    home_currency: Annotated[str, Field(pattern=r"^[A-Z]{3}$"),
                             AfterValidator(_home_currency)] = "MYR"
    timezone: str = "Asia/Kuala_Lumpur"
    default_location: str | None = None
    price_tolerance: Fraction = Decimal("0.05")
    max_wait: Duration = dt.timedelta(hours=72)
    dates: DateRules = Field(default_factory=DateRules)
    duplicates: DuplicateRules = Field(default_factory=DuplicateRules)
    types: dict[DocType, TypeRules] = Field(default_factory=dict)
    mappings: Mappings = Field(default_factory=Mappings)
    codes: dict[Code, CodeOverride] = Field(default_factory=dict)
    autocount: AutoCountTarget = Field(default_factory=AutoCountTarget)
    retry: RetryRule = Field(default_factory=RetryRule)
    ownership: Ownership = Field(default_factory=Ownership)

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(
                f"unknown time zone {value!r}; use an IANA name such as Asia/Kuala_Lumpur"
            ) from None
        return value

    @field_validator("mappings")
    @classmethod
    def _one_meaning_per_word(cls, value: Mappings) -> Mappings:
        # Checked on the file, not in Mappings: a person's `acgate map` may later override an
        # alias of the file on purpose, and the later entry wins there.
        for table in Table:
            if any(not source.strip() for source in value.table(table)):
                raise ValueError(f"{table.value}: a source code is empty; write it, or remove "
                                 "the entry")
        first: dict[str, str] = {}
        for word, uom in value.uom.items():
            key = word.strip().casefold()
            if key in first and value.uom[first[key]] != uom:
                # UOM words are matched trimmed and ignoring case: only one of them could apply.
                raise ValueError(
                    f"uom: aliases {first[key]!r} and {word!r} are the same word (case and "
                    f"surrounding spaces are ignored) but name different UOMs, "
                    f"{value.uom[first[key]]} and {uom}; keep one")
            first.setdefault(key, word)
        return value

    @field_validator("codes")
    @classmethod
    def _within_limits(cls, value: dict[Code, CodeOverride]) -> dict[Code, CodeOverride]:
        for code, override in value.items():
            spec = SPECS[code]
            if override.outcome is None:
                continue
            if override.outcome not in (Outcome.HELD, Outcome.WAITING, Outcome.READY):
                raise ValueError(f"{code}: a finding's outcome is held, waiting or ready")
            if spec.by_policy:
                raise ValueError(
                    f"{code}: its outcome comes from the type's policy; set that instead")
            if spec.firm and SEVERITY[override.outcome] < SEVERITY[spec.outcome]:
                raise ValueError(f"{code}: it is at least {spec.outcome.value} in every company: "
                                 "the cause must be fixed, not waived")
        return value

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def for_type(self, doc_type: DocType) -> TypeRules:
        return self.types.get(doc_type) or _DEFAULT_TYPE

    def outcome_of(self, code: Code) -> Outcome:
        override = self.codes.get(code)
        return override.outcome if override and override.outcome else SPECS[code].outcome

    def owner_of(self, code: Code) -> str:
        override = self.codes.get(code)
        return override.owner if override and override.owner else SPECS[code].owner.value

    def max_wait_of(self, doc_type: DocType) -> dt.timedelta:
        return self.for_type(doc_type).max_wait or self.max_wait

    def with_mappings(self, extra: dict[Table, dict[str, str]]) -> CompanyRules:
        """These rules with mappings added at run time (by people, through `acgate map`)."""
        if not any(extra.values()):
            return self
        tables = {t.value: {**self.mappings.table(t), **extra.get(t, {})} for t in Table}
        merged = Mappings(identity=self.mappings.identity, **tables)
        return self.model_copy(update={"mappings": merged})


_DEFAULT_TYPE = TypeRules()
