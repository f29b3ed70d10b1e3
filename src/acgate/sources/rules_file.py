"""Company rules files: YAML or TOML in a workspace's `rules/` folder, loaded strictly and
explained.

A rules file is written by hand, so every problem is reported where the integrator can fix it: the
file, the line, the key path (`types.sales_order.timing`) and what was expected. Line numbers come
from the YAML node tree, or from the key lines and table headers of a TOML file, walked along the
location of each validation error.
"""

from __future__ import annotations

import datetime as dt
import difflib
import json
import re
import tomllib
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any, get_args, get_origin

import yaml
from pydantic import BaseModel, ValidationError
from pydantic.fields import FieldInfo
from pydantic_core import ErrorDetails
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from acgate.domain.codes import SPECS, Code, Gap, Outcome
from acgate.domain.documents import MASTER_TYPES, DocType
from acgate.domain.rules import CompanyRules, Table, TypeRules, duration_text

_NULL_TAG = "tag:yaml.org,2002:null"
_BOOL_TAG = "tag:yaml.org,2002:bool"
_MERGE_TAG = "tag:yaml.org,2002:merge"
# Beyond this many allowed values a message names the closest one instead of listing them all.
_MAX_LISTED = 15

_Loc = tuple[str | int, ...]
# Where a key path is written: the line of the key (or of its nearest parent in the file) and
# whether the file has that very key.
_Where = Callable[[_Loc], tuple[int | None, bool]]

# A workspace's rules files, by suffix; anything else in rules/ (notes, backups) is not read.
RULES_SUFFIXES = (".yaml", ".yml", ".toml")


@dataclass(frozen=True, slots=True)
class RulesProblem:
    """One thing wrong with a rules file: where it is and what was expected."""

    file: Path
    line: int | None
    key: str
    message: str

    def __str__(self) -> str:
        where = str(self.file) if self.line is None else f"{self.file} line {self.line}"
        return f"{where}, {self.key}: {self.message}" if self.key else f"{where}: {self.message}"


class RulesFileError(Exception):
    """A rules file (or a folder of them) that cannot be used; `errors` lists every problem."""

    def __init__(self, errors: Sequence[RulesProblem]) -> None:
        if not errors:
            raise ValueError("a RulesFileError needs at least one problem")
        self.errors: tuple[RulesProblem, ...] = tuple(errors)
        super().__init__(str(self))

    def __str__(self) -> str:
        first = str(self.errors[0])
        others = len(self.errors) - 1
        if others:
            return f"{first} (and {others} more problem{'s' if others > 1 else ''})"
        return first


class _RulesLoader(yaml.SafeLoader):
    """YAML that stays text: only null, true/false and merge keys are resolved.

    YAML 1.1 would turn the status word `no` into false, the mapping code `007` into 7 and
    `1.50` into 1.5; the model converts the values it needs (numbers, dates, booleans) itself, so
    everything else keeps the spelling the integrator wrote. Keys are always their text.
    """

    def construct_mapping(self, node: MappingNode, deep: bool = False) -> dict[Hashable, Any]:
        self.flatten_mapping(node)
        # Keys were checked to be non-empty scalars before construction; a later duplicate
        # (only possible through a `<<` merge) overrides, as YAML merges intend.
        return {
            str(key.value): self.construct_object(value, deep=deep) for key, value in node.value
        }


# A fresh table, not SafeLoader's: only the resolvers added here apply.
_RulesLoader.yaml_implicit_resolvers = {}
_RulesLoader.add_implicit_resolver(
    _NULL_TAG, re.compile(r"^(?:~|null|Null|NULL|)$"), ["~", "n", "N", ""]
)
_RulesLoader.add_implicit_resolver(
    _BOOL_TAG, re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)
_RulesLoader.add_implicit_resolver(_MERGE_TAG, re.compile(r"^(?:<<)$"), ["<"])


@dataclass(frozen=True, slots=True)
class _Parsed:
    rules: CompanyRules
    where: _Where


