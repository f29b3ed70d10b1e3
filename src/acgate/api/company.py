"""Each company's setup over HTTP: mappings, AutoCount master data, the effective rules, and
the integration log of sync attempts."""

from __future__ import annotations

import io
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, Query, UploadFile

from acgate.api.common import PREFIX, VIEWING, AppDep
from acgate.api.errors import ApiProblem, answering, errors
from acgate.api.models import (
    CompanyOut,
    LoggedAttemptOut,
    MappingIn,
    MappingOut,
    MappingResultOut,
    MappingsOut,
    MasterLoadedOut,
    MasterOut,
    Problem,
    SyncLogOut,
)
from acgate.bootstrap import App
from acgate.domain.access import Action
from acgate.domain.rules import Table
from acgate.http.auth import Caller, allowed
from acgate.service.masters import save_master
from acgate.sources.masterdata import read_master_streams
from acgate.sources.rules_file import rules_as_dict
from acgate.storage.views import (
    MappingRow,
    SyncLogFilter,
    added_mappings,
    count_sync_log,
    master_load,
    sync_log,
)

router = APIRouter(prefix=PREFIX, tags=["companies"])

Mapper = Annotated[Caller, Depends(allowed(Action.MAP))]
MasterLoader = Annotated[Caller, Depends(allowed(Action.MANAGE_MAPPINGS))]

_UPLOAD_LIMIT = 64 * 1024 * 1024


def _company(app: App, given: str | None) -> str:
    with answering():
        return app.directory.company_of(given)


@router.get("/companies", dependencies=[VIEWING], responses=errors(401, 403))
def companies(app: AppDep) -> list[CompanyOut]:
    """The companies (AutoCount books) this workspace has rules for."""
    return [CompanyOut(company=name, name=rules.name)
            for name, rules in sorted(app.directory.rules.items())]


def _person(row: MappingRow) -> MappingOut:
    return MappingOut(company=row.company, table=Table(row.table), source_code=row.source_code,
                      target_code=row.target_code, origin="person", added_by=row.added_by,
                      added_at=row.added_at, reason=row.reason)


@router.get("/mappings", dependencies=[VIEWING], responses=errors(401, 403, 404, 422))
def mappings(app: AppDep, company: Annotated[str | None, Query(max_length=64)] = None,
             table: Table | None = None,
             limit: Annotated[int, Query(ge=1, le=1000)] = 200,
             offset: Annotated[int, Query(ge=0, le=10**9)] = 0) -> MappingsOut:
    """The effective mappings, a page at a time: the rules file's in its order, then those
    people added (which win), by company, table and source code."""
    names = [_company(app, company)] if company else sorted(app.directory.rules)
    with app.store.transaction() as repo:
        added = [row for name in names for row in added_mappings(repo, name)]
    by_person = {(row.company, row.table, row.source_code) for row in added}
    found = [
        MappingOut(company=name, table=each, source_code=source, target_code=target,
                   origin="rules")
        for name in names for each in Table
        for source, target in app.directory.rules[name].mappings.table(each).items()
        if (name, each.value, source) not in by_person
    ] + [_person(row) for row in added]
    wanted = [m for m in found if table is None or m.table is table]
    return MappingsOut(total=len(wanted), limit=limit, offset=offset,
                       rows=wanted[offset:offset + limit])


@router.post("/mappings", responses=errors(400, 401, 403, 404, 422))
def add_mapping(body: MappingIn, who: Mapper, app: AppDep) -> MappingResultOut:
    """Add a mapping; every record held only on it moves on at once. A role that may only map
    from a finding's suggestion may add one that some held or waiting record waits on."""
    company = _company(app, body.company)
    with answering(refused=422):
        if (not who.principal.can(Action.MANAGE_MAPPINGS)
                and not app.review.waiting_on(company, body.table, body.source_code)):
            raise ApiProblem(
                403, f"no held or waiting record of {company} waits on {body.table.value} "
                     f"{body.source_code!r}; {who.principal.role.value} may add only a "
                     "mapping a record waits on", fix="ask someone who may manage mappings")
        result = app.review.add_mapping(company, body.table, body.source_code, body.target_code,
                                        who.actor, body.reason)
    with app.store.transaction() as repo:
        row = next(row for row in added_mappings(repo, company)
                   if row.table == body.table.value and row.source_code == body.source_code)
    return MappingResultOut(mapping=_person(row), rechecked=result.rechecked,
                            moved_on=result.moved_on)


def _master_out(app: App, company: str) -> MasterOut:
    with app.store.transaction() as repo:
        loaded = master_load(repo, company)
        counts = app.directory.get(repo, company).master.counts()
    return MasterOut(company=company, loaded_from=loaded.loaded_from if loaded else None,
                     loaded_at=loaded.loaded_at if loaded else None, counts=counts)


