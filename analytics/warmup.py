"""What the cache warmer computes after the data changes (see ``analytics/cache.py``).

Each task calls the entry point its page calls, with the page's default query, so the
figures land under the keys the page reads and the first click after an import is served
from the cache. Cheap, often-visited pages first; the insights page (alerts, the year-end
projection) and the forecast's base case last. To warm another page, add a
:class:`~analytics.cache.WarmTask` calling its public entry point, read-only.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from analytics.analysis import all_charts
from analytics.audit import BillingAudit, parse_audit_query
from analytics.browse import cases_table, cpt_table, filter_choices, tickets_table
from analytics.cache import WarmTask
from analytics.compensation import compensation_rows, stored_period_window
from analytics.forecasting import forecast_view
from analytics.insights import build_insights
from analytics.overview import build_overview

#: No query parameters: what a page shows when opened from the menu.
DEFAULT_QUERY: dict[str, str] = {}


def _compensation(session: Session) -> None:
    window = stored_period_window(session, DEFAULT_QUERY)
    compensation_rows(session, window.start, window.end)


def _audit(session: Session) -> None:
    """The audit page's default dates (the log's months, else the latest 12)."""
    BillingAudit(session).generate_audit_report(parse_audit_query(DEFAULT_QUERY).date_range)


def _analysis(session: Session) -> None:
    window = stored_period_window(session, DEFAULT_QUERY)
    all_charts(session, window.start, window.end)


WARM_TASKS: list[WarmTask] = [
    WarmTask("dashboard overview", build_overview),  # every page asks for it
    WarmTask("filter drop-downs", filter_choices),
    WarmTask("tickets table", lambda session: tickets_table(session, DEFAULT_QUERY)),
    WarmTask("cases table", lambda session: cases_table(session, DEFAULT_QUERY)),
    WarmTask("CPT codes table", lambda session: cpt_table(session, DEFAULT_QUERY)),
    WarmTask("compensation", _compensation),
    WarmTask("analysis charts", _analysis),
    WarmTask("insights", lambda session: build_insights(session, DEFAULT_QUERY)),
    WarmTask("forecast", forecast_view),  # the base case (the page's own GET keeps it)
    WarmTask("audit", _audit),
]
