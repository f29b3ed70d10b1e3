"""acgate's ways into AutoCount: the Cloud API, the on-premise bridge, and import workbooks.

Every target implements `Target`; what an answer means for the record is one of the errors
below. `precheck` finds predictable refusals before anything is sent.
"""

from acgate.autocount.bridge import BridgeClient, BridgeSettings
from acgate.autocount.cloud import CloudClient, CloudSettings
from acgate.autocount.errors import (
    Duplicate,
    InDoubt,
    RateLimited,
    Rejected,
    TargetError,
    TargetPaused,
    Unavailable,
    Unsupported,
)
from acgate.autocount.http import Timeouts
from acgate.autocount.payloads import json_bytes
from acgate.autocount.precheck import precheck
from acgate.autocount.ratelimit import RateBudget, RateLimit
from acgate.autocount.target import Accepted, RemoteDocument, RemoteLine, Target
from acgate.autocount.xlsx import XlsxSettings, XlsxTarget

__all__ = [
    "Accepted",
    "BridgeClient",
    "BridgeSettings",
    "CloudClient",
    "CloudSettings",
    "Duplicate",
    "InDoubt",
    "RateBudget",
    "RateLimit",
    "RateLimited",
    "Rejected",
    "RemoteDocument",
    "RemoteLine",
    "Target",
    "TargetError",
    "TargetPaused",
    "Timeouts",
    "Unavailable",
    "Unsupported",
    "XlsxSettings",
    "XlsxTarget",
    "json_bytes",
    "precheck",
]
