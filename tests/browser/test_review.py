"""An accounts clerk clears a record held on an unknown UOM word from the browser, and a viewer
can look but not act."""

from __future__ import annotations

import re
from pathlib import Path

from playwright.sync_api import Browser, Page, expect

from acgate.domain.codes import Outcome
from acgate.storage.queue import QueueFilter, list_queue

from .conftest import ACCOUNTS, VIEWER, Site, signed_in

COMPANY = "demo"


def held_on_ctn24(site: Site) -> list[str]:
    wanted = QueueFilter(blocker=(COMPANY, "uom", "ctn24"), limit=None)
    with site.app.store.transaction() as repo:
        return [str(row.identity) for row in list_queue(repo, wanted, site.app.clock())]


def outcome_of(site: Site, ref: str) -> Outcome:
    with site.app.store.transaction() as repo:
        rows = list_queue(repo, QueueFilter(outcomes=tuple(Outcome), limit=None),
                          site.app.clock())
    return next(row.outcome for row in rows if str(row.identity) == ref)


def test_accounts_adds_the_missing_uom_alias_from_the_record_page(
        browser: Browser, site: Site, screenshots: Path) -> None:
    waiting = held_on_ctn24(site)
    assert len(waiting) == 4, "the demo holds four orders on the ctn24 UOM word"
    page = signed_in(browser, site, ACCOUNTS)
    expect(page.get_by_role("heading", name="Exception dashboard")).to_be_visible()
    expect(page.locator("svg[role=img] rect.bar").first).to_be_attached()
    page.screenshot(path=screenshots / "dashboard.png", full_page=True)

    page.get_by_role("link", name="Queue", exact=True).click()
    page.get_by_label("Finding code").select_option("UOM_UNKNOWN")
    # htmx swaps the results in place and puts the filter in the address bar.
    page.wait_for_url(re.compile(r"code=UOM_UNKNOWN"))
    results = page.locator("#queue-results")
    expect(results.get_by_role("status")).to_have_text(re.compile(r"^5 records"))
    expect(results.get_by_text("records wait on uom")).to_be_visible()
    page.screenshot(path=screenshots / "queue.png", full_page=True)

    ref = waiting[0]
    results.get_by_role("link", name=ref, exact=True).click()
    expect(page.get_by_role("heading", name=ref)).to_be_visible()
    uom_row = page.locator(".checklist > li", has_text="Item and UOM match")
    expect(uom_row).to_have_class(re.compile("fail"))
    expect(uom_row).to_contain_text("UOM_UNKNOWN")
    page.screenshot(path=screenshots / "record.png", full_page=True)

    page.get_by_role("button", name="add the UOM alias ctn24 -> CTN").click()
    expect(page.get_by_role("status")).to_contain_text(
        "mapping uom ctn24 -> CTN added: 4 records re-checked, 4 moved on")
    expect(page.locator(".facts .outcome")).to_have_text("ready")
    expect(uom_row).to_have_class(re.compile("pass"))
    latest = page.locator(".timeline li").last
    expect(latest).to_contain_text(ACCOUNTS)
    expect(latest).to_contain_text("mapping added")
    expect(latest).to_contain_text("held → ready")
    page.screenshot(path=screenshots / "record-after-mapping.png", full_page=True)
    assert held_on_ctn24(site) == []
    assert {outcome_of(site, other) for other in waiting} == {Outcome.READY}
    page.context.close()


def test_a_viewer_sees_no_action_and_a_forged_one_is_refused(
        browser: Browser, site: Site) -> None:
    page = signed_in(browser, site, VIEWER)
    page.goto("/queue?outcome=held")
    expect(page.locator("#queue-results input[type=checkbox]")).to_have_count(0)
    expect(page.locator("form[action='/actions/map']")).to_have_count(0)
    page.locator("#queue-results tbody a").first.click()
    expect(page.get_by_role("heading", name="Readiness checklist")).to_be_visible()
    # Sign out is the only button a viewer gets.
    expect(page.get_by_role("button")).to_have_count(1)
    expect(page.get_by_role("button")).to_have_text("Sign out")
    ref = page.locator("h1").inner_text()
    before = outcome_of(site, ref)

    token = page.locator("input[name=csrf_token]").first.get_attribute("value") or ""
    forged = {"ref": ref, "reason": "forged", "csrf_token": token}
    answer = page.request.post(f"{site.url}/actions/release", form=forged)
    assert answer.status == 403
    assert answer.headers["content-type"].startswith("text/html")
    assert "victor (viewer) may not release held or waiting records" in answer.text()
    without_token = page.request.post(f"{site.url}/actions/reject",
                                      form={"ref": ref, "reason": "forged"})
    assert without_token.status == 403
    assert outcome_of(site, ref) is before

    # A page the role may not open is a page in the site's layout, with the way back.
    page.goto("/users")
    expect(page.get_by_role("heading", name="Not allowed")).to_be_visible()
    expect(page.get_by_role("alert")).to_contain_text("victor (viewer) may not manage users")
    expect(page.get_by_role("alert")).to_contain_text("Who may: integration admin")
    expect(page.get_by_role("navigation", name="Main")).to_be_visible()
    page.go_back()

    # An htmx request refused lands in the page's error area and leaves the rest as it was.
    page.goto("/queue?outcome=held")
    results = page.locator("#queue-results").inner_html()
    page.evaluate("htmx.ajax('GET', '/users', {target: '#queue-results'})")
    expect(page.locator("#htmx-error [role=alert]")).to_contain_text(
        "Not allowed: victor (viewer) may not manage users")
    assert page.locator("#queue-results").inner_html() == results
    expect(page).to_have_url(re.compile(r"/queue\?outcome=held$"))

    page.goto("/log?result=accepted")
    expect(page.get_by_role("status")).to_have_text(re.compile(r"^\d+ sync attempts"))
    expect(page.locator("tbody .result.accepted").first).to_be_visible()
    page.context.close()


def test_signing_out_ends_the_session(browser: Browser, site: Site) -> None:
    page: Page = signed_in(browser, site, VIEWER)
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(re.compile(r"/login$"))
    page.goto("/queue")
    expect(page).to_have_url(re.compile(r"/login\?next=/queue$"))
    page.context.close()
