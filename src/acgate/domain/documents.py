"""The canonical source document of contract/documents.md, validated exactly.

A document is parsed from a plain mapping (whatever reader produced it) into one of three models:
a trade document, a party (customer or supplier) or an item. Parsing never raises for bad input;
it returns the problems as `FieldProblem`s that name the path and the fix.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any, Literal, NamedTuple, get_args

import orjson
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from acgate.domain.currencies import CURRENCY_FIX, is_currency
from acgate.domain.values import (
    canonical_decimal,
    canonical_instant,
    to_date,
    to_decimal,
    to_instant,
)


class DocType(StrEnum):
    CUSTOMER = "customer"
    SUPPLIER = "supplier"
    ITEM = "item"
    SALES_ORDER = "sales_order"
    DELIVERY_ORDER = "delivery_order"
    SALES_INVOICE = "sales_invoice"
    CASH_SALE = "cash_sale"
    CREDIT_NOTE = "credit_note"
    DEBIT_NOTE = "debit_note"
    PURCHASE_REQUEST = "purchase_request"
    PURCHASE_ORDER = "purchase_order"
    GOODS_RECEIVED = "goods_received"
    PURCHASE_INVOICE = "purchase_invoice"


def _not_bool(value: Any) -> Any:
    # Lax integer parsing reads JSON true as 1: a version or line number must be a number.
    if isinstance(value, bool):
        raise ValueError(f"expected a whole number, got {str(value).lower()}")
    return value


# Version and line numbers are stored as SQL integers, 32-bit on PostgreSQL. The bound comes
# before the validator so that pydantic checks it natively (after it, it is a Python call).
MAX_NUMBER = 2**31 - 1
Number = Annotated[int, Field(le=MAX_NUMBER), BeforeValidator(_not_bool)]

PARTY_TYPES = frozenset({DocType.CUSTOMER, DocType.SUPPLIER})
MASTER_TYPES = PARTY_TYPES | {DocType.ITEM}
TRADE_TYPES = frozenset(DocType) - MASTER_TYPES
PURCHASE_TYPES = frozenset(
    {DocType.PURCHASE_REQUEST, DocType.PURCHASE_ORDER, DocType.GOODS_RECEIVED,
     DocType.PURCHASE_INVOICE}
)
SALES_TYPES = TRADE_TYPES - PURCHASE_TYPES
PRICE_OPTIONAL = frozenset(
    {DocType.DELIVERY_ORDER, DocType.GOODS_RECEIVED, DocType.PURCHASE_REQUEST}
)


def party_kind(doc_type: DocType) -> Literal["customer", "supplier"]:
    """Which AutoCount party book a document's party belongs to: debtors or creditors."""
    if doc_type in PURCHASE_TYPES or doc_type is DocType.SUPPLIER:
        return "supplier"
    return "customer"


class Identity(NamedTuple):
    source: str
    type: DocType
    id: str

    def __str__(self) -> str:
        return f"{self.source}/{self.type.value}/{self.id}"

    @classmethod
    def parse(cls, text: str) -> Identity:
        """Read `source/type/id`; the id may itself contain slashes."""
        parts = text.split("/", 2)
        if len(parts) != 3 or not all(parts):
            raise ValueError(f"{text!r} is not a document reference of the form source/type/id")
        return cls(parts[0], DocType(parts[1]), parts[2])


# A line's qty x unit_price is rounded to the cent within the 28 digits decimal arithmetic keeps
# (Python's default context, and about what AutoCount's .NET decimal holds): 12 digits before the
# point for each keeps that exact, far beyond any real quantity, price, rate or total, where a
# larger value would overflow the checks of the whole batch.
MAX_DIGITS_BEFORE_POINT = 12
_DECIMAL_LIMIT = Decimal(10) ** MAX_DIGITS_BEFORE_POINT


# How many spellings of numbers each decimal validator remembers: far more than the quantities
# and prices a delivery repeats, few enough that ever-new ones cannot grow it without bound.
MAX_REMEMBERED_NUMBERS = 20_000


def _remembered(check: Callable[[Any], Decimal]) -> Callable[[Any], Decimal]:
    """`check`, answering each text it accepted before from memory.

    The same few quantities and prices ("1", "240.00") arrive on line after line. A decimal is
    immutable, so one made from the same text can stand in every document; and its hash, which
    the serializer's and the checks' caches ask for, is then worked out once. A refused text
    raises again each time (it is not remembered), and values other than text are not kept.
    """
    known: dict[str, Decimal] = {}

    def checked(value: Any) -> Decimal:
        if type(value) is not str:
            return check(value)
        number = known.get(value)
        if number is None:
            number = check(value)
            if len(known) < MAX_REMEMBERED_NUMBERS:
                known[value] = number
        return number

    return checked


