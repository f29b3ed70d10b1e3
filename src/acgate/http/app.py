"""The app factory: the REST API and the pages over one opened workspace."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from acgate import __version__
from acgate.api.errors import http_error as api_http_error
from acgate.api.errors import validation_error as api_validation_error
from acgate.bootstrap import App
from acgate.http.auth import LoginRequired
from acgate.web.errors import error_page, http_error_page, sign_in_again

STATIC = Path(__file__).parent.parent / "web" / "static"


def _wants_page(request: Request) -> bool:
    return not request.url.path.startswith("/api/")


def create_app(application: App) -> FastAPI:
    """One FastAPI app; `acgate serve` runs it with uvicorn."""
    api = FastAPI(title="acgate", version=__version__,
                  description="The readiness gate between source systems and AutoCount: "
                              "intake, the holding area, review actions, trace, mappings.",
                  docs_url="/api/docs", redoc_url=None, openapi_url="/api/openapi.json")
    api.state.acgate = application

    @api.exception_handler(LoginRequired)
    async def login_required(request: Request, _: LoginRequired) -> Response:
        if _wants_page(request):
            return sign_in_again(request)
        return JSONResponse({"error": "not signed in, or the session has ended",
                             "fix": "sign in with POST /api/v1/session and send the session "
                                    "cookie it sets (a source system sends its API key as "
                                    "`Authorization: Bearer <key>` to the intake routes)"},
                            status_code=401)

    # People read the pages' errors, so those answer as pages (or htmx fragments); the API's
    # clients parse JSON.
    @api.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, error: StarletteHTTPException) -> Response:
        if _wants_page(request):
            return http_error_page(request, error)
        return api_http_error(request, error)

    @api.exception_handler(RequestValidationError)
    async def bad_request(request: Request, error: RequestValidationError) -> Response:
        if _wants_page(request):
            problems = [{"field": ".".join(str(p) for p in e["loc"][1:]), "problem": e["msg"]}
                        for e in error.errors()]
            named = "; ".join(f"{p['field']}: {p['problem']}" for p in problems)
            return error_page(request, 422, f"the request lacks what this page needs ({named}); "
                                            "reload the page and try again")
        return api_validation_error(error)

    @api.exception_handler(Exception)
    async def unexpected(request: Request, error: Exception) -> Response:
        # Never a stack trace to the caller; the log has it.
        text = f"acgate could not do that: {type(error).__name__}"
        fix = "try again; if it persists, the integration admin can read the server log"
        if _wants_page(request):
            return error_page(request, 500, f"{text}; {fix}")
        return JSONResponse({"error": text, "fix": fix}, status_code=500)

    @api.get("/api/health", tags=["health"])
    def health() -> dict[str, str]:
        """Liveness: the process answers and its database can be read."""
        with application.store.transaction() as repo:
            repo.connection.exec_driver_sql("SELECT 1")
        return {"status": "ok", "version": __version__}

    _include_faces(api)
    return api


def _include_faces(api: FastAPI) -> None:
    """The REST routes and the pages register themselves on the app."""
    from acgate.api.routes import register as register_api
    from acgate.web.pages import register as register_pages

    register_api(api)
    register_pages(api)
