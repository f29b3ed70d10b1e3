"""Errors as the API answers them: JSON with the record, the field and the fix, and a status
that says whose move it is. Service errors are translated here, at the edge, so the services
stay free of HTTP."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response

from acgate.api.models import Error, Problem
from acgate.service.companies import UnknownCompany
from acgate.service.people import PeopleError
from acgate.service.review import ReviewError, UnknownDocument
from acgate.sources.masterdata import MasterDataError
from acgate.sources.records import UnsupportedFile

_MEANING = {
    400: "the body cannot be read: not UTF-8 JSON, or a broken multipart form",
    401: "not signed in, or the API key or webhook signature is missing or wrong",
    403: "signed in, but the role may not do this, or the CSRF token is missing",
    404: "no such record, company, user or key",
    409: "the record, user or key is not in a state that allows this",
    413: "the request body is too large",
    415: "the file's format, or the body's content type, is not one acgate reads",
    422: "the request does not fit the API; `problems` names each field",
    429: "too many failed sign-ins with this username; `Retry-After` says how many seconds to "
         "wait",
}
# Headers an error status always carries, as OpenAPI describes them.
_HEADERS: dict[int, dict[str, Any]] = {
    429: {"Retry-After": {"description": "seconds until the username may sign in again",
                          "schema": {"type": "integer"}}},
}


class ApiProblem(Exception):
    """Raised by a route; answered as `Error` JSON with `status`."""

    def __init__(self, status: int, error: str, *, fix: str | None = None,
                 record: str | None = None, problems: Sequence[Problem] = (),
                 headers: Mapping[str, str] | None = None) -> None:
        super().__init__(error)
        self.status = status
        self.headers = headers
        self.body = Error(error=error, fix=fix, record=record, problems=list(problems) or None)


def errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses` for the error statuses a route can answer, each with `Error`."""
    return {status: _response(status) for status in statuses}


def _response(status: int) -> dict[str, Any]:
    response: dict[str, Any] = {"model": Error, "description": _MEANING[status]}
    if status in _HEADERS:
        response["headers"] = _HEADERS[status]
    return response


@contextmanager
def answering(record: str | None = None, refused: int = 409) -> Iterator[None]:
    """Turn the services' errors into `ApiProblem`s. `refused` is the status of an action the
    record's state does not allow (409), or of input the service found wrong (422)."""
    try:
        yield
    except UnknownDocument as error:
        raise ApiProblem(404, str(error), record=record,
                         fix="use source/type/id as the queue shows it") from None
    except ReviewError as error:
        raise ApiProblem(refused, str(error), record=record) from None
    except UnknownCompany as error:
        raise ApiProblem(404, str(error), fix="GET /api/v1/companies lists them") from None
    except PeopleError as error:
        raise ApiProblem(refused, str(error), record=record) from None
    except UnsupportedFile as error:
        raise ApiProblem(415, str(error), fix="send JSON, JSON Lines, CSV or XLSX") from None
    except MasterDataError as error:
        problems = [Problem(field=p.field, problem=p.problem, fix=p.fix, record=p.where)
                    for p in error.problems]
        raise ApiProblem(422, f"the master data has {len(problems)} problems; nothing was "
                              "loaded", fix="correct each row named and upload the file again",
                         problems=problems) from None


def register_errors(api: FastAPI) -> None:
    async def problem(_: Request, error: Exception) -> Response:
        assert isinstance(error, ApiProblem)
        return JSONResponse(error.body.model_dump(exclude_none=True), status_code=error.status,
                            headers=error.headers)

    api.add_exception_handler(ApiProblem, problem)
