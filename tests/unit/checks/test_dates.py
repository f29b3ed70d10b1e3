"""Document dates AutoCount will accept, read in the company's time zone."""

from __future__ import annotations

import datetime as dt

from acgate.domain.codes import Code, Outcome

from .builders import KL, NOW, check, codes, company_rules, only, trade


def test_a_date_after_today_is_held_for_accounts() -> None:
    result = check(trade(date="2026-11-21"))

    finding = only(result, Code.DATE_OUT_OF_RANGE)
    assert (finding.outcome, finding.owner, finding.field) == (Outcome.HELD, "accounts", "date")
    assert (finding.source_value, finding.expected) == ("2026-11-21", "2026-11-20 or earlier")


def test_today_is_not_in_the_future() -> None:
    assert codes(check(trade(date="2026-11-20"))) == []


def test_today_is_the_date_in_the_company_time_zone() -> None:
    just_after_midnight = dt.datetime(2026, 11, 20, 0, 30, tzinfo=KL)  # still the 19th in UTC
    doc = trade(date="2026-11-20")

    assert codes(check(doc, now=just_after_midnight)) == []
    utc_company = company_rules(timezone="UTC")
    assert codes(check(doc, rules=utc_company, now=just_after_midnight)) == [
        Code.DATE_OUT_OF_RANGE]


def test_future_dates_pass_where_the_rules_allow_them() -> None:
    rules = company_rules(dates={"allow_future": True})

    assert codes(check(trade(date="2026-12-01"), rules=rules)) == []


def test_a_date_outside_the_fiscal_year_is_held() -> None:
    rules = company_rules(dates={"fiscal_year_start": "2026-01-01",
                                 "fiscal_year_end": "2026-12-31"})

    assert codes(check(trade(date="2025-12-31"), rules=rules)) == [Code.DATE_OUT_OF_RANGE]
    assert codes(check(trade(date="2026-01-01"), rules=rules)) == []


def test_a_date_in_a_locked_period_is_held_and_the_day_after_is_not() -> None:
    rules = company_rules(dates={"locked_periods": [{"from": "2026-10-01", "to": "2026-10-31"}]})

    finding = only(check(trade(date="2026-10-31"), rules=rules), Code.DATE_OUT_OF_RANGE)
    assert "locked period" in finding.message
    assert codes(check(trade(date="2026-11-01"), rules=rules)) == []


def test_a_document_older_than_the_maximum_age_is_held_and_exactly_the_age_is_not() -> None:
    rules = company_rules(dates={"max_age_days": 30})
    thirty_days_ago = (NOW.date() - dt.timedelta(days=30)).isoformat()
    thirty_one_days_ago = (NOW.date() - dt.timedelta(days=31)).isoformat()

    assert codes(check(trade(date=thirty_days_ago), rules=rules)) == []
    assert codes(check(trade(date=thirty_one_days_ago), rules=rules)) == [Code.DATE_OUT_OF_RANGE]


def test_a_type_maximum_age_overrides_the_company_one() -> None:
    rules = company_rules(dates={"max_age_days": 365},
                          types={"cash_sale": {"max_age_days": 3}})

    assert codes(check(trade("cash_sale", date="2026-11-16"), rules=rules)) == [
        Code.DATE_OUT_OF_RANGE]
    assert codes(check(trade("sales_invoice", date="2026-11-16"), rules=rules)) == []
