"""Loading AutoCount master data into the holding area, and what that changes."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from acgate.domain.codes import Outcome
from acgate.domain.masterdata import MasterData
from acgate.service.companies import CompanyDirectory
from acgate.service.pipeline import recheck
from acgate.sources.masterdata import dump_master_data_json, load_master_data
from acgate.storage.store import Store


def load_master(store: Store, directory: CompanyDirectory, company: str | None, path: Path,
                now: dt.datetime, actor: str, table: str | None = None) -> tuple[MasterData, int]:
    """Replace a company's master data from an export file and re-check its open records
    (a new item or debtor may be what they were held for). Returns the data and how many
    records were re-checked."""
    company = directory.company_of(company)
    master = load_master_data(path, table)
    with store.transaction() as repo:
        repo.save_master_data(company, dump_master_data_json(master), str(path), now)
        repo.append_events([{
            "document_id": None, "version_id": None, "company": company, "at": now,
            "actor": actor, "kind": "master_loaded", "reason": f"master data from {path.name}",
            "data": master.counts(),
        }])
        directory.forget(company)
        ids = repo.ids_where(company=company, outcomes=(Outcome.HELD, Outcome.WAITING))
        verdicts = recheck(repo, directory.lookup(repo), ids, now, actor,
                           f"master data reloaded from {path.name}", only_changes=True)
    return master, len(verdicts)
