"""The AutoCount sandbox: one local book served in both HTTP profiles of
contract/autocount-api.md (Cloud and bridge), with AutoCount's rules and switchable faults."""

from acgate.sandbox.app import SandboxApp, create_app
from acgate.sandbox.config import (
    BookConfig,
    DocKind,
    FaultSettings,
    Period,
    SandboxConfig,
    load_book_config,
)
from acgate.sandbox.faults import ConnectionDropped
from acgate.sandbox.server import RunningSandbox, run_in_thread, serve

__all__ = [
    "BookConfig",
    "ConnectionDropped",
    "DocKind",
    "FaultSettings",
    "Period",
    "RunningSandbox",
    "SandboxApp",
    "SandboxConfig",
    "create_app",
    "load_book_config",
    "run_in_thread",
    "serve",
]
