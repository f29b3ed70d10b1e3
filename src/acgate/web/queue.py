"""The queue: the holding area filtered, a page at a time, with the missing mappings that hold
most of what is shown, so one mapping can move many records on."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from acgate.bootstrap import App
from acgate.domain.access import Action, Principal
from acgate.domain.codes import Code, Outcome, Owner
from acgate.domain.documents import DocType
from acgate.domain.rules import Table
from acgate.http.auth import Viewer, application
from acgate.service.overview import mapping_targets, queue_page
from acgate.storage.queue import QueueFilter
from acgate.web.forms import address, choice, page_count, page_number
from acgate.web.templating import is_fragment, render

router = APIRouter(include_in_schema=False)

PAGE_SIZE = 50
OUTCOMES: dict[str, tuple[Outcome, ...]] = {
    "open": (Outcome.HELD, Outcome.WAITING), **{o.value: (o,) for o in Outcome},
    "all": tuple(Outcome),
}
AGES: dict[str, dt.timedelta] = {
    "1h": dt.timedelta(hours=1), "24h": dt.timedelta(hours=24), "3d": dt.timedelta(days=3),
    "7d": dt.timedelta(days=7),
}
OWNERS = [o.value for o in Owner if o is not Owner.NONE]


@dataclass(frozen=True, slots=True)
class QueueQuery:
    """The queue's filter as the page's form and links spell it; unknown values are ignored,
    so an edited address shows the default rather than an error."""

    outcome: str = "open"
    code: str = ""
    owner: str = ""
    type: str = ""
    party: str = ""
    age: str = ""
    mine: str = ""
    company: str = ""
    table: str = ""
    blocker: str = ""
    page: int = 1

    @classmethod
    def from_params(cls, params: Mapping[str, str]) -> QueueQuery:
        given = {f.name: params.get(f.name, "").strip() for f in fields(cls) if f.name != "page"}
        query = cls(**given, page=page_number(params.get("page", "1")))
        return replace(
            query,
            outcome=query.outcome if query.outcome in OUTCOMES else "open",
            code=query.code.upper() if choice(Code, query.code.upper()) else "",
            owner=query.owner if query.owner in OWNERS else "",
            type=query.type if choice(DocType, query.type) else "",
            age=query.age if query.age in AGES else "",
            mine="1" if query.mine else "",
        )

    def queue_filter(self, who: Principal, limit: int | None = PAGE_SIZE) -> QueueFilter:
        blocker = ((self.company, self.table, self.blocker)
                   if self.company and self.table and self.blocker else None)
        return QueueFilter(
            outcomes=OUTCOMES[self.outcome], code=self.code or None, owner=self.owner or None,
            doc_type=DocType(self.type) if self.type else None, party=self.party or None,
            company=self.company or None, older_than=AGES.get(self.age),
            mine=who if self.mine else None, blocker=blocker, limit=limit,
            offset=(self.page - 1) * (limit or 0),
        )

    def link(self, **changes: str | int) -> str:
        """The queue's address with this filter, changed as given (empty values left out)."""
        pairs: dict[str, str | int] = {f.name: getattr(self, f.name) for f in fields(self)}
        return address("/queue", {**pairs, **changes})


@router.get("/queue")
def queue(request: Request, who: Viewer,
          app: Annotated[App, Depends(application)]) -> Response:
    query = QueueQuery.from_params(request.query_params)
    page = queue_page(app.store, query.queue_filter(who.principal), app.clock())
    targets: dict[tuple[str, str], list[str]] = {}
    if who.principal.can(Action.MAP):
        for cause in page.causes:
            table = choice(Table, cause.table)
            if table is not None:
                targets[(cause.company, cause.table)] = mapping_targets(
                    app.store, app.directory, cause.company, table)
    context = {
        "query": query, "page": page, "pages": page_count(page.total, PAGE_SIZE),
        "targets": targets, "here": query.link(page=query.page),
        "assignees": app.people.assignees()
        if who.principal.can(Action.ASSIGN) else [],
        "outcomes": list(OUTCOMES), "codes": [c.value for c in Code], "owners": OWNERS,
        "types": [t.value for t in DocType], "ages": list(AGES),
        "companies": sorted(app.directory.rules),
    }
    fragment = is_fragment(request)
    return render(request, "queue_results.html" if fragment else "queue.html", context, who)
