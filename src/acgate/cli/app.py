"""The `acgate` command: the holding area from a terminal."""

from __future__ import annotations

import getpass
import json
import os
import sys
from collections import Counter
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, Progress, TaskID, TextColumn, TimeElapsedColumn
from sqlalchemy import make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError

from acgate.bootstrap import App, NotAWorkspace, open_app, workspace_dir
from acgate.cli import render
from acgate.domain.codes import Code, Outcome
from acgate.domain.documents import DocType
from acgate.domain.rules import Table as MappingTable
from acgate.domain.rules import _duration
from acgate.service.companies import UnknownCompany
from acgate.service.ingest import can_fork
from acgate.service.masters import load_master
from acgate.service.people import PeopleError
from acgate.service.review import ReviewError
from acgate.service.trace import build_trace
from acgate.sources.masterdata import MasterDataError
from acgate.sources.readers import read_documents
from acgate.sources.records import UnsupportedFile
from acgate.sources.rules_file import (
    RULES_SUFFIXES,
    RulesFileError,
    explain_rules,
    load_rules,
    rules_as_dict,
)
from acgate.storage.queue import QueueFilter, count_queue, list_queue

app = typer.Typer(no_args_is_help=True, add_completion=False,
                  help="acgate: the readiness gate between source systems and AutoCount.")
rules_app = typer.Typer(no_args_is_help=True, help="Check and explain company rules files.")
master_app = typer.Typer(no_args_is_help=True, help="AutoCount master data held locally.")
app.add_typer(rules_app, name="rules")
app.add_typer(master_app, name="master")

console = Console()
errors = Console(stderr=True)

Workspace = Annotated[Path | None, typer.Option(
    "--workspace", "-w", help="Workspace folder (default: ACGATE_HOME, else the current folder).")]
Actor = Annotated[str | None, typer.Option(
    "--as", help="Who is acting, for the audit trail (default: ACGATE_USER or your login).")]
AsJson = Annotated[bool, typer.Option("--json", help="Machine-readable output.")]


def actor_name(given: str | None) -> str:
    """Who acts: `--as`, else ACGATE_USER, else the login. A blank one names nobody, and the
    trace must say who released or rejected a record."""
    for name in (given, os.environ.get("ACGATE_USER"), getpass.getuser()):
        if name and name.strip():
            return name.strip()
    raise fail("name who acts with --as or ACGATE_USER: this login has no name")


def fail(message: str, code: int = 1) -> typer.Exit:
    # The message quotes what a person or a source wrote (`[/b]` in an id is text, not markup).
    errors.print(f"[red]error:[/] {escape(message)}", highlight=False)
    return typer.Exit(code)


def database_problem(error: SQLAlchemyError) -> str:
    """What to tell a person whose holding-area database cannot be opened."""
    setting = os.environ.get("ACGATE_DATABASE_URL")
    cause = str(getattr(error, "orig", None) or error).splitlines()[0]
    if setting:
        try:
            shown = make_url(setting).render_as_string(hide_password=True)
        except ArgumentError:
            shown = "(not a database URL)"
        return (f"cannot open the database ACGATE_DATABASE_URL names ({shown}): {cause}; "
                "correct the URL, such as sqlite:////srv/acgate/acgate.db or "
                "postgresql+psycopg://user@host/acgate")
    return f"cannot open the workspace's database: {cause}"


def opened(workspace: Path | None) -> App:
    try:
        application = open_app(workspace_dir(workspace))
    except (NotAWorkspace, RulesFileError) as error:
        raise fail(str(error)) from None
    except SQLAlchemyError as error:
        raise fail(database_problem(error)) from None
    try:
        application.clock()  # a bad ACGATE_NOW is an error message, not a traceback later
    except ValueError as error:
        raise fail(str(error)) from None
    return application


def emit_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, indent=2, ensure_ascii=False, default=str) + "\n")


def readable_files(paths: list[Path], example: str = "*.jsonl") -> None:
    """Every file named must be there and be a file before the first one is read, so that a
    typo in the third name does not leave the first two taken in without their report."""
    for path in paths:
        if path.is_dir():
            raise fail(f"{path} is a folder; name the files in it, such as {path / example}")
        if not path.is_file():
            raise fail(f"{path}: no such file")
        if not os.access(path, os.R_OK):
            raise fail(f"{path}: cannot be read (permission denied)")


