"""Schemathesis against the published OpenAPI document, signed in as an integration admin (who
may call every route): no answer is a server error, every status is documented, and every body
fits its schema."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import Case, GenerationMode
from schemathesis.checks import (
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from acgate.autocount.memory import MemoryTarget
from acgate.bootstrap import App
from acgate.http.app import create_app
from acgate.service.dispatch import Dispatcher
from acgate.sources.records import RawRecord
from integration.support import Clock, line, order

from .conftest import open_workspace, signed_in


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[App, dict[str, str]]]:
    """A workspace with records in every state the answers describe: held with suggestions,
    waiting, synced with its sync attempts; and the admin's session headers."""
    clock = Clock()
    with pytest.MonkeyPatch.context() as environment:
        # Module-scoped, so the per-test clean environment comes too late for opening it.
        environment.delenv("ACGATE_DATABASE_URL", raising=False)
        app = open_workspace(tmp_path_factory.mktemp("openapi") / "ws", clock)
    documents = [order("SO-1", lines=[line(uom="carton", qty="1", unit_price="140.00")]),
                 order("SO-2", status="draft"), order("SO-3"),
                 order("SO-4", lines=[line(qty="-1")])]
    app.intake.ingest([RawRecord(f"seed {n}", doc) for n, doc in enumerate(documents, 1)])
    Dispatcher(app.store, app.directory, lambda _: MemoryTarget(), clock).run_once()
    clock.advance(dt.timedelta(hours=1))
    app.people.add_key("shop", "setup")
    client = signed_in(create_app(app), "ian")
    headers = {"Cookie": f"acgate_session={client.cookies['acgate_session']}",
               "X-CSRF-Token": client.headers["X-CSRF-Token"]}
    yield app, headers
    client.close()
    app.store.engine.dispose()


def _described(failure: BaseException) -> str:
    if isinstance(failure, BaseExceptionGroup):
        return "\n".join(_described(each) for each in failure.exceptions)
    return str(failure)


MODES = {GenerationMode.POSITIVE: 30, GenerationMode.NEGATIVE: 15}
CHECKS = [not_a_server_error, status_code_conformance, response_schema_conformance]
# Signing out would end the session every other case runs in.
SKIPPED = {"DELETE /api/v1/session"}


@pytest.mark.parametrize("mode", MODES, ids=lambda mode: mode.value)
def test_the_api_keeps_its_openapi_promises(seeded: tuple[App, dict[str, str]],
                                            mode: GenerationMode) -> None:
    app, headers = seeded
    schema = schemathesis.openapi.from_asgi("/api/openapi.json", create_app(app))
    broken: list[str] = []
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) > 25
    for operation in operations:
        if operation.label in SKIPPED:
            continue

        @given(case=operation.as_strategy(generation_mode=mode))
        @settings(max_examples=MODES[mode], derandomize=True, deadline=None, database=None,
                  suppress_health_check=list(HealthCheck))
        def keeps_promises(case: Case) -> None:
            case.call_and_validate(headers=headers, checks=CHECKS)

        try:
            keeps_promises()
        except Unsatisfiable:
            # An operation with no parameter or body that can be wrong has no negative case.
            assert mode is GenerationMode.NEGATIVE, operation.label
        except Exception as failure:  # each operation's failure is reported, not the first
            broken.append(f"{operation.label}: {_described(failure)}")
    assert not broken, "\n\n".join(broken)


def test_every_error_answer_is_documented_with_the_error_shape(anonymous: TestClient) -> None:
    document = anonymous.get("/api/openapi.json").json()
    shapes = {
        (f"{method.upper()} {path}", status): response["content"]["application/json"]["schema"]
        for path, operations in document["paths"].items()
        for method, operation in operations.items()
        for status, response in operation["responses"].items() if int(status) >= 400
    }
    assert shapes
    assert {key for key, shape in shapes.items()
            if shape != {"$ref": "#/components/schemas/Error"}} == set()
