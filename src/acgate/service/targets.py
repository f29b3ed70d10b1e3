"""Each company's AutoCount target, built from its rules (secrets from the environment)."""

from __future__ import annotations

import os
from pathlib import Path

from acgate.autocount.bridge import BridgeClient, BridgeSettings
from acgate.autocount.cloud import CLOUD_URL, CloudClient, CloudSettings
from acgate.autocount.http import Timeouts
from acgate.autocount.target import Target
from acgate.autocount.xlsx import XlsxSettings, XlsxTarget
from acgate.domain.rules import CompanyRules, TargetKind


class TargetNotConfigured(ValueError):
    pass


def _secret(rules: CompanyRules, variable: str | None, what: str) -> str:
    if not variable:
        raise TargetNotConfigured(
            f"{rules.company}: autocount.{what}_env names no environment variable for the {what}")
    value = os.environ.get(variable)
    if not value:
        raise TargetNotConfigured(f"{rules.company}: the environment variable {variable} "
                                  f"(autocount.{what}_env) is not set")
    return value


def build_target(rules: CompanyRules, root: Path) -> Target:
    settings = rules.autocount
    seconds = settings.timeout.total_seconds()
    timeouts = Timeouts(connect=min(seconds, 5.0), read=seconds, write=seconds, pool=5.0)
    if settings.kind is TargetKind.XLSX:
        folder = Path(settings.folder or "autocount-import")
        return XlsxTarget(XlsxSettings(folder=folder if folder.is_absolute() else root / folder,
                                       remark_field=settings.remark_field))
    if not settings.base_url and settings.kind is TargetKind.BRIDGE:
        raise TargetNotConfigured(f"{rules.company}: autocount.base_url is not set")
    if settings.kind is TargetKind.BRIDGE:
        return BridgeClient(BridgeSettings(
            base_url=settings.base_url or "", timeouts=timeouts,
            remark_field=settings.remark_field,
            api_key=_secret(rules, settings.api_key_env, "api_key")))
    if not settings.book or not settings.book.isdigit():
        raise TargetNotConfigured(f"{rules.company}: autocount.book must be the Cloud account "
                                  "book id (a number)")
    cloud = CloudSettings(
        book_id=int(settings.book), key_id=_secret(rules, settings.key_id_env, "key_id"),
        api_key=_secret(rules, settings.api_key_env, "api_key"), timeouts=timeouts,
        remark_field=settings.remark_field, base_url=settings.base_url or CLOUD_URL,
    )
    return CloudClient(cloud)


class TargetDirectory:
    """One target object per company, built on first use."""

    def __init__(self, rules: dict[str, CompanyRules], root: Path) -> None:
        self.rules = rules
        self.root = root
        self._built: dict[str, Target] = {}

    def __call__(self, company: str) -> Target:
        if company not in self._built:
            self._built[company] = build_target(self.rules[company], self.root)
        return self._built[company]