def load_rules(path: Path) -> CompanyRules:
    """Read and validate one company's rules file; raise `RulesFileError` naming every problem.

    A `.toml` file is read as TOML, any other as YAML. `company` defaults to the file's stem, so
    `rules/acme.yaml` describes company `acme`.
    """
    return _parse(path).rules


def load_rules_dir(directory: Path) -> dict[str, CompanyRules]:
    """Load every `*.yaml`/`*.yml`/`*.toml` in a workspace's `rules/` folder, by company id.

    All files are read before anything is refused, so one run reports every bad file; two files
    declaring the same company are refused, as it would be unclear which one rules.
    """
    if not directory.is_dir():
        raise RulesFileError([RulesProblem(directory, None, "", "is not a folder of rules files")])
    files = sorted(
        path
        for path in directory.iterdir()
        # Dot files are editor backups and lock files, not rules someone meant to apply.
        if path.suffix.lower() in RULES_SUFFIXES and not path.name.startswith(".")
        and path.is_file()
    )
    loaded: dict[str, tuple[Path, CompanyRules]] = {}
    problems: list[RulesProblem] = []
    for path in files:
        try:
            parsed = _parse(path)
        except RulesFileError as exc:
            problems.extend(exc.errors)
            continue
        company = parsed.rules.company
        if company in loaded:
            line, written = parsed.where(("company",))
            origin = "" if written else " (from its file name, as it sets no `company`)"
            problems.append(
                RulesProblem(
                    path,
                    line if written else None,
                    "company",
                    f"company {company!r}{origin} is already declared by {loaded[company][0]}; "
                    "keep one rules file per company",
                )
            )
            continue
        loaded[company] = (path, parsed.rules)
    if problems:
        raise RulesFileError(problems)
    return {company: rules for company, (_, rules) in loaded.items()}


def sample_rules_text() -> str:
    """The commented sample rules file that `acgate init` writes into a new workspace."""
    sample = resources.files("acgate.sources").joinpath("sample_rules.yaml")
    return sample.read_text(encoding="utf-8")


# --- reading ------------------------------------------------------------------------------------


def _parse(path: Path) -> _Parsed:
    text = _read_text(path)
    read = _read_toml if path.suffix.lower() == ".toml" else _read_yaml
    data, where = read(path, text)
    if not isinstance(data, dict):
        line, _ = where(())
        expected = f"expected settings as `key: value` lines, got {_shown(data)}"
        raise RulesFileError([RulesProblem(path, line, "", expected)])
    try:
        rules = CompanyRules.model_validate({"company": path.stem, **data})
    except ValidationError as exc:
        problems = [_problem(path, where, error) for error in exc.errors(include_url=False)]
        raise RulesFileError(sorted(problems, key=lambda p: p.line or 0)) from None
    return _Parsed(rules, where)


def _read_yaml(path: Path, text: str) -> tuple[Any, _Where]:
    loader = _RulesLoader(text)
    try:
        root = loader.get_single_node()
        if root is not None:
            key_problems = _key_problems(path, root)
            if key_problems:
                raise RulesFileError(key_problems)
        data: Any = {} if root is None else loader.construct_document(root)
    except yaml.YAMLError as exc:
        raise RulesFileError([_yaml_problem(path, text, exc)]) from None
    finally:
        loader.dispose()

    def where(loc: _Loc) -> tuple[int | None, bool]:
        line, node = _locate(root, loc)
        return line, node is not None

    return data, where


# A TOML key: bare, "basic" or 'literal'; dotted keys join several with dots.
_TOML_KEY = r"""(?:[A-Za-z0-9_-]+|"(?:[^"\\]|\\.)*"|'[^']*')"""
_TOML_DOTTED = rf"{_TOML_KEY}(?:\s*\.\s*{_TOML_KEY})*"
_TOML_TABLE = re.compile(rf"\s*(\[\[?)\s*({_TOML_DOTTED})\s*\]")
_TOML_ASSIGN = re.compile(rf"\s*({_TOML_DOTTED})\s*=")
_TOML_AT = re.compile(r"\s*\(at line (\d+), column \d+\)$|\s*\(at end of document\)$")


