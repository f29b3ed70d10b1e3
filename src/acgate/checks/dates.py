"""Document dates AutoCount will accept: inside the fiscal year, outside locked periods, not in
the future, not too old."""

from __future__ import annotations

from acgate.checks.context import Run
from acgate.domain.codes import Code
from acgate.domain.documents import TradeDocument


def check_dates(run: Run) -> None:
    doc = run.doc
    if not isinstance(doc, TradeDocument):
        return
    rules = run.rules.dates
    day, today = doc.date, run.today
    problems: list[tuple[str, str]] = []
    start, end = rules.fiscal_year_start, rules.fiscal_year_end
    if (start and day < start) or (end and day > end):
        expected = f"{start or '...'} to {end or '...'}"
        problems.append((f"{day} is outside the fiscal year", expected))
    for period in rules.locked_periods:
        if period.covers(day):
            problems.append((f"{day} is in the locked period {period.start} to {period.end}",
                             "a date after the locked period, or unlock it in AutoCount"))
    if day > today and not rules.allow_future:
        problems.append((f"{day} is after today ({today})", f"{today} or earlier"))
    max_age = run.type_rules.max_age_days
    if max_age is None:
        max_age = rules.max_age_days
    if max_age is not None and (today - day).days > max_age:
        problems.append((f"{day} is {(today - day).days} days old, more than the "
                         f"{max_age} days allowed", f"a date within {max_age} days"))
    for message, expected in problems:
        run.sink.add(Code.DATE_OUT_OF_RANGE, message, field="date", source_value=day,
                     expected=expected)
