"""How the CLI shows records to a person: rich tables and timelines."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from acgate.service.ingest import IngestReport
from acgate.service.trace import Trace
from acgate.storage.queue import QueueRow

OUTCOME_STYLE = {"held": "bold red", "waiting": "yellow", "ready": "green", "synced": "cyan",
                 "tracked": "blue", "rejected": "dim", "superseded": "dim"}


def plain(value: object) -> str:
    """A value from a source system or a person, shown as written: `[/b]` in a document id,
    a party name or a reason is text, not rich markup (which would hide it or crash)."""
    return escape(str(value))


def age_text(delta: dt.timedelta) -> str:
    hours = delta.total_seconds() / 3600
    return f"{hours:.0f}h" if hours < 48 else f"{hours / 24:.0f}d"


def ingest_report(console: Console, report: IngestReport, title: str = "Intake") -> None:
    console.print(
        f"[bold]{plain(title)}[/]: {report.received} received, {report.new_versions} new versions "
        f"({report.new_documents} new documents), {report.redeliveries} redeliveries, "
        f"{report.stale} stale, {report.refused} refused"
    )
    if report.outcomes:
        console.print("  outcomes: " + ", ".join(
            f"[{OUTCOME_STYLE.get(k, '')}]{k}[/] {v}" for k, v in sorted(report.outcomes.items())))
    for problem in report.problems[:20]:
        console.print(f"  [red]x[/] {plain(problem)}", highlight=False)
    if report.problem_count > 20:
        console.print(f"  ... and {report.problem_count - 20} more problems (use --json)")


def codes_table(title: str, counts: Counter[tuple[str, str]]) -> Table:
    table = Table(title=title)
    table.add_column("code")
    table.add_column("owner")
    table.add_column("records", justify="right")
    for (code, owner), count in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])):
        table.add_row(plain(code), plain(owner), str(count))
    return table


# Below this width a table of six columns leaves the codes a few letters each: a record per
# line, with its codes beneath, reads better (80 columns is many terminals' default).
_TABLE_WIDTH = 110


def queue_view(console: Console, rows: list[QueueRow], now: dt.datetime, total: int) -> None:
    """The holding area: a table where the terminal is wide enough, else a record per line."""
    if console.width >= _TABLE_WIDTH:
        console.print(queue_table(rows, now, total))
        return
    console.print(f"[bold]Holding area: {len(rows)} of {total} records[/]")
    for row in rows:
        outcome = row.outcome.value
        # The reference is copied into `acgate trace`: it leads its line and is never broken.
        console.print(f"{plain(row.identity)}  v{row.version or '-'}  "
                      f"[{OUTCOME_STYLE[outcome]}]{outcome}[/]  {plain(_owner(row))}  "
                      f"{age_text(row.age(now))}", highlight=False, soft_wrap=True)
        console.print(f"    {_held_by(row)}", highlight=False, markup=False)


def queue_table(rows: list[QueueRow], now: dt.datetime, total: int) -> Table:
    table = Table(title=f"Holding area: {len(rows)} of {total} records", show_lines=False)
    for column in ("record", "v", "outcome", "owner", "age", "findings"):
        # A record's reference is copied into `acgate trace`: it is never broken over lines
        # (the owner and the findings wrap instead).
        table.add_column(column, overflow="fold", no_wrap=column in ("record", "v", "age"))
    for row in rows:
        table.add_row(plain(row.identity), str(row.version or "-"),
                      f"[{OUTCOME_STYLE[row.outcome.value]}]{row.outcome.value}[/]",
                      plain(_owner(row)), age_text(row.age(now)), _held_by(row))
    return table


def _owner(row: QueueRow) -> str:
    return (row.owner or "-") + (f" ({row.assignee})" if row.assignee else "")


def _held_by(row: QueueRow) -> str:
    """The codes that keep the record where it is (ready notes do not)."""
    return ", ".join(dict.fromkeys(f.code.value for f in row.findings
                                   if f.outcome.value != "ready")) or "-"


def trace_view(console: Console, trace: Trace) -> None:
    data = trace.as_dict()
    style = OUTCOME_STYLE.get(data["outcome"], "")
    console.rule(f"[bold]{plain(data['identity'])}[/]")
    console.print(f"company {plain(data['company'])} · outcome [{style}]{data['outcome']}[/] · "
                  f"owner {plain(data['owner'] or '-')} · assignee {plain(data['assignee'] or '-')}"
                  f" · AutoCount {plain(data['autocount_doc_no'] or '(not synced)')} · "
                  "changed after sync: "
                  f"{'yes' if data['changed_after_sync'] else 'no'}", highlight=False)
    _versions(console, data["versions"])
    _findings(console, data["findings"])
    _mapping(console, data)
    _duplicates_and_ledger(console, data)
    if data["sync_attempts"]:
        table = Table(title="Sync attempts")
        for column in ("at", "worker", "action", "result", "AutoCount", "message"):
            table.add_column(column, overflow="fold")
        for a in data["sync_attempts"]:
            table.add_row(*(plain(value) for value in (
                a["at"], a["worker"] or "-", a["action"], a["result"], a["doc_no"] or "-",
                a["message"] or "")))
        console.print(table)
    console.print("[bold]Timeline[/]")
    for event in data["events"]:
        extra = event["data"]
        moved = ""
        if extra.get("previous_outcome") != extra.get("outcome") and extra.get("outcome"):
            moved = f" [{extra.get('previous_outcome') or 'new'} -> {extra['outcome']}]"
        console.print(f"  {event['at']}  {event['actor']:<18} {event['kind']:<14} "
                      f"{event['reason'] or ''}{moved}", highlight=False, markup=False)


def _versions(console: Console, versions: list[dict[str, Any]]) -> None:
    table = Table(title="Versions received")
    for column in ("version", "received", "from", "status", "approval", "state", "outcome"):
        table.add_column(column, overflow="fold")
    for v in versions:
        approval = v["approval"]
        approved = f"{approval.get('by')} for v{approval.get('version')}" if approval else "-"
        table.add_row(*(plain(value) for value in (
            v["version"] or v["updated_at"], v["received_at"], v["origin"] or "-",
            v["status"] or "-", approved, v["state"] + (" (synced)" if v["synced"] else ""),
            v["outcome"] or "-")))
    console.print(table)


def _findings(console: Console, findings: list[dict[str, Any]]) -> None:
    if not findings:
        console.print("[green]No findings: every check passed.[/]")
        return
    console.print("[bold]Findings[/]")
    for f in findings:
        style = OUTCOME_STYLE.get(f["outcome"], "")
        released = f", released by {f['released_by']}" if f.get("released_by") else ""
        console.print(f"  [{style}]{f['code']}[/] "
                      + plain(f"({f['gap']}, owner {f['owner']}{released}): {f['message']}"),
                      highlight=False)
        if f.get("field"):
            console.print(f"      {_field_line(f)}", highlight=False, markup=False)
        for s in f.get("suggestions", []):
            console.print(f"      -> {s['label']}", highlight=False, markup=False)


def _field_line(finding: dict[str, Any]) -> str:
    """`field lines[0].uom_rate: source 12 expected 24`, leaving out what is not known (a
    finding with no source value or no expected value does not print `None`)."""
    known = [f"{label} {finding[key]}" for key, label in (("source_value", "source"),
                                                          ("expected", "expected"))
             if finding.get(key) is not None]
    return f"field {finding['field']}" + (": " + " ".join(known) if known else "")


def _mapping(console: Console, data: dict[str, Any]) -> None:
    if data["mapped"]:
        table = Table(title="Mapped into AutoCount")
        for column in ("field", "source", "AutoCount", "by"):
            table.add_column(column, overflow="fold")
        for m in data["mapped"]:
            table.add_row(*(plain(value) for value in (
                m["field"], m["source_value"] or "(none)", m["autocount_value"], m["rule"])))
        console.print(table)
    if data["conversions"]:
        table = Table(title="UOM conversion")
        for column in ("field", "item", "source UOM", "alias", "AutoCount UOM",
                       "AutoCount rate", "source rate", "qty", "base qty"):
            table.add_column(column, overflow="fold")
        for c in data["conversions"]:
            table.add_row(*(plain(value) for value in (
                c["field"], c["item"], c["source_uom"], c["alias"] or "-", c["autocount_uom"],
                c["autocount_rate"], c["source_rate"] or "-", c["qty"],
                f"{c['base_qty']} {c['base_uom']}")))
        console.print(table)


def _duplicates_and_ledger(console: Console, data: dict[str, Any]) -> None:
    for check in data["duplicate_checks"]:
        found = ", ".join(check["found"]) or "none found"
        console.print(f"  duplicate check ({check['kind']}): {found}", highlight=False,
                      markup=False)
    ledger = data["fulfilment"]
    for entry in ledger["fulfils"]:
        console.print(f"  line {entry['line']} {entry['relation']}s {entry['target']} line "
                      f"{entry['target_line']}: {entry['base_qty']} base units", highlight=False,
                      markup=False)
    for relation, lines in ledger["fulfilled_by"].items():
        shown = ", ".join(f"line {line}: {qty}" for line, qty in lines.items())
        console.print(f"  {relation} against this document: {shown}", highlight=False,
                      markup=False)