@_remembered
def _decimal(value: Any) -> Decimal:
    number = to_decimal(value)
    if not -_DECIMAL_LIMIT < number < _DECIMAL_LIMIT:
        raise _too_large(number)
    return number


def _too_large(number: Decimal) -> ValueError:
    return ValueError(f"{number} is too large; expected a decimal of at most "
                      f"{MAX_DIGITS_BEFORE_POINT} digits before the point")


Dec = Annotated[
    Decimal, BeforeValidator(_decimal), PlainSerializer(canonical_decimal, return_type=str)
]


# Each checks its range in one comparison when the value is good: lines are validated by the
# hundred thousand.
@_remembered
def _positive(value: Any) -> Decimal:
    number = to_decimal(value)
    if not 0 < number < _DECIMAL_LIMIT:
        if number > 0:
            raise _too_large(number)
        raise ValueError(f"expected a decimal greater than 0, got {canonical_decimal(number)}")
    return number


@_remembered
def _price(value: Any) -> Decimal:
    number = to_decimal(value)
    if not 0 <= number < _DECIMAL_LIMIT:
        if number > 0:
            raise _too_large(number)
        raise ValueError(f"expected a price of 0 or more, got {canonical_decimal(number)}")
    return number


PositiveDec = Annotated[
    Decimal, BeforeValidator(_positive), PlainSerializer(canonical_decimal, return_type=str)
]
PriceDec = Annotated[
    Decimal, BeforeValidator(_price), PlainSerializer(canonical_decimal, return_type=str)
]
Day = Annotated[dt.date, BeforeValidator(to_date)]
Instant = Annotated[
    dt.datetime, BeforeValidator(to_instant), PlainSerializer(canonical_instant, return_type=str)
]
Text = Annotated[str, Field(min_length=1)]
# An empty optional field means absent, as an empty spreadsheet cell does.
OptText = Annotated[str | None, AfterValidator(lambda v: v or None)]


def _known_currency(code: str | None) -> str | None:
    if code is not None and not is_currency(code):
        raise PydanticCustomError("currency_unknown",
                                  "{code} is not an ISO 4217 currency code", {"code": code})
    return code


CurrencyCode = Annotated[str | None, Field(pattern=r"^[A-Z]{3}$"),
                         AfterValidator(_known_currency)]


@dataclass(frozen=True, slots=True)
class Discount:
    """A line discount: an amount, or a percent of qty x unit_price."""

    value: Decimal
    percent: bool

    def amount(self, gross: Decimal) -> Decimal:
        return gross * self.value / 100 if self.percent else self.value

    def __str__(self) -> str:
        return canonical_decimal(self.value) + ("%" if self.percent else "")


def _discount(value: Any) -> Discount:
    if isinstance(value, Discount):
        return value
    if isinstance(value, str) and value.strip().endswith("%"):
        number = _decimal(value.strip()[:-1])
        percent = True
    else:
        number = _decimal(value)
        percent = False
    if number < 0 or (percent and number > 100):
        raise ValueError(
            f"expected an amount >= 0 or a percent 0-100% such as \"5%\", got {value!r}")
    return Discount(number, percent)


DiscountValue = Annotated[
    Discount, BeforeValidator(_discount), PlainSerializer(str, return_type=str)
]


class _Model(BaseModel):
    # Spreadsheet cells give numbers where a code was meant (item 1001): codes are text.
    model_config = ConfigDict(extra="ignore", frozen=True, str_strip_whitespace=True,
                              coerce_numbers_to_str=True)


class Approval(_Model):
    by: Text
    at: Instant
    version: Number = Field(ge=1)


class Party(_Model):
    code: Text
    name: OptText = None
    tin: OptText = None
    brn: OptText = None
    email: OptText = None
    phone: OptText = None
    address: OptText = None


class DocRef(_Model):
    type: DocType
    id: Text
    source: OptText = None


class LineRef(DocRef):
    line: Number


class Line(_Model):
    line: Number
    item: Text
    description: OptText = None
    uom: Text
    qty: PositiveDec
    unit_price: PriceDec | None = None
    uom_rate: PositiveDec | None = None
    discount: DiscountValue | None = None
    tax_code: OptText = None
    location: OptText = None
    based_on_line: LineRef | None = None