@router.get("/master/{company}", dependencies=[VIEWING],
            responses=errors(401, 403, 404, 422))
def master(company: str, app: AppDep) -> MasterOut:
    """How much AutoCount master data the company has, and where it was loaded from."""
    return _master_out(app, _company(app, company))


@router.post("/master/{company}", responses=errors(400, 401, 403, 404, 413, 415, 422))
def load_master(
    company: str, who: MasterLoader, app: AppDep,
    file: Annotated[list[UploadFile], File(
        description="An AutoCount export: XLSX (a sheet per table) or JSON; or the CSV files "
                    "of one export (debtors.csv, items.csv, item_uoms.csv...), each as a "
                    "`file` part, read together.")],
    table: Annotated[str | None, Form(max_length=32, description="For one CSV file whose name "
                                                                "does not say its table.")]
    = None,
) -> MasterLoadedOut:
    """Replace the company's master data as a whole; its held and waiting records are
    re-checked. CSV files that leave out a table the company has rows in are refused, as they
    would empty it."""
    name = _company(app, company)
    if table and len(file) > 1:
        raise ApiProblem(422, "a table is named for one CSV file only", problems=[Problem(
            field="table", problem=f"{len(file)} files were sent with one table name",
            fix="name each CSV file after its table (debtors.csv, items.csv, item_uoms.csv...) "
                "and leave out `table`")])
    read: list[tuple[io.BytesIO, str, str | None]] = []
    size = 0
    for upload in file:
        data = upload.file.read(_UPLOAD_LIMIT + 1)
        size += len(data)
        if size > _UPLOAD_LIMIT:
            raise ApiProblem(413, f"the files are over {_UPLOAD_LIMIT // 2**20} MiB",
                             fix="run `acgate master load` on the server")
        read.append((io.BytesIO(data), upload.filename or "", table or None))
    names = [filename for _, filename, _ in read]
    with answering():
        loaded = read_master_streams(read)
    if all(filename.lower().endswith(".csv") for filename in names):
        _refuse_emptying(app, name, loaded.counts(), names)
    rechecked = save_master(app.store, app.directory, name, loaded, ", ".join(names),
                            app.clock(), who.actor)
    return MasterLoadedOut(**_master_out(app, name).model_dump(), rechecked=rechecked)


def _refuse_emptying(app: App, company: str, counts: dict[str, int], names: list[str]) -> None:
    """CSV files are an export's tables one by one: a table none of them holds would be left
    empty, and every record needing it held. Refused unless the company has none now."""
    now = _master_out(app, company).counts
    emptied = [table for table, count in counts.items() if not count and now.get(table)]
    if emptied:
        raise ApiProblem(422, f"{', '.join(names)} would leave {company} with no "
                              f"{', '.join(emptied)}; nothing was loaded", problems=[Problem(
                                  field="file", problem=f"no {table} in the files, and "
                                                        f"{company} has {now[table]} now",
                                  fix=f"send {_CSV_OF.get(table, table + '.csv')} of the "
                                      "export with the other files, as another `file` part")
                              for table in emptied],
                         fix="master data is replaced as a whole: send every CSV file of the "
                             "export in one request, or the export as one XLSX or JSON file")


# The CSV file that holds each table's rows, as the counts name the tables.
_CSV_OF = {"items": "items.csv (with item_uoms.csv)", "tax_codes": "tax_codes.csv"}


@router.get("/rules/{company}", dependencies=[VIEWING],
            responses=errors(401, 403, 404, 422))
def rules(company: str, app: AppDep) -> dict[str, Any]:
    """The company's effective rules, mappings added by people included (`acgate rules
    explain --json`)."""
    name = _company(app, company)
    with app.store.transaction() as repo:
        return rules_as_dict(app.directory.get(repo, name).rules)


@router.get("/sync-attempts", dependencies=[VIEWING], responses=errors(401, 403, 404, 422))
def sync_attempts(
    app: AppDep, company: Annotated[str | None, Query(max_length=64)] = None,
    result: Annotated[str | None, Query(
        max_length=24, description="e.g. accepted, rejected, unavailable, in_doubt")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0, le=10**9)] = 0,
) -> SyncLogOut:
    """The integration log: every call to AutoCount and its answer, newest first."""
    wanted = SyncLogFilter(company=_company(app, company) if company else None, result=result,
                           limit=limit, offset=offset)
    with app.store.transaction() as repo:
        rows = sync_log(repo, wanted)
        total = count_sync_log(repo, wanted)
    return SyncLogOut(total=total, limit=limit, offset=offset, rows=[
        LoggedAttemptOut(at=row.at, identity=str(row.identity), company=row.company,
                         worker=row.worker, action=row.action, result=row.result,
                         doc_no=row.doc_no, message=row.message, elapsed_ms=row.elapsed_ms)
        for row in rows])
