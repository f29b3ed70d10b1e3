"""Intake planned on a read snapshot, then checked and written under the write lock.

Checking a batch is most of intake's work, and while one process holds the write lock no other
can write. So a worker checks its batch against a read snapshot through a `PlanningRepository`:
every read is answered by the database and remembered, every write is remembered instead of
done, and new rows get provisional ids. Then, holding the write lock, `apply_plan` asks every
remembered read again. If each answer is the same, nothing the checks looked at has changed, the
verdicts stand, and the writes are done with real ids. If any answer differs the plan is thrown
away and the batch is checked again under the lock, exactly as a single process would.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection

from acgate.storage.repository import Repository

# Far above any real row id and above every other integer a written row carries (versions and
# line numbers stop at 2**31): an integer this large in a planned row is a provisional id.
PROVISIONAL = 2**40

_READS = frozenset({
    "by_identities", "by_type_and_id", "by_ids", "keys_for_references", "ledger_for_targets",
    "raws", "approved_before", "runtime_mappings", "master_data", "company_version",
    "blocked_by", "newest_version",
})
_WRITES = frozenset({
    "supersede", "insert_documents", "insert_versions", "update_documents", "replace_findings",
    "replace_keys", "replace_ledger", "append_events", "add_intake_errors",
})


class NeedsLock(Exception):
    """The batch asked for something a plan cannot answer (a read after its own writes, or an
    operation outside intake's usual path): check it again under the write lock."""


@dataclass(slots=True)
class _Call:
    name: str
    args: tuple[Any, ...]
    result: Any = None


@dataclass(slots=True)
class Plan:
    reads: list[_Call] = field(default_factory=list)
    writes: list[_Call] = field(default_factory=list)
    new_ids: list[tuple[str, int]] = field(default_factory=list)


class PlanningRepository(Repository):
    """A repository over a read snapshot that remembers reads and defers writes."""

    def __init__(self, connection: Connection) -> None:
        super().__init__(connection)
        self.plan = Plan()

    def new_id(self, table: str) -> int:
        provisional = PROVISIONAL + len(self.plan.new_ids)
        self.plan.new_ids.append((table, provisional))
        return provisional


def _materialised(args: tuple[Any, ...]) -> tuple[Any, ...]:
    # Reads take iterables; a generator can be read once, and the plan must ask again.
    return tuple(arg if isinstance(arg, str | int | list | tuple | dict | set | frozenset)
                 else list(arg) if isinstance(arg, Iterable) else arg for arg in args)


def _read(name: str) -> Callable[..., Any]:
    method = getattr(Repository, name)

    def read(self: PlanningRepository, *args: Any) -> Any:
        if self.plan.writes:
            raise NeedsLock(f"{name} after a write")
        call = _Call(name, _materialised(args))
        call.result = method(self, *call.args)
        self.plan.reads.append(call)
        return call.result

    return read


def _write(name: str) -> Callable[..., Any]:
    def write(self: PlanningRepository, *args: Any) -> None:
        self.plan.writes.append(_Call(name, args))

    return write


def _refuse(name: str) -> Callable[..., Any]:
    def refuse(self: PlanningRepository, *args: Any, **kwargs: Any) -> Any:
        raise NeedsLock(f"{name} is not planned")

    return refuse


for _name in dir(Repository):
    if _name.startswith("_") or _name == "new_id" or not callable(getattr(Repository, _name)):
        continue
    setattr(PlanningRepository, _name,
            _read(_name) if _name in _READS else _write(_name) if _name in _WRITES
            else _refuse(_name))


def apply_plan(plan: Plan, repo: Repository) -> bool:
    """Under the write lock: if every read answers as it did, do the writes and say True."""
    for call in plan.reads:
        if getattr(repo, call.name)(*call.args) != call.result:
            return False
    ids = {provisional: repo.new_id(table) for table, provisional in plan.new_ids}
    for call in plan.writes:
        getattr(repo, call.name)(*(_remap(arg, ids) for arg in call.args))
    return True


def _remap(arg: Any, ids: dict[int, int]) -> Any:
    """Provisional ids to real ones: in a list of ids, or in the columns of a list of rows."""
    if isinstance(arg, list):
        return [_remap_row(item, ids) if isinstance(item, dict) else _remap_id(item, ids)
                for item in arg]
    if isinstance(arg, dict):
        return _remap_row(arg, ids)
    return _remap_id(arg, ids)


# The columns of intake's rows that name another row.
_ID_COLUMNS = ("id", "document_id", "version_id", "current_version_id")


def _remap_row(row: dict[str, Any], ids: dict[int, int]) -> dict[str, Any]:
    # In place: the plan's rows are written once, and copying them cost as much as the insert.
    for key in _ID_COLUMNS:
        value = row.get(key)
        if type(value) is int and value >= PROVISIONAL:
            row[key] = ids[value]
    return row


def _remap_id(value: Any, ids: dict[int, int]) -> Any:
    return ids[value] if type(value) is int and value >= PROVISIONAL else value
