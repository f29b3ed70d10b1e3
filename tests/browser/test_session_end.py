"""A page left open after its session ended: the next htmx request takes the whole window to the
login page, and signing in brings the person back to the page they were on."""

from __future__ import annotations

import re

from playwright.sync_api import Browser, expect

from acgate.http.auth import SESSION_COOKIE
from acgate.web.errors import SESSION_ENDED

from .conftest import PASSWORD, VIEWER, Site, signed_in


def test_filtering_after_the_session_ended_opens_the_login_page_and_comes_back(
        browser: Browser, site: Site) -> None:
    page = signed_in(browser, site, VIEWER)
    page.goto("/queue?outcome=held")
    token = next(c["value"] for c in page.context.cookies() if c["name"] == SESSION_COOKIE)
    site.app.people.log_out(token)  # as if revoked, or expired, while the page stayed open

    page.get_by_label("Finding code").select_option("UOM_UNKNOWN")

    page.wait_for_url(re.compile(r"/login\?next=/queue%3Foutcome%3Dheld$"))
    # The whole window, not the login page inside the queue's results area.
    expect(page.locator("#queue-results")).to_have_count(0)
    expect(page.get_by_role("heading", name="Sign in to acgate")).to_have_count(1)
    expect(page.get_by_role("alert")).to_have_text(SESSION_ENDED)

    page.get_by_label("Username").fill(VIEWER)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{site.url}/queue?outcome=held")
    expect(page.locator("#queue-results")).to_be_visible()
    page.context.close()
