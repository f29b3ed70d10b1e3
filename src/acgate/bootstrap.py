"""Wiring: from a workspace folder (or settings) to a ready-to-use application."""

from __future__ import annotations

import datetime as dt
import os
import socket
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from acgate.service.companies import CompanyDirectory
from acgate.service.dispatch import Dispatcher
from acgate.service.ingest import Intake
from acgate.service.people import People
from acgate.service.review import Review
from acgate.service.targets import TargetDirectory
from acgate.sources.masterdata import master_data_from_json
from acgate.sources.rules_file import load_rules_dir
from acgate.storage.database import open_database, sqlite_url
from acgate.storage.store import Store

DATABASE_FILE = "acgate.db"
RULES_DIR = "rules"


class NotAWorkspace(RuntimeError):
    pass


def clock() -> dt.datetime:
    """acgate's clock: now, or the instant in ACGATE_NOW so audits and tests run as of a moment."""
    fixed = os.environ.get("ACGATE_NOW")
    if fixed:
        try:
            # RFC 3339 lets the T and the Z be lower case; fromisoformat reads neither `z`.
            stamp = dt.datetime.fromisoformat(fixed.upper().replace("Z", "+00:00"))
        except ValueError:
            raise ValueError(f"ACGATE_NOW={fixed!r} is not an RFC 3339 instant; write it as "
                             "2026-11-20T10:00:00+08:00") from None
        if stamp.tzinfo is None:
            raise ValueError(f"ACGATE_NOW={fixed!r} needs an offset, e.g. +08:00")
        return stamp
    return dt.datetime.now(dt.UTC)


def workspace_dir(given: Path | None = None, *, search: bool = True) -> Path:
    """--workspace, else ACGATE_HOME, else the current folder or the nearest folder above it
    that is a workspace (as git finds its repository: `acgate queue` works from `rules/`).

    `search=False` is for commands that make a workspace (`init`, `demo`): they make it in the
    current folder, as `git init` does, even inside another workspace."""
    if given is not None:
        return given
    home = os.environ.get("ACGATE_HOME")
    if home:
        return Path(home)
    here = Path.cwd()
    if search:
        for folder in (here, *here.parents):
            if (folder / RULES_DIR).is_dir():
                return folder
    return here


@dataclass
class App:
    root: Path
    store: Store
    directory: CompanyDirectory
    intake: Intake
    review: Review
    clock: Callable[[], dt.datetime]
    targets: TargetDirectory
    people: People

    def dispatcher(self, worker: str | None = None,
                   lease: dt.timedelta = dt.timedelta(seconds=60)) -> Dispatcher:
        name = worker or f"{socket.gethostname()}:{os.getpid()}"
        return Dispatcher(self.store, self.directory, self.targets, self.clock, name, lease)


def open_app(root: Path, *, now: Callable[[], dt.datetime] = clock,
             must_exist: bool = True) -> App:
    """Open the workspace at `root`: its rules files and its holding-area database."""
    rules_dir = root / RULES_DIR
    if must_exist and not rules_dir.is_dir():
        raise NotAWorkspace(
            f"{root} is not an acgate workspace (no {RULES_DIR}/ folder); run `acgate init` "
            "there, or name one with --workspace or ACGATE_HOME"
        )
    url = os.environ.get("ACGATE_DATABASE_URL") or sqlite_url(root / DATABASE_FILE)
    store = Store(open_database(url))
    store.migrate()
    directory = CompanyDirectory(load_rules_dir(rules_dir) if rules_dir.is_dir() else {},
                                 master_data_from_json)
    return App(root, store, directory, Intake(store, directory, now),
               Review(store, directory, now), now, TargetDirectory(directory.rules, root),
               People(store, now))