@app.command()
def init(workspace: Workspace = None) -> None:
    """Make a workspace: a rules/ folder with a commented sample rules file, and the database."""
    from acgate.sources.rules_file import sample_rules_text

    root = workspace_dir(workspace, search=False)
    rules_dir = root / "rules"
    try:
        rules_dir.mkdir(parents=True, exist_ok=True)
    except (FileExistsError, NotADirectoryError):
        raise fail(f"{root} is a file; name a folder (new or empty) for the workspace") from None
    except OSError as error:
        raise fail(f"cannot make {rules_dir}: {error.strerror}") from None
    sample = rules_dir / "demo.yaml"
    if not any(path.suffix.lower() in RULES_SUFFIXES for path in rules_dir.iterdir()):
        sample.write_text(sample_rules_text())
        console.print(f"wrote {sample} (edit it for your company)")
    opened(root)
    console.print(f"workspace ready at {root}")


@app.command()
def ingest(files: Annotated[list[Path], typer.Argument(help="JSON, JSONL, CSV or XLSX files.")],
           workspace: Workspace = None, as_json: AsJson = False,
           workers: Annotated[int, typer.Option(
               min=1, help="Processes checking batches at once; batches are still stored in "
                           "file order, with the outcomes one process would reach.")] = 1,
           ) -> None:
    """Take source documents into the holding area and check each one."""
    application = opened(workspace)
    readable_files(files)
    try:
        sources = [(path, read_documents(path)) for path in files]
    except UnsupportedFile as error:
        raise fail(str(error)) from None
    if workers > 1 and not can_fork():
        errors.print("note: this system cannot fork worker processes; one process checks "
                     "every batch (the outcomes are the same)")
    reports = {}
    with Progress(TextColumn("{task.description}"), BarColumn(), TextColumn("{task.completed}"),
                  TimeElapsedColumn(), console=errors, disable=as_json) as progress:
        for path, records in sources:
            task = progress.add_task(escape(path.name), total=None)

            def advance(count: int, task: TaskID = task) -> None:
                progress.advance(task, count)

            try:
                reports[str(path)] = application.intake.ingest(
                    records, progress=advance, workers=workers)
            except OSError as error:
                raise fail(f"{path}: cannot be read: {error.strerror or error}") from None
    if as_json:
        emit_json({name: report.as_dict() for name, report in reports.items()})
    else:
        for name, report in reports.items():
            render.ingest_report(console, report, name)
    if any(r.problem_count for r in reports.values()):
        raise typer.Exit(2)


@app.command()
def check(files: Annotated[list[Path], typer.Argument(help="JSON, JSONL, CSV or XLSX files.")],
          workspace: Workspace = None, as_json: AsJson = False) -> None:
    """Dry run: what intake would do with these files. Stores nothing."""
    application = opened(workspace)
    readable_files(files)
    try:
        sources = [(path, read_documents(path)) for path in files]
    except UnsupportedFile as error:
        raise fail(str(error)) from None
    results = {}
    for path, records in sources:
        try:
            results[str(path)] = application.intake.dry_run(records)
        except OSError as error:
            raise fail(f"{path}: cannot be read: {error.strerror or error}") from None
    if as_json:
        emit_json({name: {**report.as_dict(), "documents": [
            {"identity": str(v.work.identity), "outcome": v.outcome.value, "owner": v.owner,
             "findings": [f.as_dict() for f in v.findings]} for v in report.checked]}
            for name, report in results.items()})
        if any(r.problem_count for r in results.values()):
            raise typer.Exit(2)
        return
    for name, report in results.items():
        render.ingest_report(console, report, f"{name} (dry run, nothing stored)")
        for verdict in report.checked:
            codes = ", ".join(f.code.value for f in verdict.findings) or "-"
            console.print(f"  {verdict.work.identity}: {verdict.outcome.value} ({codes})",
                          highlight=False, markup=False)
    if any(r.problem_count for r in results.values()):
        raise typer.Exit(2)