def _read_toml(path: Path, text: str) -> tuple[Any, _Where]:
    lines, by_line = _toml_key_lines(text)

    def where(loc: _Loc) -> tuple[int | None, bool]:
        # The key itself, else its nearest parent written in the file (an inline table or
        # array gives its keys no lines of their own).
        for size in range(len(loc), -1, -1):
            if loc[:size] in lines:
                return lines[loc[:size]], size == len(loc)
        return None, False

    try:
        return tomllib.loads(text), where
    except tomllib.TOMLDecodeError as exc:
        message = str(exc)
        at = _TOML_AT.search(message)
        line = int(at[1]) if at and at[1] else None
        message = message[: at.start()] if at else message
        written = by_line.get(line, ()) if line else ()
        if "overwrite" in message or "declare" in message:
            first = lines.get(written) if written else None
            message += f" (first on line {first})" if first and first != line else ""
            message += "; a key or table is given twice, keep one"
        elif message == "Invalid value":
            message += "; text goes in quotes, such as \"immediate\""
        key = _key_path(written)
        raise RulesFileError([RulesProblem(path, line, key, f"TOML syntax: {message}")]) from None


def _toml_key_lines(text: str) -> tuple[dict[_Loc, int], dict[int, _Loc]]:
    """The line of every key path a TOML text writes (tables, arrays of tables, keys), and the
    key path written on each line. tomllib keeps no positions, so the lines are read here."""
    lines: dict[_Loc, int] = {(): 1}
    by_line: dict[int, _Loc] = {}
    tables: dict[_Loc, int] = {}  # array-of-tables path -> how many entries so far
    current: _Loc = ()
    in_string = False

    def indexed(parts: tuple[str, ...]) -> _Loc:
        # `[a.b]` after `[[a]]` is a table of the last entry of array `a`.
        path: _Loc = ()
        for part in parts:
            path = (*path, part)
            if path in tables:
                path = (*path, tables[path] - 1)
        return path

    def note(path: _Loc, number: int) -> None:
        for size in range(1, len(path) + 1):
            lines.setdefault(path[:size], number)
        by_line[number] = path

    for number, line in enumerate(text.splitlines(), start=1):
        starts_in_string = in_string
        # A multi-line string opens and closes with triple quotes; its lines hold no keys.
        if (line.count('"""') + line.count("\'\'\'")) % 2:
            in_string = not in_string
        if starts_in_string:
            continue
        if table := _TOML_TABLE.match(line):
            parts = _toml_parts(table[2])
            if table[1] == "[[":
                parent = (*indexed(parts[:-1]), parts[-1])
                tables[parent] = tables.get(parent, 0) + 1
                current = (*parent, tables[parent] - 1)
            else:
                current = indexed(parts)
            note(current, number)
        elif assign := _TOML_ASSIGN.match(line):
            note((*current, *_toml_parts(assign[1])), number)
    return lines, by_line


def _toml_parts(dotted: str) -> tuple[str, ...]:
    parts = re.findall(_TOML_KEY, dotted)
    return tuple(
        json.loads(part) if part.startswith('"') else part.strip("'") for part in parts
    )


def _read_text(path: Path) -> str:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise RulesFileError([RulesProblem(path, None, "", f"cannot be read: {reason}")]) from None
    try:
        # Windows editors often save UTF-8 with a byte-order mark; it is not part of the text.
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        raise RulesFileError(
            [RulesProblem(path, line, "", "is not UTF-8 text; save the file as UTF-8")]
        ) from None


def _yaml_problem(path: Path, text: str, exc: yaml.YAMLError) -> RulesProblem:
    if isinstance(exc, yaml.MarkedYAMLError):
        mark = exc.problem_mark or exc.context_mark
        message = exc.problem or exc.context or "not valid YAML"
        if "'\\t'" in message:
            # PyYAML names the tab but not the fix; editors often insert tabs unseen.
            message = "a tab character; YAML indents with spaces only, replace the tab by spaces"
        if exc.context and exc.context_mark and mark is not exc.context_mark:
            message += f" ({exc.context} on line {exc.context_mark.line + 1})"
        return RulesProblem(path, mark.line + 1 if mark else None, "", f"YAML syntax: {message}")
    if isinstance(exc, yaml.reader.ReaderError):
        line = text.count("\n", 0, exc.position) + 1
        return RulesProblem(path, line, "", f"YAML syntax: {exc.reason}")
    return RulesProblem(path, None, "", f"YAML syntax: {exc}")


