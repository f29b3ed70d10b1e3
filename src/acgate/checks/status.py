"""Rule gap 1, status: which source status words may reach AutoCount."""

from __future__ import annotations

from acgate.checks.context import Run
from acgate.domain.codes import Code
from acgate.domain.findings import Suggestion


def check_status(run: Run) -> str | None:
    """Raise the status findings and return what the word means: ready, waiting, cancelled,
    exception, or None for a word no list of this type knows."""
    doc = run.doc
    words = run.type_rules.statuses
    meaning = words.meaning(doc.status)
    if meaning is None:
        known = words.ready + words.waiting + words.cancelled + words.exception
        run.sink.add(
            Code.STATUS_UNKNOWN,
            f"status {doc.status!r} is in no status list of {doc.type.value}",
            field="status", source_value=doc.status,
            expected=", ".join(known) if known else f"status lists for {doc.type.value}",
            suggestions=[Suggestion(f"add {doc.status!r} to a status list of {doc.type.value} "
                                    "in the company's rules", "fix_rules")],
        )
    elif meaning == "waiting":
        run.sink.add(
            Code.STATUS_NOT_READY,
            f"status {doc.status!r} is not yet one allowed to sync for {doc.type.value}",
            field="status", source_value=doc.status, expected=", ".join(words.ready),
        )
    elif meaning == "exception":
        run.sink.add(
            Code.SOURCE_EXCEPTION,
            f"the source marks this {doc.type.value} as an exception ({doc.status!r})",
            field="status", source_value=doc.status,
            suggestions=[Suggestion("resolve it in the source system and send a new version",
                                    "fix_source")],
        )
    return meaning
