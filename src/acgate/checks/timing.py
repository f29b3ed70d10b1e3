"""Rule gap 4, timing: when a ready record may go (at once, after what it depends on, in a batch
window, or when a person releases it)."""

from __future__ import annotations

import datetime as dt

from croniter import croniter

from acgate.checks.context import Run
from acgate.domain.codes import Code, Outcome
from acgate.domain.documents import Identity, TradeDocument
from acgate.domain.findings import DOCUMENT_BLOCKER, Suggestion
from acgate.domain.rules import Timing

SATISFIED = frozenset({Outcome.SYNCED, Outcome.TRACKED})


def dependencies(run: Run) -> list[tuple[str, Identity | None, str]]:
    """(reference as written, resolved identity, where it was named), each document once."""
    doc = run.doc
    if not isinstance(doc, TradeDocument):
        return []
    refs = [(r.source, r.type.value, r.id, "based_on") for r in doc.based_on]
    refs += [
        (line.based_on_line.source, line.based_on_line.type.value, line.based_on_line.id,
         f"lines[{index}].based_on_line")
        for index, line in enumerate(doc.lines) if line.based_on_line is not None
    ]
    seen: set[str] = set()
    found = []
    for source, ref_type, ref_id, field in refs:
        written = f"{source or doc.source}/{ref_type}/{ref_id}"
        if written in seen:
            continue
        seen.add(written)
        identity = run.facts.resolve(run.company_id, source, ref_type, ref_id, doc.source)
        found.append((written, identity, field))
    return found


def check_timing(run: Run) -> None:
    type_rules = run.type_rules
    if type_rules.timing is Timing.AFTER_DEPENDENCY:
        _check_dependencies(run)
    elif type_rules.timing is Timing.BATCH and type_rules.schedule:
        _check_window(run, type_rules.schedule)
    elif type_rules.timing is Timing.MANUAL and run.history.manual_release_by is None:
        run.sink.add(
            Code.MANUAL_RELEASE,
            f"{run.doc.type.value} syncs only when a person releases it",
            suggestions=[Suggestion("release it when it should go to AutoCount", "release")],
        )


def _check_dependencies(run: Run) -> None:
    for written, identity, field in dependencies(run):
        outcome = run.facts.outcome(identity) if identity else None
        # Satisfied once it has synced: a newer version of it held or waiting since does not
        # take it out of AutoCount, so the follower has something to follow there.
        if outcome in SATISFIED or (identity is not None and run.facts.in_autocount(identity)):
            continue
        state = "has not arrived" if outcome is None else f"is {outcome.value}"
        name = str(identity) if identity else written
        run.sink.add(
            Code.DEPENDENCY_PENDING, f"waits for {name}, which {state} and has not synced yet",
            field=field, source_value=name, expected="synced or tracked",
            blocker=(DOCUMENT_BLOCKER, name),
        )


def next_window(schedule: str, after: dt.datetime, zone: dt.tzinfo) -> dt.datetime:
    """The first batch window from a moment on, read in the company's time zone.

    A cron line names minutes, so a window stays open for its whole minute: a document received
    in it (even at its first instant) goes in that window. croniter only looks strictly after its
    start, so it starts just before the minute the document came in, lest such a document wait a
    whole day (or month) for the next one."""
    minute = after.astimezone(zone).replace(second=0, microsecond=0)
    fire: dt.datetime = croniter(schedule, minute - dt.timedelta(seconds=1)).get_next(dt.datetime)
    return fire


def _check_window(run: Run, schedule: str) -> None:
    window = next_window(schedule, run.history.first_received_at, run.rules.zone)
    run.result.scheduled_for = window
    if run.now < window:
        run.sink.add(
            Code.SCHEDULED_BATCH,
            f"{run.doc.type.value} syncs in the batch window at {window.isoformat()}",
            expected=window.isoformat(),
        )
