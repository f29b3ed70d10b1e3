"""Loading AutoCount master data into the holding area, and what that changes."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Sequence
from pathlib import Path

from acgate.autocount.target import Target, Wait
from acgate.domain.codes import Outcome
from acgate.domain.masterdata import MasterData
from acgate.service.companies import CompanyDirectory
from acgate.service.pipeline import recheck
from acgate.sources.masterdata import (
    dump_master_data_json,
    load_master_files,
    master_data_from_json,
)
from acgate.storage.store import Store


def save_master(store: Store, directory: CompanyDirectory, company: str, master: MasterData,
                loaded_from: str, now: dt.datetime, actor: str) -> int:
    """Replace a company's master data and re-check its open records (a new item or debtor
    may be what they were held for). Returns how many records were re-checked."""
    with store.transaction() as repo:
        repo.save_master_data(company, dump_master_data_json(master), loaded_from, now)
        repo.append_events([{
            "document_id": None, "version_id": None, "company": company, "at": now,
            "actor": actor, "kind": "master_loaded", "reason": f"master data from {loaded_from}",
            "data": master.counts(),
        }])
        ids = repo.ids_where(company=company, outcomes=(Outcome.HELD, Outcome.WAITING))
        return len(recheck(repo, directory.lookup(repo), ids, now, actor,
                           f"master data reloaded from {loaded_from}", only_changes=True))


def pull_master(store: Store, directory: CompanyDirectory, company: str, target: Target,
                now: dt.datetime, actor: str, wait: Wait | None = None) -> tuple[MasterData, int]:
    """Replace a company's master data with what its AutoCount target lists (see
    `save_master`). The tables the target cannot list (the Cloud API's tax codes, projects and
    credit terms) keep what was loaded for them last: emptied, every line with a tax code would
    be held as unmapped."""
    with target.pacing(wait):
        master = target.master_data()
    kept = sorted(target.unlisted_master_tables)
    with store.transaction() as repo:
        stored = repo.master_data(company)
    if stored is not None and kept:
        before = master_data_from_json(stored)
        master = dataclasses.replace(master, **{name: getattr(before, name) for name in kept})
    loaded_from = f"the {target.name} target" + (
        f" ({', '.join(kept)} as loaded before: the target lists none)" if kept else "")
    return master, save_master(store, directory, company, master, loaded_from, now, actor)


def load_master(store: Store, directory: CompanyDirectory, company: str | None,
                path: Path | Sequence[Path], now: dt.datetime, actor: str,
                table: str | None = None) -> tuple[MasterData, int]:
    """Replace a company's master data from an export: one file, or the files of one export
    read together (the CSV files of its tables); see `save_master`. `table` names the table of
    a single CSV file whose name does not say it."""
    company = directory.company_of(company)
    paths = [path] if isinstance(path, Path) else list(path)
    master = load_master_files([(p, table) for p in paths])
    loaded_from = ", ".join(p.name for p in paths)
    return master, save_master(store, directory, company, master, loaded_from, now, actor)
