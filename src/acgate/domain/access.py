"""Who may do what: the four roles, the actions the faces (CLI, REST API, web pages) offer, and
which findings land in a person's queue.

A role works for the finding owners named in `WORKS_FOR`; "my queue" is every record owned by one
of those, or assigned to me by name. What a role may *do* does not depend on the owner: an
operations clerk may release an accounts record, and the trace says who did.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum


class Role(StrEnum):
    VIEWER = "viewer"
    OPERATIONS = "operations"
    ACCOUNTS = "accounts"
    INTEGRATION_ADMIN = "integration_admin"


class Action(StrEnum):
    VIEW = "view"
    ASSIGN = "assign"
    COMMENT = "comment"
    RELEASE = "release"
    REJECT = "reject"
    MAP = "map"  # add a mapping from a finding's suggestion
    RETRY = "retry"
    INGEST = "ingest"  # a person uploading a file; sources ingest with their API key instead
    MANAGE_RULES = "manage_rules"
    MANAGE_MAPPINGS = "manage_mappings"  # the mappings editor: any table, any code
    MANAGE_USERS = "manage_users"
    MANAGE_SOURCES = "manage_sources"


_REVIEW = frozenset({Action.VIEW, Action.ASSIGN, Action.COMMENT, Action.RELEASE, Action.REJECT,
                     Action.MAP, Action.INGEST})

PERMISSIONS: Mapping[Role, frozenset[Action]] = {
    Role.VIEWER: frozenset({Action.VIEW}),
    Role.OPERATIONS: _REVIEW,
    # Accounts own refused syncs (a locked period, a rejected document): they retry them.
    Role.ACCOUNTS: _REVIEW | {Action.RETRY, Action.MANAGE_MAPPINGS},
    Role.INTEGRATION_ADMIN: frozenset(Action),
}

# The finding owners (domain.codes.Owner values) each role works for.
WORKS_FOR: Mapping[Role, frozenset[str]] = {
    Role.VIEWER: frozenset(),
    Role.OPERATIONS: frozenset({"operations"}),
    Role.ACCOUNTS: frozenset({"accounts"}),
    Role.INTEGRATION_ADMIN: frozenset({"integration"}),
}


class Forbidden(PermissionError):
    """The person is known but their role does not allow the action."""


def can(role: Role, action: Action) -> bool:
    """Whether `role` may take `action`."""
    return action in PERMISSIONS[role]


def roles_that_may(action: Action) -> list[Role]:
    """The roles that may take `action`, least powerful first."""
    return [role for role in Role if can(role, action)]


@dataclass(frozen=True, slots=True)
class Principal:
    """A signed-in person as the faces see them: a name for the audit trail and a role."""

    username: str
    role: Role

    def can(self, action: Action) -> bool:
        """Whether this person may take `action`."""
        return can(self.role, action)

    def require(self, action: Action) -> None:
        """Raise `Forbidden` unless this person may take `action`."""
        if not self.can(action):
            raise Forbidden(f"{self.username} ({self.role.value}) may not {action.value}; "
                            "ask an integration admin for a role that may")

    @property
    def queue_owners(self) -> frozenset[str]:
        """The finding owners whose records are in this person's queue."""
        return WORKS_FOR[self.role]

    def in_queue(self, owner: str | None, assignee: str | None) -> bool:
        """Whether a record with this owner and assignee is in this person's queue."""
        return assignee == self.username or (owner is not None and owner in self.queue_owners)