def _key_problems(path: Path, root: Node) -> list[RulesProblem]:
    """Keys that are not plain text, or given twice: YAML would keep only the last silently."""
    problems: list[RulesProblem] = []
    # Anchors let one node appear under several parents; check it once.
    seen: set[int] = set()

    def walk(node: Node, where: _Loc) -> None:
        if id(node) in seen:
            return
        seen.add(id(node))
        if isinstance(node, SequenceNode):
            for index, item in enumerate(node.value):
                walk(item, (*where, index))
        if not isinstance(node, MappingNode):
            return
        first_line: dict[str, int] = {}
        for key, value in node.value:
            line = key.start_mark.line + 1
            if key.tag == _MERGE_TAG:
                walk(value, where)
                continue
            if not isinstance(key, ScalarNode):
                message = "a key must be a word, not a list or mapping"
                problems.append(RulesProblem(path, line, _key_path(where), message))
                continue
            if key.tag == _NULL_TAG or not str(key.value).strip():
                problems.append(RulesProblem(path, line, _key_path(where), "a key is empty"))
                continue
            name = str(key.value)
            if name in first_line:
                problems.append(
                    RulesProblem(
                        path,
                        line,
                        _key_path((*where, name)),
                        f"is given twice (first on line {first_line[name]}); keep one",
                    )
                )
            else:
                first_line[name] = line
            walk(value, (*where, name))

    walk(root, ())
    return problems


# --- locating and describing validation errors --------------------------------------------------


def _problem(path: Path, where: _Where, error: ErrorDetails) -> RulesProblem:
    loc: _Loc = tuple(part for part in error["loc"] if part != "[key]")
    line, _ = where(loc)
    message = _describe(error, loc)
    if error["type"] == "value_error":
        # The model's own validators report on a whole mapping but name the offending key first
        # ("PARTIAL_DELIVERY: ...", "schedule '...' is not a valid cron line"); point at that key.
        first = re.match(r"([\w.-]+):?(\s|$)", message)
        child = first[1] if first else ""
        child_line, written = where((*loc, child))
        if child and written:
            loc, line = (*loc, child), child_line
            message = message.removeprefix(f"{child}: ")
    return RulesProblem(path, line, _key_path(loc), message)


def _locate(root: Node | None, loc: _Loc) -> tuple[int | None, Node | None]:
    """The line (1-based) of the key at `loc` and its value node; if the file lacks that key, the
    line of its nearest parent and no node."""
    if root is None:
        return None, None
    node, line = root, root.start_mark.line + 1
    for part in loc:
        step = _step(node, part)
        if step is None:
            return line, None
        line, node = step
    return line, node


def _step(node: Node, part: str | int) -> tuple[int, Node] | None:
    if isinstance(node, MappingNode):
        # Search from the end: after a `<<` merge the node's own keys come last and win.
        for key, value in reversed(node.value):
            if isinstance(key, ScalarNode) and key.value == str(part):
                return key.start_mark.line + 1, value
    if isinstance(node, SequenceNode) and isinstance(part, int) and 0 <= part < len(node.value):
        item: Node = node.value[part]
        return item.start_mark.line + 1, item
    return None


def _key_path(loc: _Loc) -> str:
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


_EXPECTED = {
    "bool_parsing": "true or false",
    "bool_type": "true or false",
    "int_parsing": "a whole number",
    "int_type": "a whole number",
    "int_from_float": "a whole number",
    "float_parsing": "a number",
    "float_type": "a number",
    "string_type": "text",
    "list_type": "a list (`- item` lines or [a, b])",
    "dict_type": "a mapping (`key: value` lines)",
    "model_type": "a mapping (`key: value` lines)",
    "date_parsing": "a date as YYYY-MM-DD",
    "date_type": "a date as YYYY-MM-DD",
    "date_from_datetime_parsing": "a date as YYYY-MM-DD",
    "date_from_datetime_inexact": "a date as YYYY-MM-DD",
}


