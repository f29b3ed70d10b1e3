"""Each company's rules, AutoCount master data and people's mappings, assembled for the checks."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from acgate.checks.context import Company
from acgate.domain.masterdata import MasterData
from acgate.domain.rules import CompanyRules
from acgate.storage.repository import Repository


class UnknownCompany(LookupError):
    pass


class CompanyDirectory:
    """Builds a `Company` once and reuses it until its mappings or master data change, in this
    process or another."""

    def __init__(self, rules: dict[str, CompanyRules],
                 master_from_json: Callable[[dict[str, Any]], MasterData]) -> None:
        self.rules = rules
        self._master_from_json = master_from_json
        self._built: dict[str, tuple[int, CompanyRules, Company]] = {}

    def default(self) -> str | None:
        """The company a document without `company` belongs to: the only one configured."""
        return next(iter(self.rules)) if len(self.rules) == 1 else None

    def company_of(self, declared: str | None) -> str:
        company = declared or self.default()
        if company is None:
            raise UnknownCompany(
                f"no company is named and {len(self.rules)} are configured "
                f"({', '.join(sorted(self.rules)) or 'none'}); name one: `company` in what a "
                "source sends or an API request, `--company` on the command line"
            )
        if company not in self.rules:
            raise UnknownCompany(
                f"company {company!r} has no rules file; add rules/{company}.yaml or use one of "
                f"{', '.join(sorted(self.rules)) or '(none configured)'}"
            )
        return company

    def get(self, repo: Repository, company: str) -> Company:
        """The company as the holding area has it now: built again once another process (or
        this one) changed its mappings or master data, or its rules were loaded again."""
        version, rules = repo.company_version(company), self.rules[company]
        built = self._built.get(company)
        if built is None or built[0] != version or built[1] is not rules:
            data = repo.master_data(company)
            master = self._master_from_json(data) if data else MasterData()
            company_now = Company.build(rules.with_mappings(repo.runtime_mappings(company)),
                                        master)
            built = self._built[company] = (version, rules, company_now)
        return built[2]

    def lookup(self, repo: Repository) -> Callable[[str], Company]:
        """Each company asked for once: one batch is checked against one state of it."""
        seen: dict[str, Company] = {}

        def company_of(company: str) -> Company:
            found = seen.get(company)
            if found is None:
                found = seen[company] = self.get(repo, company)
            return found

        return company_of
