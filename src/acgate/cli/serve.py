"""`acgate serve`: the REST API and the pages, in one process."""

from __future__ import annotations

from typing import Annotated

import typer
import uvicorn

from acgate.cli.app import Workspace, app, opened
from acgate.http.app import create_app


@app.command()
def serve(workspace: Workspace = None,
          host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
          port: Annotated[int, typer.Option()] = 8000) -> None:
    """Serve the holding area in the browser and over HTTP (SQLite by default)."""
    uvicorn.run(create_app(opened(workspace)), host=host, port=port, log_level="info")
