"""The physician's own case log: every case done, by service month, with known discrepancies.

This is what the audit page compares against the billed charges, so the log carries the errors a
real hand-kept log has (a forgotten case, a wrong CPT, a mistyped ticket), and the truth file
beside each month lists them, together with the cases the billing company never billed.
"""

from __future__ import annotations

import csv
import json
from datetime import date
from pathlib import Path

from data.synthetic.dates import last_day, month_key
from data.synthetic.practice import Case

HEADER = ("date", "ticket", "cpt_codes", "start_time", "patient", "notes")


def _note(case: Case) -> str:
    parts = []
    if case.ob_position:
        parts.append(f"OB {case.ob_position}")
    if case.block:
        parts.append("block")
    if len(case.segments) > 1:
        parts.append("break in case")
    if case.handoff_pct is not None:
        parts.append("handed off")
    return "; ".join(parts)


def log_row(case: Case) -> list[str]:
    cpts = [case.log_cpt or case.procedure.cpt]
    if case.block:
        cpts.append(case.block[0])
    start = case.start % 1440
    return [
        case.day.isoformat(),
        case.log_ticket or case.ticket,
        ",".join(cpts),
        f"{start // 60:02d}:{start % 60:02d}",
        case.patient,
        _note(case),
    ]


def discrepancies(cases: list[Case], month: str, horizon: date) -> dict:
    """What an audit of this service month should find (horizon: the last packet's month end)."""
    own = [c for c in cases if month_key(c.day) == month]
    return {
        "service_month": month,
        "cases_done": len(own),
        "cases_logged": sum(1 for c in own if c.in_log),
        "never_billed": [
            {"ticket": c.ticket, "date": c.day.isoformat()} for c in own if c.post_date is None
        ],
        "billed_after_last_packet": [
            {"ticket": c.ticket, "date": c.day.isoformat(), "date_of_post": c.post_date.isoformat()}
            for c in own
            if c.post_date is not None and c.post_date > horizon
        ],
        "not_in_log": [
            {"ticket": c.ticket, "date": c.day.isoformat(), "cpt_code": c.procedure.cpt}
            for c in own
            if not c.in_log
        ],
        "wrong_cpt": [
            {"ticket": c.ticket, "logged": c.log_cpt, "billed": c.procedure.cpt}
            for c in own
            if c.in_log and c.log_cpt
        ],
        "mistyped_ticket": [
            {"ticket": c.ticket, "logged": c.log_ticket} for c in own if c.in_log and c.log_ticket
        ],
    }


def write_caselogs(out_dir: Path, cases: list[Case], months: list[str]) -> dict[str, Path]:
    """caselog-YYYY-MM.csv (+ .truth.json) per service month, and caselog-all.csv."""
    horizon = last_day(months[-1])
    wanted = set(months)
    paths: dict[str, Path] = {}
    rows_by_month: dict[str, list[list[str]]] = {m: [] for m in months}
    for case in cases:
        month = month_key(case.day)
        if month in wanted and case.in_log:
            rows_by_month[month].append(log_row(case))
    with (out_dir / "caselog-all.csv").open("w", newline="", encoding="utf-8") as all_file:
        all_writer = csv.writer(all_file)
        all_writer.writerow(HEADER)
        for month in months:
            path = out_dir / f"caselog-{month}.csv"
            with path.open("w", newline="", encoding="utf-8") as handle:
                writer = csv.writer(handle)
                writer.writerow(HEADER)
                writer.writerows(rows_by_month[month])
            all_writer.writerows(rows_by_month[month])
            truth = discrepancies(cases, month, horizon)
            (out_dir / f"caselog-{month}.truth.json").write_text(
                json.dumps(truth, indent=1, ensure_ascii=False), encoding="utf-8"
            )
            paths[month] = path
    return paths
