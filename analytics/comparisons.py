"""Period-over-period comparisons of any metric: month over month, year over year (whole
years and the same period to date), quarter over quarter, and two chosen ranges.

Each metric is a monthly series with a stated month basis: pay figures belong to the pay
period (the packet's month), charges to their posting month, workload (cases, minutes,
units) to the service month unless ``by="post"`` is asked for. Additive metrics sum over
a quarter or year; rates (``rate``, $ per point) are averaged over the months that have
one. Pay figures come from :func:`analytics.compensation.monthly_figures`, workload from
the same counted cases as :class:`analytics.metrics.WorkloadMetrics`.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from analytics.compensation import MonthFigures, monthly_figures
from analytics.metrics import COUNTED_CASE_MIN_POINTS, DateLike, parse_range
from analytics.periods import month_add, month_of, month_range
from data.reporting import CaseReportingRepository, ChargeReportingRepository


@dataclass(frozen=True)
class MetricInfo:
    """What a metric is: label, unit, which month it belongs to, how it aggregates."""

    name: str
    label: str
    unit: str
    basis: str  # "pay period" | "service month" | "posting month"
    aggregate: str  # "sum" | "mean"
    source: str


_PAY_SOURCE = "compensation report section subtotal of the packet"
METRICS: dict[str, MetricInfo] = {
    info.name: info
    for info in (
        MetricInfo(
            "total_compensation",
            "Total compensation",
            "$",
            "pay period",
            "sum",
            "compensation report: Total Compensation",
        ),
        MetricInfo(
            "clinical_pay",
            "Clinical pay",
            "$",
            "pay period",
            "sum",
            "compensation report: Clinical Compensation subtotal (per pool: F2 S)",
        ),
        MetricInfo("stipends", "Stipends and other", "$", "pay period", "sum", _PAY_SOURCE),
        MetricInfo("overhead", "Overhead", "$", "pay period", "sum", _PAY_SOURCE),
        MetricInfo("deductions", "Deductions before taxes", "$", "pay period", "sum", _PAY_SOURCE),
        MetricInfo("w2_income", "W-2 income", "$", "pay period", "sum", _PAY_SOURCE),
        MetricInfo("taxes", "Payroll taxes withheld", "$", "pay period", "sum", _PAY_SOURCE),
        MetricInfo(
            "net_pay",
            "Net pay",
            "$",
            "pay period",
            "sum",
            "compensation report: Net Compensation/Net Pay",
        ),
        MetricInfo(
            "gross_earnings",
            "Gross earnings",
            "$",
            "pay period",
            "sum",
            "payroll stub: Gross Earnings",
        ),
        MetricInfo(
            "points",
            "Points (M)",
            "points",
            "pay period",
            "sum",
            "F2 Section 1 (M); per pool its page, else the all-pools page",
        ),
        MetricInfo(
            "adjusted_points",
            "Adjusted points (N)",
            "points",
            "pay period",
            "sum",
            "F2 Section 2 (N)",
        ),
        MetricInfo(
            "rate",
            "$ per point (O)",
            "$/point",
            "pay period",
            "mean",
            "F2 pooled rate O; all pools: R / P summed over the pools",
        ),
        MetricInfo(
            "cases",
            "Cases",
            "cases",
            "service month",
            "sum",
            "F3 lines grouped into cases (tickets netting to more than 0 points)",
        ),
        MetricInfo(
            "minutes",
            "Anesthesia minutes",
            "minutes",
            "service month",
            "sum",
            "F3 Anes Time of the counted cases",
        ),
        MetricInfo(
            "units",
            "Billed units",
            "units",
            "service month",
            "sum",
            "F3 anes base + med base + other units of the counted cases",
        ),
        MetricInfo(
            "charges",
            "Charges",
            "$",
            "posting month",
            "sum",
            "F3 Chg Amt of the lines posted in the month (credits negative)",
        ),
    )  # fmt: skip
}
#: The design's names and other common ones.
ALIASES = {
    "gross_pay": "gross_earnings",
    "gross": "gross_earnings",
    "net": "net_pay",
    "total_pay": "total_compensation",
    "income": "total_compensation",
    "case_count": "cases",
    "anes_minutes": "minutes",
    "charge_amount": "charges",
    "adjusted": "adjusted_points",
    "dollars_per_point": "rate",
    "point_rate": "rate",
}


def metric_info(metric: str) -> MetricInfo:
    """The metric a name (or alias) stands for; ``clinical_pay:UTCS`` style pool suffixes
    are accepted by the comparison methods, not here."""
    name = ALIASES.get(metric, metric)
    if name not in METRICS:
        known = ", ".join(sorted([*METRICS, *ALIASES]))
        raise ValueError(f"unknown metric {metric!r}; known: {known}")
    return METRICS[name]


def percent_change(current: float | None, previous: float | None) -> float | None:
    """Percent change from ``previous`` to ``current``; None when either is missing or
    ``previous`` is zero."""
    if current is None or previous is None or previous == 0:
        return None
    return round((current - previous) / abs(previous) * 100.0, 4)


def aggregate(values: list[float | None], how: str) -> float | None:
    """Sum or mean of the values that are there; None when none are."""
    present = [v for v in values if v is not None]
    if not present:
        return None
    return round(sum(present) if how == "sum" else statistics.fmean(present), 4)


@dataclass
class ComparisonRow:
    """One period against the one it is compared with."""

    period: str
    value: float | None
    previous_period: str | None
    previous: float | None
    change: float | None
    percent_change: float | None
    months: int = 1  # months with a value in the period (quarters, years, ranges)
    previous_months: int = 1  # months with a value in the period compared with

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _row(
    period: str,
    value: float | None,
    previous_period: str | None,
    previous: float | None,
    months: int = 1,
    previous_months: int = 1,
) -> ComparisonRow:
    change = None if value is None or previous is None else round(value - previous, 4)
    return ComparisonRow(
        period,
        value,
        previous_period,
        previous,
        change,
        percent_change(value, previous),
        months,
        previous_months,
    )


@dataclass
class Comparison:
    """A comparison's rows, with the metric it is about."""

    metric: str
    label: str
    unit: str
    basis: str
    kind: str
    pool: str | None = None
    rows: list[ComparisonRow] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class PeriodComparison:
    """Month over month, year over year and quarter over quarter, for any metric."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self._figures: list[MonthFigures] | None = None

    # ----------------------------------------------------------------- series

    def figures(self) -> list[MonthFigures]:
        if self._figures is None:
            self._figures = monthly_figures(self.session)
        return self._figures

    def monthly_values(
        self, metric: str, pool: str | None = None, by: str | None = None, start: str | None = None
    ) -> dict[str, float | None]:
        """The metric's value per month (``YYYY-MM``), oldest first. ``pool`` narrows pay
        and F2 metrics to one pool (and workload to the cases of that pool); ``by`` switches
        workload between service and posting month; ``start`` leaves out the months before
        it (and reads only the lines and cases of the rest)."""
        if ":" in metric:
            metric, pool = metric.split(":", 1)
        info = metric_info(metric)
        figures = [f for f in self.figures() if not start or f.period >= start]
        first_day, _ = parse_range(start, None)
        reader = self._readers().get(info.name)
        if reader is not None:
            return {f.period: reader(f, pool) for f in figures}
        if info.name == "charges":
            rows = ChargeReportingRepository(self.session).totals(
                ["month", "pool"] if pool else ["month"], by=by or "post", start=first_day
            )
            charged: dict[str, float | None] = {f.period: 0.0 for f in figures}
            for row in rows:
                if not pool or row["pool"] == pool:
                    charged[row["month"]] = round(float(row["charge_amount"]), 2)
            return dict(sorted(charged.items()))
        rows = CaseReportingRepository(self.session).totals(
            ["month", "pool"] if pool else ["month"],
            by=by or "service",
            start=first_day,
            min_points=COUNTED_CASE_MIN_POINTS,
        )
        values: dict[str, float | None] = {}
        for row in rows:
            if pool and row["pool"] != pool:
                continue
            units = row["anes_base_units"] + row["med_base_units"] + row["other_units"]
            values[row["month"]] = round(
                float(
                    {"cases": row["cases"], "minutes": row["anes_time_min"]}.get(info.name, units)
                ),
                4,
            )
        return values

    def latest_month(self, metric: str) -> str | None:
        """The newest month :meth:`monthly_values` gives a value for (read without summing
        every month: the newest pay period, or for charges also the newest date of post)."""
        info = metric_info(metric)
        reader = self._readers().get(info.name)
        if reader is None and info.name != "charges":
            present = [m for m, v in self.monthly_values(metric).items() if v is not None]
            return max(present, default=None)
        months = [f.period for f in self.figures() if reader is None or reader(f, None) is not None]
        if reader is None:
            posted = ChargeReportingRepository(self.session).last_post_date()
            months += [month_of(posted)] if posted else []
        return max(months, default=None)

    @staticmethod
    def _readers() -> dict[str, Callable[[MonthFigures, str | None], float | None]]:
        def section(name: str) -> Callable[[MonthFigures, str | None], float | None]:
            return lambda f, _pool: f.values.get(name)

        def clinical(f: MonthFigures, pool: str | None) -> float | None:
            return f.clinical_by_pool.get(pool) if pool else f.values.get("clinical_pay")

        def f2(attribute: str) -> Callable[[MonthFigures, str | None], float | None]:
            def read(f: MonthFigures, pool: str | None) -> float | None:
                page = next((p for p in f.pools if p.pool == pool), None) if pool else f.all_pools
                return getattr(page, attribute) if page else None

            return read

        def rate(f: MonthFigures, pool: str | None) -> float | None:
            if pool:
                return f2("rate")(f, pool)
            pooled = sum(p.pooled_points or 0.0 for p in f.pools)
            total = sum(p.total_allocation or 0.0 for p in f.pools)
            return round(total / pooled, 4) if pooled else None

        readers: dict[str, Callable[[MonthFigures, str | None], float | None]] = {
            name: section(name)
            for name in (
                "total_compensation",
                "stipends",
                "overhead",
                "deductions",
                "w2_income",
                "taxes",
                "net_pay",
            )
        }
        readers.update(
            clinical_pay=clinical,
            gross_earnings=lambda f, _pool: f.gross_earnings,
            points=f2("points"),
            adjusted_points=f2("adjusted_points"),
            rate=rate,
        )
        return readers

    def _comparison(self, metric: str, kind: str, pool: str | None) -> Comparison:
        if ":" in metric:
            metric, pool = metric.split(":", 1)
        info = metric_info(metric)
        return Comparison(info.name, info.label, info.unit, info.basis, kind, pool)

    # ----------------------------------------------------------------- comparisons

    def month_over_month(
        self,
        metric: str,
        num_months: int = 12,
        end: str | None = None,
        pool: str | None = None,
        by: str | None = None,
    ) -> Comparison:
        """The last ``num_months`` months up to ``end`` (default: the latest with a value),
        each against the month before."""
        result = self._comparison(metric, "month_over_month", pool)
        values = self.monthly_values(metric, pool, by)
        present = [m for m, v in values.items() if v is not None]
        if not present:
            return result
        end = end[:7] if end else max(present)
        for month in month_range(month_add(end, -(num_months - 1)), end):
            before = month_add(month, -1)
            result.rows.append(_row(month, values.get(month), before, values.get(before)))
        return result

    def year_over_year(
        self,
        metric: str,
        years: list[int] | None = None,
        through_month: int | None = None,
        pool: str | None = None,
        by: str | None = None,
    ) -> Comparison:
        """Each year's total against the year before, whole and to date (January through
        ``through_month``, default: the latest month with a value in the latest year), with
        the month-by-month values of every year in ``extra["by_month"]``."""
        result = self._comparison(metric, "year_over_year", pool)
        info = metric_info(result.metric)
        values = self.monthly_values(metric, pool, by)
        present = sorted(m for m, v in values.items() if v is not None)
        if not present:
            return result
        years = sorted(years or sorted({int(m[:4]) for m in present}))
        if through_month is None:
            latest = [m for m in present if int(m[:4]) == years[-1]]
            through_month = int(max(latest)[5:7]) if latest else 12
        by_month = {
            month: {year: values.get(f"{year}-{month:02d}") for year in years}
            for month in range(1, 13)
        }

        def total(year: int, last_month: int) -> tuple[float | None, int]:
            month_values = [values.get(f"{year}-{m:02d}") for m in range(1, last_month + 1)]
            return (
                aggregate(month_values, info.aggregate),
                sum(v is not None for v in month_values),
            )

        to_date = []
        for index, year in enumerate(years):
            previous = years[index - 1] if index else year - 1
            result.rows.append(
                _totals_row(str(year), total(year, 12), str(previous), total(previous, 12))
            )
            last = _MONTH_NAMES[through_month - 1]
            row = _totals_row(
                f"{year} Jan–{last}",
                total(year, through_month),
                f"{previous} Jan–{last}",
                total(previous, through_month),
            )
            to_date.append(asdict(row))
        result.extra = {
            "years": years,
            "through_month": through_month,
            "to_date": to_date,
            "by_month": [
                {"month": month, **{str(y): v for y, v in row.items()}}
                for month, row in by_month.items()
            ],
        }
        return result

    def same_period_to_date(
        self,
        metric: str,
        year: int | None = None,
        through_month: int | None = None,
        pool: str | None = None,
        by: str | None = None,
    ) -> ComparisonRow:
        """January through ``through_month`` of ``year`` against the same months of the year
        before (default: the latest year and its latest month with a value)."""
        years = [year - 1, year] if year else None
        comparison = self.year_over_year(metric, years, through_month, pool, by)
        if not comparison.extra:
            return ComparisonRow(str(year), None, None, None, None, None, 0)
        row = comparison.extra["to_date"][-1]
        return ComparisonRow(**row)

    def quarter_over_quarter(
        self,
        metric: str,
        num_quarters: int = 8,
        end: str | None = None,
        pool: str | None = None,
        by: str | None = None,
    ) -> Comparison:
        """The last ``num_quarters`` calendar quarters, each against the quarter before;
        ``extra["same_quarter_last_year"]`` holds each against the same quarter a year
        earlier."""
        result = self._comparison(metric, "quarter_over_quarter", pool)
        info = metric_info(result.metric)
        values = self.monthly_values(metric, pool, by)
        present = [m for m, v in values.items() if v is not None]
        if not present:
            return result
        end = end[:7] if end else max(present)
        last_quarter_start = month_add(end, -((int(end[5:7]) - 1) % 3))

        def quarter(start: str) -> tuple[str, float | None, int]:
            months = [values.get(month_add(start, k)) for k in range(3)]
            label = f"{start[:4]}-Q{(int(start[5:7]) - 1) // 3 + 1}"
            return label, aggregate(months, info.aggregate), sum(v is not None for v in months)

        last_year = []
        for k in range(num_quarters - 1, -1, -1):
            start = month_add(last_quarter_start, -3 * k)
            label, value, months = quarter(start)
            prev_label, prev_value, prev_months = quarter(month_add(start, -3))
            result.rows.append(_row(label, value, prev_label, prev_value, months, prev_months))
            year_label, year_value, year_months = quarter(month_add(start, -12))
            last_year.append(
                asdict(_row(label, value, year_label, year_value, months, year_months))
            )
        result.extra = {"same_quarter_last_year": last_year}
        return result

    def compare_ranges(
        self,
        metric: str,
        current: tuple[DateLike, DateLike],
        previous: tuple[DateLike, DateLike],
        pool: str | None = None,
        by: str | None = None,
    ) -> Comparison:
        """Two chosen ranges of months side by side (the page's range picker): their totals
        and, aligned by position, each month of one against the same-position month of the
        other."""
        result = self._comparison(metric, "ranges", pool)
        info = metric_info(result.metric)
        values = self.monthly_values(metric, pool, by)
        ranges = []
        for start, end in (current, previous):
            first, last = parse_range(start, end)
            if first is None or last is None:
                raise ValueError("both ends of each range are needed")
            ranges.append(month_range(first.isoformat()[:7], last.isoformat()[:7]))
        now, before = ranges
        for index, month in enumerate(now):
            other = before[index] if index < len(before) else None
            result.rows.append(
                _row(month, values.get(month), other, values.get(other) if other else None)
            )
        totals = [[values.get(m) for m in months] for months in ranges]
        result.extra = {
            "total": asdict(
                _row(
                    f"{now[0]}..{now[-1]}" if now else "",
                    aggregate(totals[0], info.aggregate),
                    f"{before[0]}..{before[-1]}" if before else "",
                    aggregate(totals[1], info.aggregate),
                    sum(v is not None for v in totals[0]),
                    sum(v is not None for v in totals[1]),
                )
            )
        }
        return result

    @staticmethod
    def percent_change_analysis(current: float | None, previous: float | None) -> dict[str, Any]:
        """Change, percent change and direction from ``previous`` to ``current``."""
        change = None if current is None or previous is None else round(current - previous, 4)
        direction = None
        if change is not None:
            direction = "up" if change > 0 else "down" if change < 0 else "flat"
        return {
            "current": current,
            "previous": previous,
            "change": change,
            "percent_change": percent_change(current, previous),
            "direction": direction,
        }


def _totals_row(
    period: str,
    current: tuple[float | None, int],
    previous_period: str,
    previous: tuple[float | None, int],
) -> ComparisonRow:
    """A row from two (total, months with a value) pairs."""
    return _row(period, current[0], previous_period, previous[0], current[1], previous[1])


_MONTH_NAMES = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov",
                "Dec")  # fmt: skip
