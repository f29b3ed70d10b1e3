"""`acgate sandbox`: a local AutoCount book serving both HTTP profiles, for trying acgate
without AutoCount."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from pydantic import ValidationError

from acgate.cli.app import app, console, fail
from acgate.sandbox import SandboxConfig, load_book_config, serve
from acgate.sandbox.config import BookConfig
from acgate.sources.masterdata import MasterDataError, load_master_data
from acgate.sources.records import UnsupportedFile


@app.command()
def sandbox(
    master: Annotated[Path, typer.Option(
        help="AutoCount master data (JSON, XLSX or CSV) the book is seeded with.",
        exists=True, dir_okay=False)],
    port: Annotated[int, typer.Option(help="Port on 127.0.0.1.")] = 8765,
    data: Annotated[Path | None, typer.Option(
        help="Folder for the book's SQLite file; without it the book lives in memory.",
        file_okay=False)] = None,
    book: Annotated[Path | None, typer.Option(
        help="Book config (YAML or JSON): numbering, fiscal years, locked periods, keys.",
        exists=True, dir_okay=False)] = None,
    seed: Annotated[int, typer.Option(help="Seed for faults and the listing's order.")] = 0,
    rate_limit: Annotated[int, typer.Option(
        help="Cloud calls a minute per key; 0 turns the limit off.", min=0)] = 100,
) -> None:
    """Serve an AutoCount sandbox book on 127.0.0.1: the Cloud API at /{book}/..., the bridge
    at /api/..., and /_admin for faults, manual edits and a dump of every document."""
    try:
        master_data = load_master_data(master)
        book_config = load_book_config(book) if book is not None else BookConfig()
    except (MasterDataError, UnsupportedFile, ValidationError, ValueError) as error:
        raise fail(str(error)) from None
    config = SandboxConfig(master=master_data, book=book_config, data_dir=data, seed=seed,
                           rate_limit=rate_limit)
    base = f"http://127.0.0.1:{port}"
    key_id, api_key = next(iter(book_config.cloud_keys.items()), ("-", "-"))
    console.print(f"Cloud  {base}/{book_config.book_id}/invoice   Key-ID {key_id}  "
                  f"API-Key {api_key}", highlight=False)
    bridge_keys = ", ".join(sorted(book_config.bridge_keys))
    console.print(f"Bridge {base}/api/Invoice   X-API-KEY {bridge_keys}", highlight=False)
    console.print(f"Book   {data / 'sandbox.db' if data else 'in memory'}", highlight=False)
    serve(config, port)
