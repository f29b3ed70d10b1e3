"""`acgate demo`: the shipped distributor's week, end to end, in a fresh workspace."""

from __future__ import annotations

import os
import shutil
from collections import Counter
from pathlib import Path
from typing import Annotated

import typer

from acgate.bootstrap import RULES_DIR, open_app, workspace_dir
from acgate.cli.app import Workspace, app, console, fail
from acgate.cli.render import codes_table, ingest_report
from acgate.domain.codes import Outcome
from acgate.service.demo import (
    DEMO_RULES_MARK,
    SettableClock,
    StepResult,
    first_moment,
    install_rules,
    run_demo,
    scenario,
    start_sandbox,
)
from acgate.sources.rules_file import RULES_SUFFIXES
from acgate.storage.queue import QueueFilter, list_queue


@app.command()
def demo(workspace: Workspace = None,
         force: Annotated[bool, typer.Option(help="Replace an existing demo database.")] = False,
         ) -> None:
    """Build a demo workspace here (or --workspace), play a distributor's week through the gate,
    and show what was held, why, and whose it is."""
    root = workspace_dir(workspace, search=False)
    plan = scenario()
    _refuse_a_company_workspace(root, plan["rules"])
    database = root / "acgate.db"
    if database.exists():
        if not force:
            raise fail(f"{database} exists; run the demo in an empty folder or add --force")
        for leftover in root.glob("acgate.db*"):
            leftover.unlink()
    root.mkdir(parents=True, exist_ok=True)
    if (root / "sandbox-book").exists():
        shutil.rmtree(root / "sandbox-book")
    sandbox = start_sandbox(root, plan)
    install_rules(root, plan, sandbox.base_url)
    clock = SettableClock(first_moment(plan))
    application = open_app(root, now=clock)
    console.print(f"AutoCount sandbox book (bridge profile) at {sandbox.base_url}")

    def shown(step: StepResult) -> None:
        if step.ingest is not None:
            ingest_report(console, step.ingest, f"{step.at:%a %d %b %H:%M} ingest {step.detail}")
        else:
            console.print(f"[bold]{step.at:%a %d %b %H:%M} {step.action}[/]: {step.detail}")

    try:
        run_demo(application, clock, plan, shown)
    finally:
        sandbox.stop()
    _summary(application, clock, root)


def _refuse_a_company_workspace(root: Path, demo_rules: str) -> None:
    """The demo writes its rules, documents and (with --force) a fresh database into the folder:
    never into a company's workspace, whose holding area and rules it would mix with or wipe."""
    if root.exists() and not root.is_dir():
        raise fail(f"{root} is a file; name a folder (new or empty) for the demo")
    rules_dir = root / RULES_DIR
    others = sorted(path.name for path in rules_dir.iterdir()
                    if path.suffix.lower() in RULES_SUFFIXES and path.is_file()
                    and not (path.name == Path(demo_rules).name
                             and DEMO_RULES_MARK in path.read_text(errors="replace"))
                    ) if rules_dir.is_dir() else []
    if others:
        raise fail(f"{root} is a company's workspace ({RULES_DIR}/ holds "
                   f"{', '.join(others)}); the demo would mix its records into it: run the "
                   "demo in a new folder, such as --workspace acgate-demo")
    if os.environ.get("ACGATE_DATABASE_URL"):
        raise fail("ACGATE_DATABASE_URL is set: the demo would put its records into that "
                   "database; the demo keeps its own (acgate.db in its folder), so unset "
                   "ACGATE_DATABASE_URL to run it")


def _summary(application: object, clock: SettableClock, root: Path) -> None:
    from acgate.bootstrap import App

    assert isinstance(application, App)
    now = clock()
    with application.store.transaction() as repo:
        everything = list_queue(repo, QueueFilter(outcomes=tuple(Outcome), limit=None), now)
    outcomes = Counter(row.outcome.value for row in everything)
    console.rule("[bold]Where every record ended up")
    console.print(", ".join(f"{k}: {v}" for k, v in sorted(outcomes.items())))
    raised = Counter((f.code.value, f.owner) for row in everything for f in row.findings)
    console.print(codes_table("Findings by code and owner (all records)", raised))
    held = [row for row in everything if row.outcome is Outcome.HELD]
    example = next((row for row in held if any(f.code.value == "UOM_RATE_MISMATCH"
                                               for f in row.findings)), held[0] if held else None)
    hint = f" --workspace {root}" if root != Path.cwd() else ""
    console.print("\nNext:")
    console.print(f"  acgate queue{hint}                 # held and waiting records")
    console.print(f"  acgate queue{hint} --code UOM_RATE_MISMATCH")
    if example is not None:
        console.print(f"  acgate trace{hint} {example.identity}   # why it is held, "
                      "and everything that happened to it", highlight=False)
