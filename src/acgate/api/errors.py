"""Errors as the API answers them: JSON with the record, the field and the fix, and a status
that says whose move it is. Service errors are translated here, at the edge, so the services
stay free of HTTP."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException

from acgate.api.models import Error, Problem
from acgate.domain.access import roles_that_may
from acgate.http.auth import CsrfRefused, Refused
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
        raise ApiProblem(refused, str(error), record=record, fix=_where_it_stands(record)) \
            from None
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


def _where_it_stands(record: str | None) -> str | None:
    """The way to see what a record's state allows, for an action it refused."""
    if record is None:
        return None
    return (f"GET {_API}/documents/{record} shows where the record stands, its findings and "
            "their ways out")


_API = "/api/v1"
_OPENAPI = "GET /api/openapi.json (or /api/docs) lists every route and what it takes"


def http_error(request: Request, error: HTTPException) -> JSONResponse:
    """An HTTP error raised by the framework or the sign-in checks, as the API answers every
    error: what is wrong and the fix."""
    status, detail = error.status_code, str(error.detail)
    fix: str | None = None
    if isinstance(error, Refused):
        roles = ", ".join(role.value for role in roles_that_may(error.action))
        fix = (f"only {roles} may {error.action.value}; an integration admin gives a role with "
               f"PUT {_API}/users/{{username}}/role")
    elif isinstance(error, CsrfRefused):
        detail = "the request carries no valid CSRF token"
        fix = (f"send the `csrf_token` that POST {_API}/session or GET {_API}/me answers, as "
               "the X-CSRF-Token header")
    elif status == 404 and detail == "Not Found":
        detail = f"there is no route {request.method} {request.url.path}"
        fix = _OPENAPI
    elif status == 405:
        allow = (error.headers or {}).get("Allow", "")
        detail = f"{request.url.path} does not take {request.method}"
        fix = (f"use {allow} on it; " if allow else "") + _OPENAPI
    body = Error(error=detail, fix=fix).model_dump(exclude_none=True)
    return JSONResponse(body, status_code=status, headers=getattr(error, "headers", None))


# What to do about each kind of pydantic error, by its type.
_FIXES = {
    "missing": "add the field",
    "extra_forbidden": "remove the field: this route does not take it",
    "string_too_short": "write it: it must not be blank",
    "string_too_long": "shorten it to the length the problem names",
    "enum": "use one of the values the problem lists",
    "literal_error": "use one of the values the problem lists",
    "greater_than_equal": "send a number within the bounds the problem names",
    "less_than_equal": "send a number within the bounds the problem names",
    "greater_than": "send a number within the bounds the problem names",
    "less_than": "send a number within the bounds the problem names",
}
_BODY_FIX = ("send the body as a JSON object with Content-Type: application/json; "
             + _OPENAPI)


def _validation_problem(error: dict[str, Any]) -> Problem:
    where = [str(part) for part in error.get("loc", ())]
    kind = str(error.get("type", ""))
    message = str(error.get("msg", "not valid"))
    if kind == "json_invalid":
        # The location's second part is the character where reading stopped, not a field.
        at = f" at character {where[1]}" if len(where) > 1 else ""
        detail = (error.get("ctx") or {}).get("error")
        return Problem(field="body", problem=f"not valid JSON{at}: {detail or message}",
                       fix=_BODY_FIX)
    field = ".".join(where[1:]) or (where[0] if where else "body")
    if field == "body" and kind in ("missing", "model_attributes_type", "dict_type"):
        problem = "there is no body" if kind == "missing" else message
        return Problem(field=field, problem=problem, fix=_BODY_FIX)
    if kind == "value_error" and "UploadFile" in message:
        return Problem(field=field, problem="not a file", fix="send it as a file part of a "
                       "multipart/form-data body, with a file name")
    return Problem(field=field, problem=message, fix=_FIXES.get(kind, _OPENAPI))


def validation_error(error: RequestValidationError) -> JSONResponse:
    """A request that does not fit the API: each field's problem, and its fix."""
    problems = [_validation_problem(each) for each in error.errors()]
    body = Error(error="the request does not fit the API", problems=problems,
                 fix="correct each field `problems` names and send the request again")
    return JSONResponse(body.model_dump(exclude_none=True), status_code=422)


def register_errors(api: FastAPI) -> None:
    async def problem(_: Request, error: Exception) -> Response:
        assert isinstance(error, ApiProblem)
        return JSONResponse(error.body.model_dump(exclude_none=True), status_code=error.status,
                            headers=error.headers)

    api.add_exception_handler(ApiProblem, problem)