@app.command()
def queue(
    workspace: Workspace = None,
    outcome: Annotated[list[Outcome] | None, typer.Option(help="Outcomes to list.")] = None,
    show_all: Annotated[bool, typer.Option("--all", help="Every outcome.")] = False,
    code: Annotated[str | None, typer.Option(
        help="Only records with this finding code, such as UOM_RATE_MISMATCH.")] = None,
    owner: Annotated[str | None, typer.Option(help="Only this owner.")] = None,
    assignee: Annotated[str | None, typer.Option(help="Only records assigned to them.")] = None,
    doc_type: Annotated[DocType | None, typer.Option("--type", help="Only this type.")] = None,
    party: Annotated[str | None, typer.Option(help="Only this source party code.")] = None,
    older_than: Annotated[str | None, typer.Option(help="Older than e.g. 24h, 3d.")] = None,
    limit: Annotated[int, typer.Option(min=0, help="At most this many rows (0: all).")] = 200,
    as_json: AsJson = False,
) -> None:
    """The holding area: held and waiting records, oldest first."""
    application = opened(workspace)
    outcomes = tuple(Outcome) if show_all else tuple(outcome or (Outcome.HELD, Outcome.WAITING))
    try:
        age = _duration(older_than) if older_than else None
    except ValueError as error:
        raise fail(f"--older-than: {error}") from None
    if code is not None and code.strip().upper() not in Code.__members__:
        # A misspelt code would list nothing, as if nothing were held for it.
        raise fail(f"--code: {code!r} is not a finding code; the codes are "
                   + ", ".join(c.value for c in Code))
    wanted = QueueFilter(outcomes=outcomes, code=code.strip().upper() if code else None,
                         owner=owner, assignee=assignee, doc_type=doc_type, party=party,
                         older_than=age, limit=limit or None)
    now = application.clock()
    if age is not None:
        try:
            now - age
        except OverflowError:
            raise fail(f"--older-than: {older_than} reaches back before the year 1") from None
    with application.store.transaction() as repo:
        rows = list_queue(repo, wanted, now)
        total = count_queue(repo, wanted, now)
    if as_json:
        emit_json([row.as_dict(now) for row in rows])
        if len(rows) < total:  # the JSON stays a list; the cut is said where a person sees it
            errors.print(f"showing {len(rows)} of {total} records; --limit 0 lists them all")
        return
    render.queue_view(console, rows, now, total)


REF_HELP = "source/type/id, a source id, or an AutoCount document number."
Ref = Annotated[str, typer.Argument(help=REF_HELP)]


@app.command()
def trace(ref: Ref, workspace: Workspace = None,
          as_json: AsJson = False) -> None:
    """Everything that happened to one record, from intake to AutoCount."""
    application = opened(workspace)
    try:
        with application.store.transaction() as repo:
            found = build_trace(repo, ref)
    except ReviewError as error:
        raise fail(str(error)) from None
    if as_json:
        emit_json(found.as_dict())
    else:
        render.trace_view(console, found)


Reason = Annotated[str, typer.Option("--reason", "-r", help="Why, for the audit trail.")]


@app.command()
def release(ref: Ref, reason: Reason, workspace: Workspace = None, actor: Actor = None) -> None:
    """Let a held or waiting record through, with your reason."""
    application = opened(workspace)
    try:
        verdict = application.review.release(ref, actor_name(actor), reason)
    except ReviewError as error:
        raise fail(str(error)) from None
    console.print(f"{verdict.work.identity}: {verdict.outcome.value}", markup=False)


@app.command()
def reject(ref: Ref, reason: Reason, workspace: Workspace = None, actor: Actor = None) -> None:
    """This version will never sync (a newer version from the source re-opens it)."""
    application = opened(workspace)
    try:
        stored = application.review.reject(ref, actor_name(actor), reason)
    except ReviewError as error:
        raise fail(str(error)) from None
    console.print(f"{stored.identity}: rejected", markup=False)


@app.command()
def assign(ref: Ref, to: Annotated[str, typer.Option("--to", help="The person who owns it now.")],
           workspace: Workspace = None, actor: Actor = None) -> None:
    """Give a record to a named person."""
    application = opened(workspace)
    try:
        if application.people.users():
            # Once people sign in, a record goes only to someone who can work it, as on the
            # pages and the API; a workspace run from the terminal alone names anyone.
            to = application.people.assignable(to).username
        application.review.assign(ref, actor_name(actor), to)
    except (ReviewError, PeopleError) as error:
        raise fail(str(error)) from None
    console.print(f"{ref}: assigned to {to}", markup=False)


@app.command()
def comment(ref: Ref, text: Annotated[str, typer.Argument(help="The note.")],
            workspace: Workspace = None, actor: Actor = None) -> None:
    """Add a note to a record's trace."""
    application = opened(workspace)
    try:
        application.review.comment(ref, actor_name(actor), text)
    except ReviewError as error:
        raise fail(str(error)) from None
    console.print(f"{ref}: comment recorded", markup=False)


@app.command(name="map")
def map_code(
    table: Annotated[MappingTable, typer.Argument(help="Mapping table.")],
    source_code: Annotated[str, typer.Argument(help="The source's code or word.")],
    target_code: Annotated[str, typer.Argument(help="The AutoCount code.")],
    company: Annotated[str | None, typer.Option(help="Company (default: the only one).")] = None,
    reason: Annotated[str | None, typer.Option("--reason", "-r",
                                               help="Why, for the audit trail.")] = None,
    workspace: Workspace = None, actor: Actor = None,
) -> None:
    """Add a mapping; every record held only on it moves on at once."""
    application = opened(workspace)
    try:
        result = application.review.add_mapping(company or "", table, source_code, target_code,
                                                 actor_name(actor), reason)
    except (ReviewError, UnknownCompany) as error:
        raise fail(str(error)) from None
    replaced = f" (was -> {result.replaced})" if result.replaced else ""
    console.print(f"mapping {table.value} {source_code.strip()} -> {target_code} added{replaced}; "
                  f"{result.rechecked} records re-checked, {len(result.moved_on)} moved on",
                  markup=False)
    for identity in result.moved_on:
        console.print(f"  {identity}", highlight=False, markup=False)


