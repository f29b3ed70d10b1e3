"""The sandbox as an ASGI application: both profiles, the admin routes, the fault gate."""

from __future__ import annotations

from http import HTTPStatus

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from acgate.sandbox import admin, bridge, cloud
from acgate.sandbox.config import SandboxConfig
from acgate.sandbox.errors import SandboxError, error_body
from acgate.sandbox.faults import FaultGate
from acgate.sandbox.state import Sandbox, quota_headers
from acgate.sandbox.wire import JsonResponse


class SandboxApp(FastAPI):
    """FastAPI with the fault gate in front: the gate needs the server's own `send` (to drop a
    connection), which Starlette's middleware stack would wrap."""

    def __init__(self, sandbox: Sandbox) -> None:
        super().__init__(title="acgate AutoCount sandbox", docs_url=None, redoc_url=None,
                         openapi_url=None)
        self.state.sandbox = sandbox
        self._gate = FaultGate(sandbox.faults)

    @property
    def sandbox(self) -> Sandbox:
        sandbox: Sandbox = self.state.sandbox
        return sandbox

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and not scope["path"].startswith(admin.router.prefix):
            await self._gate(scope, receive, send, super().__call__)
        else:
            await super().__call__(scope, receive, send)

    def close(self) -> None:
        """Close the book's SQLite file."""
        self.sandbox.store.close()


def create_app(config: SandboxConfig) -> SandboxApp:
    """The sandbox for `config`, its book loaded from `config.data_dir` if that holds one."""
    app = SandboxApp(Sandbox.open(config))
    app.include_router(admin.router)
    app.include_router(bridge.router)  # before the Cloud's `/{book}/...`, which `/api/X` matches
    app.include_router(cloud.router)
    app.exception_handler(SandboxError)(_refused)
    app.exception_handler(HTTPException)(_http_error)
    app.exception_handler(RequestValidationError)(_invalid)
    return app


async def _refused(request: Request, error: SandboxError) -> Response:
    return JsonResponse(error_body(request.url.path, error.message), status_code=error.status,
                        headers=quota_headers(request))


async def _http_error(request: Request, error: HTTPException) -> Response:
    message = error.detail or HTTPStatus(error.status_code).phrase
    return JsonResponse(error_body(request.url.path, message), status_code=error.status_code,
                        headers={**quota_headers(request), **(error.headers or {})})


async def _invalid(request: Request, error: RequestValidationError) -> Response:
    first = error.errors()[0] if error.errors() else {}
    where = ".".join(str(part) for part in first.get("loc", ()))
    message = f"{where}: {first.get('msg', 'invalid request')}"
    status = 422 if request.url.path.startswith(admin.router.prefix) else 400
    return JsonResponse(error_body(request.url.path, message), status_code=status)