def _describe(error: ErrorDetails, loc: _Loc) -> str:
    kind, value, ctx = error["type"], error["input"], error.get("ctx", {})
    if kind == "value_error":
        return str(ctx.get("error", error["msg"]))
    if kind == "missing":
        return "is required but missing"
    if kind == "extra_forbidden":
        name, allowed = str(loc[-1]), _keys_at(loc[:-1])
        listing = f"; keys here: {', '.join(allowed)}" if allowed else ""
        return f"unknown key {name!r}{_did_you_mean(name, allowed)}{listing}"
    if kind == "enum":
        options = re.findall(r"'([^']*)'", str(ctx.get("expected", "")))
        hint = _did_you_mean(str(value), options)
        if len(options) > _MAX_LISTED:
            return f"{_shown(value)} is not one of the {len(options)} known values{hint}"
        return f"{_shown(value)} is not one of {', '.join(options)}{hint}"
    detail = f" ({ctx['error']})" if isinstance(ctx.get("error"), str) else ""
    if kind in _EXPECTED:
        return f"expected {_EXPECTED[kind]}, got {_shown(value)}{detail}"
    return f"{error['msg'][:1].lower()}{error['msg'][1:]}, got {_shown(value)}"


def _did_you_mean(word: str, options: Sequence[str]) -> str:
    by_fold = {option.casefold(): option for option in options}
    close = difflib.get_close_matches(word.casefold(), list(by_fold), n=1, cutoff=0.6)
    return f" (did you mean {by_fold[close[0]]}?)" if close else ""


def _keys_at(loc: _Loc) -> list[str]:
    """The keys the model accepts at `loc`, as the file spells them (aliases such as `from`)."""
    annotation: Any = CompanyRules
    for part in loc:
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            field = _fields(annotation).get(str(part))
            if field is None:
                return []
            annotation = field.annotation
        elif get_origin(annotation) is dict:
            annotation = get_args(annotation)[1]
        elif get_origin(annotation) is list:
            annotation = get_args(annotation)[0]
        else:
            return []
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return list(_fields(annotation))
    return []


def _fields(model: type[BaseModel]) -> dict[str, FieldInfo]:
    return {field.alias or name: field for name, field in model.model_fields.items()}


def _shown(value: object) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return repr(value) if isinstance(value, str) else str(value)


# --- explaining ---------------------------------------------------------------------------------

_POLICY_OF = {Code.CHANGED_AFTER_SYNC: "version_policy", Code.CANCELLED_AFTER_SYNC: "cancel_policy"}
_KINDS = ("ready", "waiting", "cancelled", "exception")


@dataclass(frozen=True, slots=True)
class _CodeRow:
    code: Code
    gap: Gap
    outcome: Outcome | None  # None: the type's version or cancel policy decides
    policy: str | None
    owner: str
    default_outcome: Outcome
    default_owner: str
    outcome_overridden: bool
    owner_overridden: bool


def _code_rows(rules: CompanyRules) -> list[_CodeRow]:
    rows = []
    for code in Code:
        spec, override = SPECS[code], rules.codes.get(code)
        policy = _POLICY_OF.get(code) if spec.by_policy else None
        rows.append(
            _CodeRow(
                code=code,
                gap=spec.gap,
                outcome=None if policy else rules.outcome_of(code),
                policy=policy,
                owner=rules.owner_of(code),
                default_outcome=spec.outcome,
                default_owner=spec.owner.value,
                outcome_overridden=bool(override and override.outcome),
                owner_overridden=bool(override and override.owner),
            )
        )
    return rows