@app.command()
def recheck(workspace: Workspace = None, actor: Actor = None,
            outcome: Annotated[list[Outcome] | None, typer.Option(
                help="Outcomes to re-check (default: held and waiting).")] = None) -> None:
    """Re-check open records as of now (waits expire, batch windows open)."""
    application = opened(workspace)
    verdicts = application.review.recheck(tuple(outcome or (Outcome.HELD, Outcome.WAITING)),
                                          actor=actor_name(actor), reason="re-check")
    moved = Counter(v.outcome.value for v in verdicts)
    console.print(f"{len(verdicts)} re-checked: " + ", ".join(f"{k} {v}" for k, v in moved.items()))


@master_app.command("load")
def master_load(
    paths: Annotated[list[Path], typer.Argument(
        metavar="FILE...", help="An XLSX or JSON export, or the CSV files of one export "
                                "(debtors.csv, items.csv, item_uoms.csv...), loaded together.")],
    company: Annotated[str | None, typer.Option(help="Company (default: the only one).")] = None,
    table: Annotated[str | None, typer.Option(
        help="For one CSV file whose name does not say its table: which table.")] = None,
    workspace: Workspace = None, actor: Actor = None,
) -> None:
    """Load AutoCount master data for a company. It replaces what was loaded before, as a
    whole: name every file of the export in one command."""
    application = opened(workspace)
    readable_files(paths, "*.csv")
    if table is not None and len(paths) > 1:
        raise fail("--table names the table of one CSV file; with several, name each file "
                   "after its table (debtors.csv, items.csv, item_uoms.csv...)")
    try:
        master, rechecked = load_master(application.store, application.directory, company,
                                        paths, application.clock(), actor_name(actor), table)
    except (MasterDataError, UnknownCompany, UnsupportedFile) as error:
        raise fail(str(error)) from None
    except OSError as error:
        raise fail(f"{error.filename}: cannot be read: {error.strerror or error}") from None
    counts = master.counts()
    console.print("master data loaded: " + ", ".join(f"{v} {k}" for k, v in counts.items())
                  + f"; {rechecked} open records re-checked")
    empty = [name for name, count in counts.items() if not count]
    if empty and all(path.suffix.lower() == ".csv" for path in paths):
        errors.print(f"note: no {', '.join(empty)} in these files, so the company now has "
                     "none; master data is replaced as a whole: name every CSV file of the "
                     "export in one `acgate master load`", highlight=False, markup=False)


@rules_app.command("check")
def rules_check(path: Annotated[Path, typer.Argument(
        help="A rules file (.yaml, .yml or .toml), such as rules/acme.yaml.")]) -> None:
    """Validate a rules file; explain the first error with its line."""
    try:
        rules = load_rules(path)
    except RulesFileError as error:
        raise fail(str(error)) from None
    if path.suffix.lower() not in RULES_SUFFIXES:
        # The workspace reads only these: a valid `acme.json` in rules/ would be left out.
        raise fail(f"{path}: the settings are valid, but a workspace reads only rules files "
                   f"ending in {', '.join(RULES_SUFFIXES)}; rename it to "
                   f"{path.with_suffix('.yaml').name}")
    console.print(f"{path}: rules for company {rules.company} are valid", markup=False)


@rules_app.command("explain")
def rules_explain(company: Annotated[str | None, typer.Option(
                      help="Company (default: the only one).")] = None,
                  workspace: Workspace = None, as_json: AsJson = False) -> None:
    """Print the effective rules of a company, mappings added by people included."""
    application = opened(workspace)
    try:
        name = application.directory.company_of(company)
    except UnknownCompany as error:
        raise fail(str(error)) from None
    with application.store.transaction() as repo:
        effective = application.directory.get(repo, name).rules
    if as_json:
        emit_json(rules_as_dict(effective))
    else:
        console.print(explain_rules(effective), highlight=False, markup=False, soft_wrap=True)


def full_app() -> typer.Typer:
    """The command with every subcommand registered (some live in their own modules)."""
    import acgate.cli.demo
    import acgate.cli.sandbox
    import acgate.cli.serve
    import acgate.cli.users
    import acgate.cli.worker  # noqa: F401

    return app


def main() -> None:
    full_app()()
