"""Who may do what, and whose records are in whose queue: the permission matrix, spelled out."""

from __future__ import annotations

import pytest

from acgate.domain.access import (
    PERMISSIONS,
    Action,
    Forbidden,
    Principal,
    Role,
    can,
    roles_that_may,
)
from acgate.web.errors import DOING

_V, _OPS, _ACC, _ADM = Role.VIEWER, Role.OPERATIONS, Role.ACCOUNTS, Role.INTEGRATION_ADMIN

# The matrix as a reviewer reads it: each action and the roles that may take it.
MATRIX: dict[Action, set[Role]] = {
    Action.VIEW: {_V, _OPS, _ACC, _ADM},
    Action.ASSIGN: {_OPS, _ACC, _ADM},
    Action.COMMENT: {_OPS, _ACC, _ADM},
    Action.RELEASE: {_OPS, _ACC, _ADM},
    Action.REJECT: {_OPS, _ACC, _ADM},
    Action.MAP: {_OPS, _ACC, _ADM},
    Action.INGEST: {_OPS, _ACC, _ADM},
    Action.RETRY: {_ACC, _ADM},
    Action.MANAGE_MAPPINGS: {_ACC, _ADM},
    Action.MANAGE_RULES: {_ADM},
    Action.MANAGE_USERS: {_ADM},
    Action.MANAGE_SOURCES: {_ADM},
}


def test_the_matrix_names_every_action() -> None:
    assert set(MATRIX) == set(Action)
    assert set(PERMISSIONS) == set(Role)


@pytest.mark.parametrize("role", list(Role))
@pytest.mark.parametrize("action", list(Action))
def test_each_role_may_take_exactly_its_actions(role: Role, action: Action) -> None:
    assert can(role, action) is (role in MATRIX[action])
    assert Principal("someone", role).can(action) is (role in MATRIX[action])


@pytest.mark.parametrize("action", list(Action))
def test_the_roles_that_may_take_an_action_are_the_matrixs_least_powerful_first(
        action: Action) -> None:
    assert roles_that_may(action) == [role for role in Role if role in MATRIX[action]]


def test_a_refusal_page_can_word_every_action() -> None:
    assert set(DOING) == set(Action)


def test_a_viewer_may_only_look() -> None:
    assert PERMISSIONS[Role.VIEWER] == {Action.VIEW}


def test_an_integration_admin_may_do_everything() -> None:
    assert PERMISSIONS[Role.INTEGRATION_ADMIN] == set(Action)


def test_require_refuses_with_who_and_what() -> None:
    viewer = Principal("siti", Role.VIEWER)

    viewer.require(Action.VIEW)
    with pytest.raises(Forbidden, match=r"siti \(viewer\) may not release"):
        viewer.require(Action.RELEASE)


@pytest.mark.parametrize(("role", "owners"), [
    (Role.VIEWER, set()),
    (Role.OPERATIONS, {"operations"}),
    (Role.ACCOUNTS, {"accounts"}),
    (Role.INTEGRATION_ADMIN, {"integration"}),
])
def test_each_role_works_for_its_owner(role: Role, owners: set[str]) -> None:
    assert Principal("someone", role).queue_owners == owners


def test_my_queue_is_my_roles_records_and_those_assigned_to_me() -> None:
    mei = Principal("mei.ling", Role.ACCOUNTS)

    assert mei.in_queue("accounts", None)
    assert mei.in_queue("accounts", "ahmad")  # still an accounts record
    assert mei.in_queue("operations", "mei.ling")
    assert not mei.in_queue("operations", None)
    assert not mei.in_queue("operations", "ahmad")
    assert not mei.in_queue(None, None)
    assert not mei.in_queue("-", None)  # nobody owns a scheduled batch


def test_a_viewer_has_no_queue_of_their_own_but_what_is_assigned() -> None:
    viewer = Principal("siti", Role.VIEWER)

    assert not viewer.in_queue("accounts", None)
    assert viewer.in_queue("accounts", "siti")