def _max_age(rules: CompanyRules, doc_type: DocType) -> tuple[int | None, str | None]:
    if doc_type in MASTER_TYPES:
        # Customers, suppliers and items carry no document date for an age to be measured from.
        return None, None
    own = rules.for_type(doc_type).max_age_days
    if own is not None:
        return own, "type"
    if rules.dates.max_age_days is not None:
        return rules.dates.max_age_days, "company"
    return None, None


def rules_as_dict(rules: CompanyRules) -> dict[str, Any]:
    """The effective rules as JSON-able data (for `--json`), every document type and code included.

    Values that fall back to a company-wide setting say so (`max_wait_from`, `max_age_from`), and
    each code carries its default beside its effective outcome and owner.
    """
    types: dict[str, Any] = {}
    for doc_type in DocType:
        own = rules.for_type(doc_type)
        max_age, max_age_from = _max_age(rules, doc_type)
        types[doc_type.value] = {
            "configured": doc_type in rules.types,
            "sync": own.sync,
            "statuses": {kind: list(getattr(own.statuses, kind)) for kind in _KINDS},
            "approval_required": own.approval_required,
            "timing": own.timing.value,
            "schedule": own.schedule,
            "version_policy": own.version_policy.value,
            "cancel_policy": own.cancel_policy.value,
            "max_wait": duration_text(rules.max_wait_of(doc_type)),
            "max_wait_from": "type" if own.max_wait is not None else "company",
            "unique_reference": own.unique_reference,
            "price_check": own.price_check,
            "max_age_days": max_age,
            "max_age_from": max_age_from,
        }
    dates = rules.dates
    return {
        "company": rules.company,
        "name": rules.name,
        "home_currency": rules.home_currency,
        "timezone": rules.timezone,
        "default_location": rules.default_location,
        "price_tolerance": str(rules.price_tolerance),
        "max_wait": duration_text(rules.max_wait),
        "dates": {
            "fiscal_year_start": _iso(dates.fiscal_year_start),
            "fiscal_year_end": _iso(dates.fiscal_year_end),
            "locked_periods": [
                {"from": p.start.isoformat(), "to": p.end.isoformat()} for p in dates.locked_periods
            ],
            "max_age_days": dates.max_age_days,
            "allow_future": dates.allow_future,
        },
        "duplicates": {"party_name_threshold": rules.duplicates.party_name_threshold},
        "types": types,
        "mappings": {
            table.value: {
                "entries": len(rules.mappings.table(table)),
                "identity": table in rules.mappings.identity,
                "codes": dict(sorted(rules.mappings.table(table).items())),
            }
            for table in Table
        },
        "codes": {
            row.code.value: {
                "gap": row.gap.value,
                "outcome": row.outcome.value if row.outcome else None,
                "policy": row.policy,
                "owner": row.owner,
                "default_outcome": row.default_outcome.value,
                "default_owner": row.default_owner,
                "overridden": [
                    name
                    for name, changed in (
                        ("outcome", row.outcome_overridden),
                        ("owner", row.owner_overridden),
                    )
                    if changed
                ],
            }
            for row in _code_rows(rules)
        },
    }


def _iso(day: dt.date | None) -> str | None:
    return day.isoformat() if day else None


def explain_rules(rules: CompanyRules) -> str:
    """The effective rules as plain text for a terminal, defaults included and overrides marked."""
    out: list[str] = []
    title = f"Rules of company {rules.company}" + (f" ({rules.name})" if rules.name else "")
    out += [title, "=" * len(title)]
    tolerance = rules.price_tolerance * 100
    threshold = rules.duplicates.party_name_threshold
    out += _pairs(
        [
            ("home currency", rules.home_currency),
            ("time zone", rules.timezone),
            ("default location", rules.default_location or "none"),
            ("price tolerance", f"{tolerance.normalize():f}% ({rules.price_tolerance})"),
            ("max wait", duration_text(rules.max_wait)),
            ("duplicate parties", f"name similarity {threshold:g} or more"),
        ]
    )
    out += ["", "Dates", *_pairs(_date_lines(rules))]
    out += ["", "Document types (a type absent from the file gets the defaults shown)"]
    for doc_type in DocType:
        out += _type_lines(rules, doc_type)
    out += ["", "Mappings (source code -> AutoCount code)"]
    mappings = rules.mappings
    out += _table(
        ["table", "entries", "identity (a code equal to AutoCount's is accepted)"],
        [
            [t.value, str(len(mappings.table(t))), "yes" if t in mappings.identity else "no"]
            for t in Table
        ],
    )
    entries = [[t.value, source, target] for t in Table
               for source, target in sorted(mappings.table(t).items())]
    if entries:
        out += ["", *_table(["table", "source code", "AutoCount code"], entries)]
    out += ["", "Finding codes (* = set by this company's rules)"]
    rows = [_code_cells(row) for row in _code_rows(rules)]
    out += _table(["code", "gap", "outcome", "owner", "default"], rows)
    return "\n".join(out) + "\n"


