"""The pages in a real browser: Debian's Chromium driven by Playwright, against acgate served by
uvicorn on loopback over a workspace where the shipped demo has played up to the moment accounts
would add the missing `ctn24` UOM alias (so four orders are still held on it)."""

from __future__ import annotations

import shutil
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import uvicorn
from playwright.sync_api import Browser, Page, sync_playwright

from acgate.bootstrap import App, open_app
from acgate.domain.access import Role
from acgate.domain.values import to_instant
from acgate.http.app import create_app
from acgate.service.demo import (
    SettableClock,
    first_moment,
    install_rules,
    run_demo,
    scenario,
    start_sandbox,
)

CHROMIUM = Path("/usr/bin/chromium")
# Nothing in these flags reaches beyond loopback: no sandboxing (CI runs as root), no GPU, no
# background calls to Google.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run",
                 "--disable-quic"]
SCREENSHOTS = Path(__file__).parent / "screenshots"
PASSWORD = "browser-test-password"
ACCOUNTS, VIEWER = "mei.ling", "victor"


@dataclass(frozen=True)
class Site:
    url: str
    app: App


def _demo_until_mapping(root: Path) -> App:
    """The demo's week, stopped before its `map` step; the app's clock stays at that moment."""
    plan = scenario()
    cut = next(i for i, step in enumerate(plan["steps"]) if "map" in step)
    moment = to_instant(plan["steps"][cut]["at"])
    plan = {**plan, "steps": plan["steps"][:cut]}
    sandbox = start_sandbox(root, plan)
    try:
        install_rules(root, plan, sandbox.base_url)
        clock = SettableClock(first_moment(plan))
        run_demo(open_app(root, now=clock), clock, plan)
    finally:
        sandbox.stop()
    clock.now = moment
    return open_app(root, now=clock)


@pytest.fixture(scope="session")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    app = _demo_until_mapping(tmp_path_factory.mktemp("browser-ws"))
    app.people.add_user(ACCOUNTS, Role.ACCOUNTS, PASSWORD, "setup", "Mei Ling")
    app.people.add_user(VIEWER, Role.VIEWER, PASSWORD, "setup", "Victor")
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(create_app(app), log_level="warning",
                                           lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "acgate did not start"
        time.sleep(0.01)
    yield Site(f"http://127.0.0.1:{sock.getsockname()[1]}", app)
    server.should_exit = True
    thread.join(timeout=10)
    sock.close()
    app.store.engine.dispose()


# Per module, not per session: Playwright's sync API runs an event loop on this thread while it
# is open, and later tests that call asyncio.run() must not find one running.
@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is missing: apt-get install -y chromium")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture(scope="session")
def screenshots() -> Path:
    shutil.rmtree(SCREENSHOTS, ignore_errors=True)
    SCREENSHOTS.mkdir()
    return SCREENSHOTS


def signed_in(browser: Browser, site: Site, username: str) -> Page:
    """A fresh browser context (its own cookies) signed in as `username`."""
    context = browser.new_context(base_url=site.url, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.goto("/login")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{site.url}/")
    return page
