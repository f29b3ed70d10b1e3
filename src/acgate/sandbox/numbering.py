"""AutoCount's document numbering formats: `INV-{@yyMM}-<0000>` gives `INV-2611-0001`.

`{@...}` is a .NET date format of the document date and `<0000>` the running number, padded to
its width. A format with a date part starts a new run of numbers for each distinct rendering of
that part (each month for `{@yyMM}`); that reset rule is a guess, AutoCount does not publish it.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

_DATE_PART = re.compile(r"\{@([^}]*)\}")
_NUMBER_PART = re.compile(r"<(0+)>")
_DATE_TOKENS = re.compile(r"yyyy|yy|MM|dd")
_DATE_FORMATS = {"yyyy": "%Y", "yy": "%y", "MM": "%m", "dd": "%d"}


@dataclass(frozen=True, slots=True)
class NumberFormat:
    text: str
    width: int

    @classmethod
    def parse(cls, text: str) -> NumberFormat:
        numbers = _NUMBER_PART.findall(text)
        if len(numbers) != 1:
            raise ValueError(f"numbering format {text!r} needs exactly one running number "
                             "such as <0000>")
        return cls(text, len(numbers[0]))

    def series(self, on: dt.date) -> str:
        """The format with its date parts filled in: the run of numbers a document joins."""
        return _DATE_PART.sub(lambda m: _date_text(m.group(1), on), self.text)

    def render(self, on: dt.date, number: int) -> str:
        return _NUMBER_PART.sub(f"{number:0{self.width}d}", self.series(on))


def _date_text(pattern: str, on: dt.date) -> str:
    return _DATE_TOKENS.sub(lambda m: on.strftime(_DATE_FORMATS[m.group(0)]), pattern)
