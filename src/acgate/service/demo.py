"""The shipped demo: a Malaysian distributor's week, played step by step on acgate's clock."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from acgate.domain.codes import Outcome
from acgate.domain.rules import Table
from acgate.domain.values import to_instant
from acgate.sandbox.config import SandboxConfig
from acgate.sandbox.server import RunningSandbox, run_in_thread
from acgate.service.dispatch import Dispatcher
from acgate.service.ingest import IngestReport
from acgate.service.masters import load_master
from acgate.sources.masterdata import load_master_data
from acgate.sources.readers import read_documents

DEMO_ACTOR = "demo"


class SettableClock:
    """The demo moves time forward between steps so that waits expire and windows open."""

    def __init__(self, start: dt.datetime) -> None:
        self.now = start

    def __call__(self) -> dt.datetime:
        return self.now


def demo_data() -> Path:
    return Path(str(resources.files("acgate.demo") / "data"))


@dataclass
class StepResult:
    at: dt.datetime
    action: str
    detail: str
    ingest: IngestReport | None = None


@dataclass
class DemoRun:
    steps: list[StepResult] = field(default_factory=list)


def scenario() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((demo_data() / "scenario.yaml").read_text())
    return loaded


def first_moment(plan: dict[str, Any]) -> dt.datetime:
    return to_instant(plan["steps"][0]["at"])


SANDBOX_KEY_ENV = "ACGATE_SANDBOX_KEY"
SANDBOX_KEY = "sandbox-bridge-key"


DEMO_RULES_MARK = "# The demo's AutoCount: the sandbox book"
"""A line `install_rules` writes into the demo's rules file: how a demo workspace is known
(`acgate demo --force` replaces only such a workspace)."""


def install_rules(root: Path, plan: dict[str, Any], sandbox_url: str) -> None:
    """Put the demo company's rules file into the workspace, pointed at the sandbox book."""
    (root / "rules").mkdir(parents=True, exist_ok=True)
    source = demo_data() / plan["rules"]
    text = source.read_text()
    text += (
        f"\n{DEMO_RULES_MARK} (bridge profile) that `acgate demo` started."
        "\n# Serve it again with `acgate sandbox --master <master.xlsx> --data sandbox-book "
        f"--port {sandbox_url.rsplit(':', 1)[1]}`\n# and {SANDBOX_KEY_ENV}={SANDBOX_KEY} "
        "in the environment.\n"
        f"autocount:\n  kind: bridge\n  base_url: \"{sandbox_url}\"\n"
        f"  api_key_env: {SANDBOX_KEY_ENV}\n"
    )
    (root / "rules" / source.name).write_text(text)


def start_sandbox(root: Path, plan: dict[str, Any]) -> RunningSandbox:
    """The demo's AutoCount book over HTTP, kept in the workspace's `sandbox-book/`."""
    os.environ.setdefault(SANDBOX_KEY_ENV, SANDBOX_KEY)
    master = load_master_data(demo_data() / plan["master"])
    config = SandboxConfig(master=master, data_dir=root / "sandbox-book", rate_limit=0)
    try:
        return run_in_thread(config, port=8765)
    except OSError:
        return run_in_thread(config)  # 8765 taken: any free port


def run_demo(app: Any, clock: SettableClock, plan: dict[str, Any],
             on_step: Callable[[StepResult], None] | None = None) -> DemoRun:
    """Play every step of the scenario against an opened workspace (`bootstrap.App`)."""
    data = demo_data()
    company = plan["company"]
    run = DemoRun()
    clock.now = first_moment(plan)
    load_master(app.store, app.directory, company, data / plan["master"],
                               clock(), DEMO_ACTOR)
    dispatcher = Dispatcher(app.store, app.directory, app.targets, clock, "demo")
    for step in plan["steps"]:
        clock.now = to_instant(step["at"])
        for result in _play(app, dispatcher, step, data, company, clock()):
            run.steps.append(result)
            if on_step:
                on_step(result)
    return run


def _play(app: Any, dispatcher: Dispatcher, step: dict[str, Any], data: Path, company: str,
          now: dt.datetime) -> list[StepResult]:
    results = []
    for name in step.get("ingest", []):
        report = app.intake.ingest(read_documents(data / name), actor=None)
        results.append(StepResult(now, "ingest", name, report))
    if "sync" in step:
        synced = dispatcher.run_once(company)
        results.append(StepResult(
            now, "sync", f"{len(synced.synced)} synced to the sandbox AutoCount book in "
            f"{synced.calls} calls, {len(synced.held)} held by AutoCount's answer; "
            f"{synced.followers_rechecked} waiting records re-checked"))
    if "recheck" in step:
        wanted = {"waiting": (Outcome.WAITING,), "held": (Outcome.HELD,),
                  "open": (Outcome.WAITING, Outcome.HELD)}[step["recheck"]]
        verdicts = app.review.recheck(wanted, company, DEMO_ACTOR, "scheduled re-check")
        results.append(StepResult(now, "recheck", f"{len(verdicts)} {step['recheck']} records "
                                  "re-checked"))
    for mapping in step.get("map", []):
        outcome = app.review.add_mapping(company, Table(mapping["table"]), mapping["source"],
                                         mapping["target"], mapping.get("by", DEMO_ACTOR),
                                         mapping.get("reason"))
        results.append(StepResult(now, "map", f"{mapping['table']} {mapping['source']} -> "
                                  f"{mapping['target']}: {len(outcome.moved_on)} records moved on"))
    return results