class Totals(_Model):
    subtotal: Dec | None = None
    tax: Dec | None = None
    total: Dec | None = None


class Envelope(_Model):
    source: Text
    type: DocType
    id: Text
    version: Number | None = Field(default=None, ge=1)
    updated_at: Instant | None = None
    status: Text
    approval: Approval | None = None
    company: OptText = None

    @model_validator(mode="after")
    def _ordered(self) -> Envelope:
        if self.version is None and self.updated_at is None:
            raise ValueError(
                "version: needs `version` (an integer >= 1) or `updated_at` (RFC 3339 with "
                "offset) so that its versions can be ordered"
            )
        return self

    @property
    def identity(self) -> Identity:
        return Identity(self.source, self.type, self.id)


class TradeDocument(Envelope):
    date: Day
    party: Party
    currency: CurrencyCode = None
    currency_rate: Dec | None = None
    reference: OptText = None
    branch: OptText = None
    agent: OptText = None
    project: OptText = None
    department: OptText = None
    terms: OptText = None
    based_on: list[DocRef] = Field(default_factory=list)
    lines: list[Line] = Field(min_length=1)
    totals: Totals | None = None
    notes: str | None = None

    @model_validator(mode="after")
    def _lines_consistent(self) -> TradeDocument:
        seen: set[int] = set()
        for index, line in enumerate(self.lines):
            if line.line in seen:
                raise ValueError(f"lines[{index}].line: line number {line.line} is used twice")
            seen.add(line.line)
            if line.unit_price is None and self.type not in PRICE_OPTIONAL:
                raise ValueError(
                    f"lines[{index}].unit_price: required for a {self.type.value}; "
                    "send the price per uom as a string such as \"12.50\""
                )
        if self.currency_rate is not None and self.currency_rate <= 0:
            raise ValueError("currency_rate: expected a rate greater than 0")
        return self


class PartyDocument(Envelope, Party):
    """A customer or supplier as the source describes it: the party fields at the top level."""

    currency: CurrencyCode = None
    terms: OptText = None
    tax_code: OptText = None


class ItemUom(_Model):
    uom: Text
    rate: Dec

    @field_validator("rate")
    @classmethod
    def _positive(cls, value: Decimal) -> Decimal:
        if value <= 0:
            raise ValueError(f"expected a rate greater than 0, got {canonical_decimal(value)}")
        return value


class ItemDocument(Envelope):
    code: Text
    description: OptText = None
    base_uom: OptText = None
    uoms: list[ItemUom] = Field(default_factory=list)
    tax_code: OptText = None
    active: bool = True


Document = TradeDocument | PartyDocument | ItemDocument


@dataclass(frozen=True, slots=True)
class FieldProblem:
    """One way a payload breaks the contract: where, what is wrong, and how to fix it."""

    path: str
    problem: str
    fix: str
    value: str | None = None  # what was sent there, when it was one value

    def __str__(self) -> str:
        return f"{self.path}: {self.problem} ({self.fix})" if self.path else self.problem

    def as_dict(self) -> dict[str, str | None]:
        return {"field": self.path, "problem": self.problem, "fix": self.fix,
                "value": self.value}


def field_path(loc: tuple[int | str, ...]) -> str:
    """('lines', 2, 'qty') -> 'lines[2].qty'."""
    text = ""
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += ("." if text else "") + part
    return text


_FIXES = {
    "missing": "add the field",
    "enum": "use one of the listed values",
    "int_parsing": "send a whole number",
    "int_type": "send a whole number",
    "greater_than_equal": "send a larger number",
    "too_short": "send at least one entry",
    "string_pattern_mismatch": CURRENCY_FIX,
    "currency_unknown": CURRENCY_FIX,
    "list_type": "send a list",
    "model_type": "send an object with the listed fields",
    "bool_parsing": "send true or false",
}


def _problems(error: ValidationError) -> list[FieldProblem]:
    problems = []
    for item in error.errors(include_url=False):
        loc = tuple(part for part in item["loc"] if not _is_union_tag(part))
        message = str(item["msg"]).removeprefix("Value error, ")
        path = field_path(loc)
        if not path and ":" in message.split(" ")[0]:
            path, _, message = message.partition(": ")
        fix = _FIXES.get(item["type"], "correct the value as the contract describes")
        if item["type"] == "enum":
            fix = "use one of: " + ", ".join(t.value for t in DocType)
        problems.append(FieldProblem(path, message, fix, _sent(item.get("input"))))
    return problems


