"""What the pages' forms do: release, reject, assign, comment, retry and add a mapping. Each checks
the person's role, goes through `Review` as that person, and redirects back with a notice."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated
from urllib.parse import parse_qsl

from fastapi import APIRouter, Depends, Form
from fastapi.responses import Response

from acgate.bootstrap import App
from acgate.domain.access import Action
from acgate.domain.rules import Table
from acgate.http.auth import Caller, allowed, application
from acgate.service.companies import UnknownCompany
from acgate.service.people import PeopleError
from acgate.service.pipeline import Verdict
from acgate.service.review import ReviewError
from acgate.storage.queue import list_queue
from acgate.web.forms import choice
from acgate.web.queue import QueueQuery
from acgate.web.templating import Notice, local_path, record_url, redirect

router = APIRouter(prefix="/actions", include_in_schema=False)

Application = Annotated[App, Depends(application)]
Refs = Annotated[list[str] | None, Form(alias="ref")]
Back = Annotated[str, Form()]
# "All records the filter selects" acts on at most this many, one transaction each.
BULK_LIMIT = 500


def _back(back: str, refs: list[str]) -> str:
    return local_path(back, record_url(refs[0]) if len(refs) == 1 else "/queue")


def _each(refs: list[str], act: Callable[[str], object], done: str) -> Notice:
    """Act on every record; the notice counts what was done and names what could not be."""
    if not refs:
        return Notice("error", "no record was selected")
    failed: list[str] = []
    for ref in refs:
        try:
            act(ref)
        except ReviewError as error:
            failed.append(str(error))
    if not failed:
        return Notice("ok", f"{len(refs)} {'record' if len(refs) == 1 else 'records'} {done}")
    if len(refs) == 1:
        return Notice("error", failed[0])
    # One reason said once (a blank reason refuses every record alike), however many it stopped.
    reasons = list(dict.fromkeys(failed))
    worked = len(refs) - len(failed)
    return Notice("error", f"{worked} of {len(refs)} {done}; " + "; ".join(reasons[:5])
                  + (f" (and {len(reasons) - 5} more)" if len(reasons) > 5 else ""))


def _selected(app: App, who: Caller, refs: list[str] | None, scope: str, query: str) -> list[str]:
    """The records a bulk form names: the rows ticked, or every record its filter selects."""
    if scope != "filter":
        return refs or []
    wanted = QueueQuery.from_params(dict(parse_qsl(query))).queue_filter(who.principal,
                                                                          BULK_LIMIT)
    with app.store.transaction() as repo:
        return [str(row.identity) for row in list_queue(repo, wanted, app.clock())]


@router.post("/release")
def release(app: Application, who: Annotated[Caller, Depends(allowed(Action.RELEASE))],
            ref: Annotated[str, Form()], reason: Annotated[str, Form()] = "",
            back: Back = "") -> Response:
    notice = _moved(ref, lambda: app.review.release(ref, who.actor, reason), "released")
    return redirect(_back(back, [ref]), notice)


@router.post("/reject")
def reject(app: Application, who: Annotated[Caller, Depends(allowed(Action.REJECT))],
           refs: Refs = None, reason: Annotated[str, Form()] = "",
           scope: Annotated[str, Form()] = "selected", query: Annotated[str, Form()] = "",
           back: Back = "") -> Response:
    chosen = _selected(app, who, refs, scope, query)
    notice = _each(chosen, lambda ref: app.review.reject(ref, who.actor, reason), "rejected")
    return redirect(_back(back, chosen), notice)


@router.post("/assign")
def assign(app: Application, who: Annotated[Caller, Depends(allowed(Action.ASSIGN))],
           assignee: Annotated[str, Form()], refs: Refs = None,
           scope: Annotated[str, Form()] = "selected", query: Annotated[str, Form()] = "",
           back: Back = "") -> Response:
    chosen = _selected(app, who, refs, scope, query)
    try:
        person = app.people.assignable(assignee)
    except PeopleError as error:
        return redirect(_back(back, chosen), Notice("error", str(error)))
    notice = _each(chosen, lambda ref: app.review.assign(ref, who.actor, person.username),
                   f"assigned to {person.username}")
    return redirect(_back(back, chosen), notice)


@router.post("/comment")
def comment(app: Application, who: Annotated[Caller, Depends(allowed(Action.COMMENT))],
            ref: Annotated[str, Form()], text: Annotated[str, Form()] = "",
            back: Back = "") -> Response:
    notice = _each([ref], lambda one: app.review.comment(one, who.actor, text), "commented on")
    return redirect(_back(back, [ref]), notice)


@router.post("/retry")
def retry(app: Application, who: Annotated[Caller, Depends(allowed(Action.RETRY))],
          ref: Annotated[str, Form()], reason: Annotated[str, Form()] = "",
          back: Back = "") -> Response:
    notice = _moved(ref, lambda: app.review.retry(ref, who.actor, reason),
                    "goes to AutoCount again")
    return redirect(_back(back, [ref]), notice)


def _moved(ref: str, act: Callable[[], Verdict], done: str) -> Notice:
    """What a person's action on one record did: where the record is now, or why not."""
    try:
        verdict = act()
    except ReviewError as error:
        return Notice("error", str(error))
    return Notice("ok", f"{ref} {done}: now {verdict.outcome.value}")


@router.post("/map")
def add_mapping(app: Application, who: Annotated[Caller, Depends(allowed(Action.MAP))],
                company: Annotated[str, Form()], table: Annotated[str, Form()],
                source: Annotated[str, Form()], target: Annotated[str, Form()],
                reason: Annotated[str, Form()] = "", back: Back = "") -> Response:
    """A finding's suggestion or a cause's mapping, taken in one click."""
    return redirect(local_path(back, "/queue"),
                    mapping_notice(app, who, company, table, source, target, reason))


def mapping_notice(app: App, who: Caller, company: str, table: str, source: str, target: str,
                   reason: str) -> Notice:
    """Add a mapping through `Review` and say what it moved on."""
    chosen = choice(Table, table)
    if chosen is None:
        return Notice("error", f"{table!r} is not a mapping table")
    try:
        result = app.review.add_mapping(company, chosen, source, target, who.actor,
                                        reason.strip() or None)
    except (ReviewError, UnknownCompany) as error:
        return Notice("error", str(error))
    moved = len(result.moved_on)
    return Notice("ok", f"mapping {table} {source.strip()} -> {target} added: "
                        f"{result.rechecked} {'record' if result.rechecked == 1 else 'records'} "
                        f"re-checked, {moved} moved on")