def _date_lines(rules: CompanyRules) -> list[tuple[str, str]]:
    dates = rules.dates
    start, end = _iso(dates.fiscal_year_start), _iso(dates.fiscal_year_end)
    locked = [f"{p.start.isoformat()} .. {p.end.isoformat()}" for p in dates.locked_periods]
    return [
        ("fiscal year", f"{start or 'open'} .. {end or 'open'}" if start or end else "not set"),
        ("locked periods", "; ".join(locked) or "none"),
        ("max age", f"{dates.max_age_days} days" if dates.max_age_days is not None else "no limit"),
        ("future dates", "allowed" if dates.allow_future else "refused"),
    ]


def _type_lines(rules: CompanyRules, doc_type: DocType) -> list[str]:
    own: TypeRules = rules.for_type(doc_type)
    absent = "" if doc_type in rules.types else "  (not in the file: defaults)"
    heading = f"  {doc_type.value}{absent}"
    words = [(kind, ", ".join(getattr(own.statuses, kind)) or "-") for kind in _KINDS]
    if not any(getattr(own.statuses, kind) for kind in _KINDS):
        words = [("statuses", "none listed: every status is STATUS_UNKNOWN (held)")]
    timing = own.timing.value + (f" at {own.schedule!r}" if own.schedule else "")
    max_wait = duration_text(rules.max_wait_of(doc_type)) + (
        "" if own.max_wait else " (company)")
    age, age_from = _max_age(rules, doc_type)
    if doc_type in MASTER_TYPES:
        max_age = "does not apply (no document date)"
    elif age is None:
        max_age = "no limit"
    else:
        max_age = f"{age} days" + (" (company)" if age_from == "company" else "")
    pairs = [
        ("sync", "yes" if own.sync else "no: checked and tracked, never dispatched"),
        *words,
        ("approval", "required" if own.approval_required else "not required"),
        ("timing", timing),
        ("version policy", own.version_policy.value),
        ("cancel policy", own.cancel_policy.value),
        ("max wait", max_wait),
        ("unique reference", "yes" if own.unique_reference else "no"),
        ("price check", "yes" if own.price_check else "no"),
        ("max age", max_age),
    ]
    return ["", heading, *_pairs(pairs, indent=4)]


def _code_cells(row: _CodeRow) -> list[str]:
    outcome = f"per {row.policy.replace('_', ' ')}" if row.policy else str(row.outcome)
    defaults = []
    if row.outcome_overridden:
        outcome += "*"
        defaults.append(f"outcome {row.default_outcome}")
    owner = row.owner + ("*" if row.owner_overridden else "")
    if row.owner_overridden:
        defaults.append(f"owner {row.default_owner}")
    return [row.code.value, row.gap.value, outcome, owner, ", ".join(defaults)]


def _pairs(pairs: Sequence[tuple[str, str]], indent: int = 2) -> list[str]:
    width = max(len(label) for label, _ in pairs) + 2
    return [f"{' ' * indent}{label:<{width}}{value}" for label, value in pairs]


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    widths = [max(len(line[i]) for line in [header, *rows]) for i in range(len(header))]
    return [
        "  " + "  ".join(cell.ljust(size) for cell, size in zip(line, widths, strict=True)).rstrip()
        for line in [header, *rows]
    ]
