"""What the API's route modules share: the opened app, callers by permission, and records as
they stand."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends

from acgate.api.models import FindingOut, RecordOut
from acgate.bootstrap import App
from acgate.domain.access import Action
from acgate.http.auth import Caller, allowed, application
from acgate.service.review import find_document
from acgate.storage.repository import finding_from_row

PREFIX = "/api/v1"

AppDep = Annotated[App, Depends(application)]
Viewer = Annotated[Caller, Depends(allowed(Action.VIEW))]
VIEWING = Depends(allowed(Action.VIEW))
"""For routes that need a viewer but not who it is: `dependencies=[VIEWING]`."""


def findings_out(findings: list[dict[str, Any]]) -> list[FindingOut]:
    return [FindingOut.model_validate(finding) for finding in findings]


def record_out(app: App, ref: str) -> RecordOut:
    """The record `ref` names, as it stands now."""
    with app.store.transaction() as repo:
        stored = find_document(repo, ref)
        rows = repo.findings_of([stored.id]).get(stored.id, [])
    return RecordOut(identity=str(stored.identity), company=stored.company,
                     outcome=stored.outcome, owner=stored.owner, assignee=stored.assignee,
                     autocount_doc_no=stored.autocount_doc_no,
                     findings=findings_out([finding_from_row(r).as_dict() for r in rows]))