def _sent(value: Any) -> str | None:
    """A refused value as text for the trace (`2026-11-31`), unless it is a whole object."""
    if value is None or isinstance(value, dict | list | tuple | BaseModel):
        return None
    text = str(value)
    return text if len(text) <= 200 else text[:199] + "…"


def _is_union_tag(part: int | str) -> bool:
    return isinstance(part, str) and (part.startswith("function-") or "[" in part)


def _paths(model: type[BaseModel], prefix: str = "") -> Iterator[str]:
    for name, info in model.model_fields.items():
        nested = [arg for arg in _flat_args(info.annotation)
                  if isinstance(arg, type) and issubclass(arg, BaseModel)]
        if nested:
            for inner in nested:
                yield from _paths(inner, f"{prefix}{name}.")
        else:
            yield f"{prefix}{name}"


def _flat_args(annotation: Any) -> Iterator[Any]:
    args = get_args(annotation)
    if not args:
        yield annotation
    for arg in args:
        yield from _flat_args(arg)


# Every field a document of any type may carry, by its dotted path (`party.code`, `lines.qty`),
# as tables name their columns.
FIELD_PATHS = frozenset(
    path for model in (TradeDocument, PartyDocument, ItemDocument) for path in _paths(model))


_MODEL_BY_TYPE: dict[DocType, type[TradeDocument | PartyDocument | ItemDocument]] = {
    DocType.CUSTOMER: PartyDocument,
    DocType.SUPPLIER: PartyDocument,
    DocType.ITEM: ItemDocument,
    **{doc_type: TradeDocument for doc_type in TRADE_TYPES},
}
# The type a payload names, by its text: what DocType(text) finds, at a dict's cost rather
# than the enum call's (every payload is looked up twice).
_DOC_TYPES: dict[str, DocType] = {doc_type.value: doc_type for doc_type in DocType}


def _doc_type(payload: Mapping[str, Any]) -> DocType | None:
    return _DOC_TYPES.get(str(payload.get("type", "")).strip())


def parse_document(payload: Mapping[str, Any]) -> Document | list[FieldProblem]:
    """Validate a payload against the canonical contract."""
    if not isinstance(payload, Mapping):
        return [FieldProblem("", "expected a JSON object for each document", "send one object")]
    doc_type = _doc_type(payload)
    if doc_type is None:
        envelope_problems = _envelope_problems(payload)
        return envelope_problems or [
            FieldProblem("type", f"unknown document type {payload.get('type')!r}",
                         "use one of: " + ", ".join(t.value for t in DocType))
        ]
    model = _MODEL_BY_TYPE[doc_type]
    try:
        # What model_validate does with no options, without its Python wrapper around it.
        parsed: Document = model.__pydantic_validator__.validate_python(payload)
    except ValidationError as error:
        return _problems(error)
    return parsed


def _envelope_problems(payload: Mapping[str, Any]) -> list[FieldProblem]:
    try:
        Envelope.model_validate(payload)
    except ValidationError as error:
        return _problems(error)
    return []


def raw_identity(payload: Any) -> Identity | None:
    """The identity of a payload that may break the contract, when its envelope names one."""
    if not isinstance(payload, Mapping):
        return None
    source, doc_id = payload.get("source"), payload.get("id")
    doc_type = _doc_type(payload)
    if doc_type is None:
        return None
    if isinstance(source, str) and source.strip() and isinstance(doc_id, str | int) \
            and str(doc_id).strip() and not isinstance(doc_id, bool):
        return Identity(source.strip(), doc_type, str(doc_id).strip())
    return None


def status_as_sent(payload: Any) -> str | None:
    """The status word of a payload that may break the contract, when it gives one as text: the
    trace shows the status of every version received, a refused one's too."""
    status = payload.get("status") if isinstance(payload, Mapping) else None
    return status.strip() or None if isinstance(status, str) else None


def canonical_json(document: Document) -> dict[str, Any]:
    """The parsed content in one spelling: key order, spacing and number spelling do not matter."""
    # What model_dump(mode="json", exclude_none=True) does, without its Python wrapper around
    # the serializer: this runs for every document received.
    content: dict[str, Any] = document.__pydantic_serializer__.to_python(
        document, mode="json", exclude_none=True)
    return content


def content_hash(document: Document) -> str:
    """The fingerprint of a version's parsed content: a redelivery has the same one."""
    return hashlib.sha256(
        orjson.dumps(canonical_json(document), option=orjson.OPT_SORT_KEYS)).hexdigest()
