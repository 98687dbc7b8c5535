"""Billing audit: the physician's own case log against what the billing company billed.

Are all my cases billed, and billed right? Each logged case is matched one to one with a
billed case (a ticket, from all of its F3 lines in every packet), in this order, each
match keeping its reason and a confidence:

1. ticket exact, same date of service, and the CPT or the start time agrees (1.0);
2. date of service + start time within 15 minutes + a common CPT code (0.9);
3. date of service + a common CPT code (+ a fuzzy patient-name score with rapidfuzz when
   both sides have a name) (0.5-0.85);
4. ticket exact and same date although CPT and time disagree (0.6);
5. otherwise the logged case is left for review: missing.

Findings (``KINDS``): cases missing from billing, *pending* when served within the
physician's own charge lag (90th percentile of days from service to first posting) before
the latest date of post, else *overdue*; billed cases not in the log (unexpected) within
the audited dates; mismatches (CPT, ticket, minutes); duplicates; time arithmetic;
overlapping anesthesia times; base units unlike the same CPT's earlier cases; zeroed
medical units (``Z``); open ticket-sequence gaps (no log needed). Each finding names its
ticket, date of service, CPT codes, packet period and PDF page, so a dispute can cite it.
Definitions and choices: docs/audit.md.
"""

from __future__ import annotations

import datetime as dt
import statistics
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field, replace
from operator import itemgetter
from typing import Any

from rapidfuzz import fuzz
from sqlalchemy.orm import Session

from analytics.analysis import Chart, Series
from analytics.bulk import bulk_load
from analytics.cache import cached
from analytics.caselog import LogRow, ParsedLog
from analytics.metrics import WorkloadMetrics
from analytics.periods import month_of
from data.models import UserCaseLog
from data.reporting import PoolReportingRepository
from data.repositories import AuditRepository, UserCaseLogRepository

KINDS: tuple[str, ...] = (
    "missing_pending",
    "missing_overdue",
    "unexpected",
    "cpt_mismatch",
    "ticket_mismatch",
    "time_mismatch",
    "duplicate",
    "time_arithmetic",
    "overlap",
    "base_units",
    "zeroed",
    "ticket_gap",
)
KIND_LABELS: dict[str, str] = {
    "missing_pending": "Missing, probably still pending",
    "missing_overdue": "Missing, overdue",
    "unexpected": "Billed, not in your log",
    "cpt_mismatch": "CPT differs",
    "ticket_mismatch": "Ticket differs",
    "time_mismatch": "Minutes differ from your times",
    "duplicate": "Billed twice",
    "time_arithmetic": "Stop − start ≠ minutes",
    "overlap": "Overlapping anesthesia times",
    "base_units": "Base units unlike earlier cases",
    "zeroed": "Medical units zeroed (Z)",
    "ticket_gap": "Ticket-sequence gap",
}
MISMATCH_KINDS = ("cpt_mismatch", "ticket_mismatch", "time_mismatch")
DISCREPANCY_KINDS = KINDS[3:]
TIME_WINDOW_MIN = 15
MINUTES_TOLERANCE = 5
NAME_MIN_SCORE = 60
#: F2 Section 1 time multiplier (points per anesthesia minute), for minute differences.
POINTS_PER_MINUTE = 0.10
#: Without a stored case log the audit covers the latest this many posted months (pay
#: periods) by default; the page's dates, the CLI's --from/--to choose any others.
DEFAULT_MONTHS = 12
#: What the audited cases are compared with (each CPT's median points, the base units
#: earlier cases got, the charge lag, the ticket sequence) comes from the audited dates and
#: this many months before them: two years hold every CPT the physician does often and
#: follow changes in billing, and the work no longer grows with the stored history
#: (docs/audit.md, "Reference window").
LOOKBACK_MONTHS = 24
#: Why the audit covers its dates (``AuditReport.basis``).
_START_STOP = itemgetter(0, 1)  # an overlap segment's sort key
RANGE_BASES = {
    "chosen": "the dates you chose",
    "case log": "the months of your stored case log",
    "recent": f"the latest {DEFAULT_MONTHS} posted months (no case log stored)",
}


# --------------------------------------------------------------------------- values


def _minutes(hhmm: str | None) -> int | None:
    if not hhmm or ":" not in hhmm:
        return None
    hours, minutes = hhmm.split(":", 1)
    try:
        return int(hours) * 60 + int(minutes[:2])
    except ValueError:
        return None


def _clock_distance(a: int, b: int) -> int:
    diff = abs(a - b) % 1440
    return min(diff, 1440 - diff)


def _span(start: int, stop: int) -> int:
    """Minutes from start to stop on the clock, past midnight allowed."""
    return (stop - start) % 1440


def _plain(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()


def name_score(logged: str | None, billed: str | None) -> float | None:
    """0-100 likeness of a logged patient (initials or a name) and a billed one; None when
    either is missing. Initials (2-3 letters) compare with the billed name's initials in
    either order."""
    if not logged or not billed:
        return None
    log_plain, billed_plain = _plain(logged), _plain(billed)
    letters = "".join(ch for ch in log_plain if ch.isalpha())
    if (
        len(letters) <= 3
        and len(log_plain.replace(".", "").split()) <= 3
        and " " not in (log_plain.strip())
    ):
        words = [w for w in billed_plain.replace(",", " ").split() if w]
        initials = {"".join(w[0] for w in words)}
        if len(words) >= 2:
            initials |= {words[1][0] + words[0][0], words[0][0] + words[1][0]}
            initials |= {"".join(w[0] for w in words[1:]) + words[0][0]}
        return 100.0 if letters in initials else 0.0
    return float(fuzz.token_sort_ratio(log_plain.replace(",", " "), billed_plain))


# --------------------------------------------------------------------------- inputs


class _once:
    """``functools.cached_property`` without its per-class lock (Python 3.11 takes it on
    every first read): a year of a group's audit computes ~110,000 of these. The value is
    kept in the instance's ``__dict__``, so later reads are plain attribute reads."""

    def __init__(self, compute: Any) -> None:
        self.compute = compute
        self.name = compute.__name__
        self.__doc__ = compute.__doc__

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def __get__(self, instance: Any, owner: type | None = None) -> Any:
        if instance is None:
            return self
        value = instance.__dict__[self.name] = self.compute(instance)
        return value


@dataclass
class LogEntry:
    """A logged case, from the stored log (``id``) or straight from a parsed file."""

    row_number: int | None
    case_date: dt.date
    ticket: str | None
    cpt_codes: tuple[str, ...]
    start_time: str | None = None
    stop_time: str | None = None
    patient: str | None = None
    notes: str | None = None
    source_file: str | None = None
    id: int | None = None

    @classmethod
    def from_row(cls, row: LogRow, source_file: str | None = None) -> LogEntry:
        return cls(
            row.row_number, row.case_date, row.ticket, row.cpt_codes, row.start_time,
            row.stop_time, row.patient, row.notes, source_file,
        )  # fmt: skip

    @classmethod
    def from_model(cls, row: UserCaseLog) -> LogEntry:
        codes = tuple(c for c in (row.cpt_codes or "").split(",") if c)
        return cls(
            row.row_number, row.case_date, row.patient_ticket, codes, row.start_time,
            row.stop_time, row.patient, row.notes, row.source_file, row.id,
        )  # fmt: skip

    @property
    def logged_minutes(self) -> int | None:
        start, stop = _minutes(self.start_time), _minutes(self.stop_time)
        return None if start is None or stop is None else _span(start, stop)


@dataclass
class BilledLine:
    """One F3 line with the period of the packet it came in."""

    line: Any  # a charge-line row: AuditRepository.AUDIT_LINE_COLUMNS
    period: str

    @property
    def credit(self) -> bool:
        return _is_credit(self.line)


def _is_credit(line: Any) -> bool:
    """A credit (backout) line: negative charges or minutes."""
    return (line.charge_amount or 0) < 0 or (line.anes_time_min or 0) < 0


def _segment_key(line: Any) -> tuple:
    """What makes two anesthesia lines the same charged segment (a rebill repeats it)."""
    return (line.cpt_code, line.start_time, line.stop_time, line.split_percent)


@dataclass
class BilledCase:
    """A ticket as billed: all of its lines, in every packet."""

    ticket: str
    date_of_service: dt.date | None
    lines: list[BilledLine]

    @property
    def first(self) -> BilledLine:
        return self.lines[0]

    @property
    def period(self) -> str:
        return self.first.period

    @property
    def page(self) -> int | None:
        return self.first.line.page

    @_once
    def patient(self) -> str | None:
        return next((b.line.patient_name for b in self.lines if b.line.patient_name), None)

    @_once
    def first_post(self) -> dt.date | None:
        return min((b.line.date_of_post for b in self.lines if b.line.date_of_post), default=None)

    @_once
    def cpt_codes(self) -> tuple[str, ...]:
        """Codes of its procedure lines (anesthesia, blocks, pain), not modifiers (Mo)."""
        codes: list[str] = []
        for billed in self.lines:
            code = billed.line.cpt_code
            if code and billed.line.service_type != "Mo" and code not in codes:
                codes.append(code)
        return tuple(codes)

    def anesthesia_lines(self) -> list[Any]:
        """Its charged anesthesia lines, each segment once: no credits, no ``D`` reposting,
        a rebill after a backout not counted again."""
        return self._anesthesia

    @_once
    def _anesthesia(self) -> list[Any]:
        seen: set[tuple] = set()
        out = []
        for billed in self.lines:
            line = billed.line
            if line.service_type != "An" or line.note == "D" or _is_credit(line):
                continue
            key = _segment_key(line)
            if key not in seen:
                seen.add(key)
                out.append(line)
        return out

    @_once
    def start(self) -> int | None:
        starts = [_minutes(line.start_time) for line in self.anesthesia_lines()]
        starts = [s for s in starts if s is not None]
        return min(starts) if starts else None

    @_once
    def minutes(self) -> float:
        return sum(line.anes_time_min or 0 for line in self.anesthesia_lines())

    @_once
    def points(self) -> float:
        return sum(b.line.points or 0 for b in self.lines)

    @property
    def net_charges(self) -> float:
        """Its charges net of credits, over every line."""
        return sum(b.line.charge_amount or 0 for b in self.lines)

    @_once
    def pool(self) -> str | None:
        return next((b.line.sub_pool for b in self.lines if b.line.sub_pool), None)

    @_once
    def head(self) -> tuple[str, str | None, tuple[str, ...], str, int | None, str | None]:
        """What each of its findings names: ticket, date of service (ISO), CPT codes,
        period, page and patient, worked out once however many findings it has."""
        return (
            self.ticket,
            _iso(self.date_of_service),
            self.cpt_codes,
            self.period,
            self.page,
            self.patient,
        )


def group_cases(lines: Iterable[BilledLine]) -> dict[str, BilledCase]:
    """Billed lines -> one BilledCase per ticket (lines kept in posting order)."""
    cases: dict[str, BilledCase] = {}
    for billed in lines:
        ticket = billed.line.ticket
        case = cases.get(ticket)
        if case is None:
            cases[ticket] = BilledCase(ticket, billed.line.date_of_service, [billed])
        else:
            case.lines.append(billed)
            if case.date_of_service is None:
                case.date_of_service = billed.line.date_of_service
    return cases


# --------------------------------------------------------------------------- results


@dataclass
class Match:
    entry: LogEntry
    case: BilledCase
    reason: str
    confidence: float


@dataclass
class Comparison:
    """One-to-one matches, and what is left on each side."""

    matches: list[Match] = field(default_factory=list)
    unmatched_log: list[LogEntry] = field(default_factory=list)
    unmatched_billed: list[BilledCase] = field(default_factory=list)


@dataclass(slots=True)
class Finding:
    """One thing for the billing company to answer, with where to find it."""

    kind: str
    ticket: str | None
    date_of_service: str | None
    cpt_codes: list[str]
    detail: str
    period: str | None = None  # the packet (pay period) to look in
    page: int | None = None  # 1-based page of that packet's PDF
    log_row: int | None = None  # line of the case-log file
    source_file: str | None = None
    points: float | None = None  # what it is worth (missing/mismatch), at the multipliers
    dollars: float | None = None  # points × the pool's current rate
    patient: str | None = None  # private: only in reports when asked

    @property
    def label(self) -> str:
        return KIND_LABELS[self.kind]

    def to_dict(self, include_names: bool = False) -> dict[str, Any]:
        out = asdict(self)
        if not include_names:
            out.pop("patient")
        return out


@dataclass
class ExpectedIncome:
    points: float
    dollars: float
    rate: float | None
    basis: str


@dataclass
class MonthVariance:
    """Logged vs billed cases of one service month (the design's 10 % variance)."""

    month: str
    logged: int
    billed: int
    matched: int
    missing: int
    unexpected: int
    variance: float | None  # (billed - logged) / logged
    flagged: bool
    median_days_to_post: float | None


@dataclass
class Discrepancies:
    findings: list[Finding]
    months: list[MonthVariance]
    threshold: float


@dataclass(slots=True)
class TimelineRow:
    date_of_service: str
    ticket: str | None
    date_of_post: str | None
    days: int | None
    status: str  # billed | unexpected | missing_pending | missing_overdue
    period: str | None


@dataclass
class AuditReport:
    """Everything the audit page, the CLI and the report file show."""

    start: dt.date
    end: dt.date
    log_rows: int
    billed_cases: int
    matches: list[Match]
    findings: list[Finding]
    months: list[MonthVariance]
    timeline: list[TimelineRow]
    lag_p90_days: float | None
    latest_post: dt.date | None
    not_covered: int  # logged cases served before the first stored packet's month
    expected: dict[str, ExpectedIncome]
    match_reasons: dict[str, int]
    basis: str = "chosen"  # why these dates: a key of RANGE_BASES
    reference_from: dt.date | None = None  # first day of the reference window
    #: The findings of each kind, in order (a page view filters these, not all of them).
    by_kind: dict[str, list[Finding]] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.by_kind = {kind: [] for kind in KINDS}
        for finding in self.findings:
            self.by_kind[finding.kind].append(finding)

    @property
    def basis_label(self) -> str:
        return RANGE_BASES[self.basis]

    def counts(self) -> dict[str, int]:
        return {kind: len(found) for kind, found in self.by_kind.items()}

    def of_kind(self, kind: str) -> list[Finding]:
        return list(self.by_kind.get(kind, []))

    def report_rows(self, include_names: bool = False) -> list[dict[str, Any]]:
        """The findings as plain rows for the PDF, Excel and CSV reports."""
        rows = []
        for f in self.findings:
            row = {
                "kind": f.kind,
                "what": f.label,
                "ticket": f.ticket or "",
                "date_of_service": f.date_of_service or "",
                "cpt_codes": ", ".join(f.cpt_codes),
                "detail": f.detail,
                "period": f.period or "",
                "page": f.page if f.page is not None else "",
                "log_row": f.log_row if f.log_row is not None else "",
                "points": round(f.points, 2) if f.points is not None else "",
                "dollars": round(f.dollars, 2) if f.dollars is not None else "",
            }
            if include_names:
                row["patient"] = f.patient or ""
            rows.append(row)
        return rows

    def to_dict(self, include_names: bool = False) -> dict[str, Any]:
        return {
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "basis": self.basis,
            "reference_from": _iso(self.reference_from),
            "log_rows": self.log_rows,
            "billed_cases": self.billed_cases,
            "matched": len(self.matches),
            "match_reasons": self.match_reasons,
            "counts": self.counts(),
            "lag_p90_days": self.lag_p90_days,
            "latest_post": self.latest_post.isoformat() if self.latest_post else None,
            "not_covered": self.not_covered,
            "expected": {k: asdict(v) for k, v in self.expected.items()},
            "months": [asdict(m) for m in self.months],
            "findings": [f.to_dict(include_names) for f in self.findings],
        }


REPORT_COLUMNS: list[tuple[str, str]] = [
    ("what", "Finding"),
    ("ticket", "Ticket"),
    ("date_of_service", "Date of service"),
    ("cpt_codes", "CPT codes"),
    ("detail", "Detail"),
    ("period", "Packet"),
    ("page", "Page"),
    ("log_row", "Log row"),
    ("points", "Points"),
    ("dollars", "Dollars"),
    ("kind", "Kind"),
]


@dataclass
class StoreResult:
    added: int
    already: int
    repeated_in_file: int


# --------------------------------------------------------------------------- matching


def _codes_agree(entry: LogEntry, case: BilledCase) -> bool:
    return bool(set(entry.cpt_codes) & set(case.cpt_codes))


def _time_gap(entry: LogEntry, case: BilledCase) -> int | None:
    logged, billed = _minutes(entry.start_time), case.start
    return None if logged is None or billed is None else _clock_distance(logged, billed)


def match_cases(entries: Sequence[LogEntry], cases: Sequence[BilledCase]) -> Comparison:
    """One-to-one matches of logged and billed cases (stages in the module docstring)."""
    by_ticket = {case.ticket: case for case in cases}
    by_date: dict[dt.date | None, list[BilledCase]] = defaultdict(list)
    for case in cases:
        by_date[case.date_of_service].append(case)
    used: set[str] = set()
    matched: dict[int, Match] = {}

    def take(i: int, case: BilledCase, reason: str, confidence: float) -> None:
        used.add(case.ticket)
        matched[i] = Match(entries[i], case, reason, round(confidence, 2))

    def open_entries() -> list[tuple[int, LogEntry]]:
        return [(i, e) for i, e in enumerate(entries) if i not in matched]

    for i, entry in open_entries():  # 1. ticket exact, corroborated
        case = by_ticket.get(entry.ticket or "")
        if case is None or case.ticket in used or case.date_of_service != entry.case_date:
            continue
        gap = _time_gap(entry, case)
        agrees = _codes_agree(entry, case) or (gap is not None and gap <= TIME_WINDOW_MIN)
        if agrees or (not entry.cpt_codes and entry.start_time is None):
            take(i, case, "ticket exact, same date of service", 1.0)

    for i, entry in open_entries():  # 2. date + start time + CPT
        best = None
        for case in by_date.get(entry.case_date, []):
            gap = _time_gap(entry, case)
            if case.ticket in used or gap is None or gap > TIME_WINDOW_MIN:
                continue
            if _codes_agree(entry, case) and (best is None or gap < best[0]):
                best = (gap, case)
        if best:
            take(i, best[1], f"date of service, start within {best[0]} min, CPT", 0.9)

    for i, entry in open_entries():  # 3. date + CPT (+ fuzzy name)
        candidates = [
            c
            for c in by_date.get(entry.case_date, [])
            if c.ticket not in used and _codes_agree(entry, c)
        ]
        scored = []
        for case in candidates:
            score = name_score(entry.patient, case.patient)
            if score is not None and score < NAME_MIN_SCORE:
                continue
            gap = _time_gap(entry, case)
            scored.append((-(score or 0), gap if gap is not None else 9999, case.ticket, case))
        if not scored:
            continue
        scored.sort(key=lambda item: item[:3])
        score, case = -scored[0][0], scored[0][3]
        if score:
            reason = f"date of service, CPT, patient name {score:.0f}% alike"
            take(i, case, reason, 0.65 + score / 500)
        elif len(scored) == 1:
            take(i, case, "date of service, CPT (the only such case that day)", 0.7)
        else:
            take(i, case, f"date of service, CPT (one of {len(scored)} such cases)", 0.5)

    for i, entry in open_entries():  # 4. ticket + date, nothing else agrees
        case = by_ticket.get(entry.ticket or "")
        if case and case.ticket not in used and case.date_of_service == entry.case_date:
            take(i, case, "ticket exact, same date of service; CPT and time differ", 0.6)

    return Comparison(
        matches=[matched[i] for i in sorted(matched)],
        unmatched_log=[e for i, e in enumerate(entries) if i not in matched],
        unmatched_billed=[c for c in cases if c.ticket not in used],
    )


# --------------------------------------------------------------------------- the audit


def _iso(day: dt.date | None) -> str | None:
    return day.isoformat() if day else None


def _month_end(day: dt.date) -> dt.date:
    if day.month == 12:
        return day.replace(day=31)
    return day.replace(day=1, month=day.month + 1) - dt.timedelta(days=1)


def _months_from(day: dt.date, months: int) -> dt.date:
    """First day of the month ``months`` after ``day``'s (before, when negative), kept
    within the calendar (years 1 to 9999)."""
    index = min(max(day.year * 12 + day.month - 1 + months, 12), 9999 * 12 + 11)
    return dt.date(index // 12, index % 12 + 1, 1)


def _month_start(month: str) -> dt.date:
    return dt.date(int(month[:4]), int(month[5:7]), 1)


def _head_finding(kind: str, head: tuple, detail: str, **extra: Any) -> Finding:
    """A finding about a billed case, from what its findings name (``BilledCase.head``)."""
    ticket, served, codes, period, page, patient = head
    return Finding(
        kind=kind,
        ticket=ticket,
        date_of_service=served,
        cpt_codes=list(codes),
        detail=detail,
        period=period,
        page=page,
        patient=patient,
        **extra,
    )


def _in_order(*found: list[Finding]) -> list[Finding]:
    """The findings by kind (``KINDS``), then date of service and ticket; as found within
    those. Each kind is sorted on its own (the same order as one sort of them all, for
    less work: a group's year holds ~85,000 overlaps)."""
    by_kind: dict[str, list[Finding]] = {kind: [] for kind in KINDS}
    for findings in found:
        for f in findings:
            by_kind[f.kind].append(f)
    out: list[Finding] = []
    for findings in by_kind.values():
        findings.sort(key=lambda f: (f.date_of_service or "", f.ticket or ""))
        out += findings
    return out


class _MostCommon:
    """``Counter.most_common(1)`` kept up to date as values are counted, instead of asked
    again for every case (ties go to the value counted first, as Counter's do)."""

    __slots__ = ("counts", "first_seen", "value", "times", "total")

    def __init__(self) -> None:
        self.counts: dict[Any, int] = {}
        self.first_seen: dict[Any, int] = {}
        self.value: Any = None
        self.times = 0
        self.total = 0

    def add(self, value: Any) -> None:
        n = self.counts[value] = self.counts.get(value, 0) + 1
        order = self.first_seen.setdefault(value, len(self.first_seen))
        if n > self.times or (n == self.times and order < self.first_seen[self.value]):
            self.value, self.times = value, n
        self.total += 1


@dataclass
class Reference:
    """What the audited cases are judged against, from the reference window: the audited
    dates and the LOOKBACK_MONTHS before them."""

    start: dt.date  # first day of the window
    latest_post: dt.date | None  # of any stored line
    lag_p90: float | None  # days from service to first posting, cases served in the window
    medians: dict[str, float]  # median points of a case per primary CPT, in the window

    @property
    def pending_cutoff(self) -> dt.date | None:
        """Logged cases served after it are still within the usual charge lag."""
        if self.latest_post is None or self.lag_p90 is None:
            return None
        return self.latest_post - dt.timedelta(days=self.lag_p90)


class BillingAudit:
    """The design's billing audit over the stored packets and case log."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.repo = AuditRepository(session)
        self.log_repo = UserCaseLogRepository(session)
        self._rates: tuple[dict[str, float], float | None] | None = None

    # ------------------------------------------------------------------ inputs

    def store_log(self, parsed: ParsedLog) -> StoreResult:
        """Store a parsed log's rows in ``user_case_log``; rows already stored (same
        content key) are skipped. The caller owns the transaction."""
        keys = {row.row_key: row for row in parsed.rows}
        already = self.repo.case_log_keys(keys)
        new = [
            UserCaseLog(
                case_date=row.case_date,
                patient_ticket=row.ticket,
                cpt_codes=",".join(row.cpt_codes) or None,
                notes=row.notes,
                start_time=row.start_time,
                stop_time=row.stop_time,
                patient=row.patient,
                source_file=parsed.source_file[:255],
                row_number=row.row_number,
                row_key=key,
                verified_in_billing=False,
            )
            for key, row in keys.items()
            if key not in already
        ]
        self.log_repo.add_all(new)
        return StoreResult(len(new), len(already), len(parsed.repeated))

    def default_range(self) -> tuple[dt.date, dt.date] | None:
        """The stored log's months, first day of the first to last day of the last."""
        first, last = self.repo.case_log_span()
        if first is None or last is None:
            return None
        return first.replace(day=1), _month_end(last)

    def recent_range(self) -> tuple[dt.date, dt.date] | None:
        """The latest DEFAULT_MONTHS posted months (pay periods): the default without a
        log, so a page view audits a year of cases however long the history is."""
        last = self.repo.last_period()
        if last is None:
            return None
        latest = _month_start(last)
        return _months_from(latest, 1 - DEFAULT_MONTHS), _month_end(latest)

    def stored_span(self) -> tuple[dt.date | None, dt.date | None]:
        """The first and last stored date of service (to widen the audit to all of it)."""
        return self.repo.service_date_span()

    def has_packets(self) -> bool:
        return self.repo.first_period() is not None

    def billed_cases(self, start: dt.date, end: dt.date) -> list[BilledCase]:
        """Billed cases served within the dates (each from its lines served then), by date
        of service and ticket."""
        rows = self.repo.charge_line_rows(start, end)
        cases = [
            c
            for c in group_cases(BilledLine(row, row.period) for row in rows).values()
            if c.date_of_service and start <= c.date_of_service <= end
        ]
        return sorted(cases, key=lambda c: (c.date_of_service, c.ticket))

    def reference(self, start: dt.date, end: dt.date) -> Reference:
        """The reference figures for auditing ``start``..``end`` (see ``Reference``)."""
        window = _months_from(start, -LOOKBACK_MONTHS)
        lag = WorkloadMetrics(self.session).charge_lag((window, end), by="service")
        return Reference(
            start=window,
            latest_post=self.repo.latest_post_date(),
            lag_p90=lag.overall.p90_days,
            medians=self.repo.median_case_points(window, end),
        )

    def current_rates(self) -> tuple[dict[str, float], float | None]:
        """Each pool's $/point rate in its latest packet, and their mean (for cases whose
        pool has no rate)."""
        if self._rates is None:
            rates: dict[str, float] = {}
            for row in PoolReportingRepository(self.session).pool_figures():
                if row["pool"] != "ALL" and row["rate"]:
                    rates[row["pool"]] = float(row["rate"])
            mean = statistics.fmean(rates.values()) if rates else None
            self._rates = (rates, mean)
        return self._rates

    def _worth(self, points: float, pool: str | None) -> float | None:
        rates, mean = self.current_rates()
        rate = rates.get(pool or "", mean)
        return None if rate is None else round(points * rate, 2)

    # ------------------------------------------------------------------ design methods

    def compare_case_logs(
        self, user_log: Sequence[LogEntry], billing_data: Sequence[BilledCase]
    ) -> Comparison:
        """Match the log against the billed cases one to one (see ``match_cases``)."""
        return match_cases(user_log, billing_data)

    def find_missing_cases(
        self, expected_cases: Sequence[LogEntry], actual_cases: Sequence[BilledCase]
    ) -> list[Finding]:
        """Logged cases with no billed case: pending when served within the charge lag
        p90 of the latest date of post, else overdue (reference figures from the logged
        dates and the LOOKBACK_MONTHS before them)."""
        comparison = match_cases(expected_cases, actual_cases)
        days = [e.case_date for e in expected_cases] or [dt.date.today()]
        return self._missing(comparison.unmatched_log, self.reference(min(days), max(days)))

    def detect_discrepancies(
        self, threshold: float = 0.1, date_range: tuple[Any, Any] | None = None
    ) -> Discrepancies:
        """Mismatches, duplicates, time and unit problems, ticket gaps; and each service
        month whose billed case count differs from the logged count by more than
        ``threshold`` (10 %: the design's variance)."""
        report = self.generate_audit_report(date_range, threshold=threshold)
        findings = [f for f in report.findings if f.kind in DISCREPANCY_KINDS]
        return Discrepancies(findings, report.months, threshold)

    def calculate_expected_income(
        self, historical_avg: float, case_count: int, pool: str | None = None
    ) -> ExpectedIncome:
        """What ``case_count`` cases of ``historical_avg`` points each are worth at the
        current rate (the pool's, else the mean of the pools')."""
        points = round(historical_avg * case_count, 4)
        rates, mean = self.current_rates()
        rate = rates.get(pool or "", mean)
        dollars = round(points * rate, 2) if rate is not None else 0.0
        return ExpectedIncome(points, dollars, rate, f"{case_count} × {historical_avg:.2f} pts")

    def clear_log(self) -> int:
        """Remove every stored case-log row. Returns how many."""
        return self.log_repo.delete_all()

    def has_log(self) -> bool:
        return self.log_repo.count() > 0

    def generate_audit_report(
        self,
        date_range: tuple[Any, Any] | None = None,
        threshold: float = 0.1,
        entries: Sequence[LogEntry] | None = None,
        save_matches: bool = False,
    ) -> AuditReport:
        """The whole audit over ``date_range`` (default: the stored log's months, else the
        latest DEFAULT_MONTHS posted months). With ``save_matches`` the stored log rows get
        their match (``verified_in_billing``, ``matched_ticket``, reason, confidence); the
        caller commits. Over the stored log (no ``entries``) the report is kept until the
        data, the rules or the log change (``analytics.cache``), whatever said the dates (an
        upload's audit serves the page it redirects to): treat it as read-only."""
        start, end, basis = self._range(date_range)
        if entries is not None:
            chosen = [e for e in entries if start <= e.case_date <= end]
            return self._audit(start, end, basis, threshold, chosen)
        report = cached(
            self.session,
            ("audit.report", start, end, threshold),
            lambda: self._audit(start, end, basis, threshold, self._stored(start, end)),
        )
        if save_matches:
            rows = self.log_repo.find_by_date_range(start, end)
            self._save_matches(report.matches, {row.id: row for row in rows})
        return report if report.basis == basis else replace(report, basis=basis)

    # ------------------------------------------------------------------ helpers

    def _stored(self, start: dt.date, end: dt.date) -> list[LogEntry]:
        return [LogEntry.from_model(row) for row in self.log_repo.find_by_date_range(start, end)]

    def _audit(
        self,
        start: dt.date,
        end: dt.date,
        basis: str,
        threshold: float,
        entries: Sequence[LogEntry],
    ) -> AuditReport:
        """The audit over the dates; cyclic garbage collection paused while its objects
        are built (``bulk_load``)."""
        with bulk_load():
            first_period = self.repo.first_period()
            covered_from = _month_start(first_period) if first_period else None
            judged = [e for e in entries if covered_from and e.case_date >= covered_from]
            cases = self.billed_cases(start, end)
            comparison = match_cases(judged, cases)
            reference = self.reference(start, end)

            findings = _in_order(
                self._missing(comparison.unmatched_log, reference),
                [self._unexpected(case) for case in comparison.unmatched_billed],
                self._mismatches(comparison.matches, reference),
                self._duplicates(cases),
                self._time_arithmetic(cases),
                self._overlaps(cases),
                self._base_units(cases, start, end, reference),
                self._zeroed(cases),
                self._ticket_gaps(start, end, entries, reference),
            )

            return AuditReport(
                start=start,
                end=end,
                log_rows=len(entries),
                billed_cases=len(cases),
                matches=comparison.matches,
                findings=findings,
                months=self._months(entries, comparison, threshold),
                timeline=self._timeline(comparison, reference),
                lag_p90_days=reference.lag_p90,
                latest_post=reference.latest_post,
                not_covered=len(entries) - len(judged),
                expected=self._expected(findings),
                match_reasons=dict(Counter(m.reason.split(",")[0] for m in comparison.matches)),
                basis=basis,
                reference_from=reference.start,
            )

    def _range(self, date_range: tuple[Any, Any] | None) -> tuple[dt.date, dt.date, str]:
        """The audited dates and why (a key of RANGE_BASES)."""
        start, end = date_range or (None, None)
        start = dt.date.fromisoformat(str(start)) if start else None
        end = dt.date.fromisoformat(str(end)) if end else None
        if start and end and end < start:
            raise ValueError(f"the audit range ends ({end}) before it starts ({start})")
        if start is not None and end is not None:
            return start, end, "chosen"
        default, basis = self.default_range(), "case log"
        if default is None:
            today = dt.date.today()
            default, basis = self.recent_range() or (today, today), "recent"
        # One side given: the other from the default, never crossing the given one.
        if start is not None:
            return start, max(default[1], start), "chosen"
        if end is not None:
            return min(default[0], end), end, "chosen"
        return default[0], default[1], basis

    def _save_matches(self, matches: Sequence[Match], rows: dict[int | None, UserCaseLog]) -> None:
        for row in rows.values():
            row.verified_in_billing = False
            row.matched_ticket = row.match_reason = row.match_confidence = None
        for match in matches:
            row = rows.get(match.entry.id)
            if row is not None:
                row.verified_in_billing = True
                row.matched_ticket = match.case.ticket
                row.match_reason = match.reason[:200]
                row.match_confidence = match.confidence
        self.session.flush()

    def _missing(self, entries: Sequence[LogEntry], reference: Reference) -> list[Finding]:
        latest, p90 = reference.latest_post, reference.lag_p90
        cutoff = reference.pending_cutoff
        medians = reference.medians
        average = statistics.fmean(medians.values()) if medians else 0.0
        billed_on = self.repo.service_dates(e.ticket for e in entries if e.ticket)
        out = []
        for entry in entries:
            pending = cutoff is None or entry.case_date > cutoff
            cpt = entry.cpt_codes[0] if entry.cpt_codes else None
            points = medians.get(cpt or "", average)
            detail = (
                f"In your log ({entry.source_file or 'log'} row {entry.row_number}), "
                "not in any packet. "
            )
            if pending:
                detail += (
                    f"Served within your usual charge lag ({p90:.0f} days, 90th percentile) "
                    f"of the latest posting ({_iso(latest)}): probably still to come."
                    if p90 is not None
                    else "No postings to judge the lag by."
                )
            else:
                detail += (
                    f"Served {(latest - entry.case_date).days} days before the latest posting "
                    f"({_iso(latest)}), longer than your usual lag of {p90:.0f} days."
                )
            if (entry.ticket or "") in billed_on:
                detail += (
                    f" Ticket {entry.ticket} was billed for {_iso(billed_on[entry.ticket])}: "
                    "check the date."
                )
            out.append(
                Finding(
                    kind="missing_pending" if pending else "missing_overdue",
                    ticket=entry.ticket,
                    date_of_service=entry.case_date.isoformat(),
                    cpt_codes=list(entry.cpt_codes),
                    detail=detail + f" Worth about {points:.2f} points (median for {cpt}).",
                    log_row=entry.row_number,
                    source_file=entry.source_file,
                    points=round(points, 4),
                    dollars=self._worth(points, None),
                    patient=entry.patient,
                )
            )
        return out

    def _case_finding(self, kind: str, case: BilledCase, detail: str, **extra: Any) -> Finding:
        return _head_finding(kind, case.head, detail, **extra)

    def _line_finding(self, kind: str, billed: BilledLine, detail: str) -> Finding:
        line = billed.line
        return Finding(
            kind=kind,
            ticket=line.ticket,
            date_of_service=_iso(line.date_of_service),
            cpt_codes=[line.cpt_code] if line.cpt_code else [],
            detail=detail,
            period=billed.period,
            page=line.page,
            patient=line.patient_name,
        )

    def _unexpected(self, case: BilledCase) -> Finding:
        return self._case_finding(
            "unexpected",
            case,
            f"Billed (first posted {_iso(case.first_post)}, {case.points:.2f} points) but not "
            "in your log: was it yours?",
        )

    def _mismatches(self, matches: Iterable[Match], reference: Reference) -> list[Finding]:
        out = []
        medians = reference.medians
        for match in matches:
            entry, case = match.entry, match.case
            where = f"log row {entry.row_number}; matched by {match.reason}"
            logged, billed = set(entry.cpt_codes), set(case.cpt_codes)
            if entry.cpt_codes and logged != billed:
                only_log = ", ".join(c for c in entry.cpt_codes if c not in billed) or "none"
                only_bill = ", ".join(c for c in case.cpt_codes if c not in logged) or "none"
                diff = medians.get(entry.cpt_codes[0], 0.0) - medians.get(
                    case.cpt_codes[0] if case.cpt_codes else "", 0.0
                )
                out.append(
                    self._case_finding(
                        "cpt_mismatch",
                        case,
                        f"Logged {', '.join(entry.cpt_codes)}; billed "
                        f"{', '.join(case.cpt_codes)} (only logged: {only_log}; only billed: "
                        f"{only_bill}). {where}.",
                        log_row=entry.row_number,
                        source_file=entry.source_file,
                        points=round(diff, 4),
                        dollars=self._worth(diff, case.pool),
                    )
                )
            if entry.ticket and entry.ticket != case.ticket:
                out.append(
                    self._case_finding(
                        "ticket_mismatch",
                        case,
                        f"Logged ticket {entry.ticket}; billed as {case.ticket}. {where}.",
                        log_row=entry.row_number,
                        source_file=entry.source_file,
                    )
                )
            logged_min = entry.logged_minutes
            if logged_min is not None and case.anesthesia_lines():
                diff_min = logged_min - case.minutes
                if abs(diff_min) > MINUTES_TOLERANCE:
                    points = diff_min * POINTS_PER_MINUTE
                    out.append(
                        self._case_finding(
                            "time_mismatch",
                            case,
                            f"Your times {entry.start_time}-{entry.stop_time} make "
                            f"{logged_min} min; billed {case.minutes:.0f} min "
                            f"({diff_min:+.0f}). {where}.",
                            log_row=entry.row_number,
                            source_file=entry.source_file,
                            points=round(points, 4),
                            dollars=self._worth(points, case.pool),
                        )
                    )
        return out

    def _duplicates(self, cases: Iterable[BilledCase]) -> list[Finding]:
        out = []
        by_content: dict[tuple, list[BilledCase]] = defaultdict(list)
        for case in cases:
            # One pass over its lines: the D reposts and each anesthesia segment's count
            # (a credit takes one off); the counts are not used when there is a D line.
            d_lines = []
            counts: dict[tuple, int] = {}
            for billed in case.lines:
                line = billed.line
                if line.note == "D":
                    d_lines.append(billed)
                elif d_lines:
                    continue
                if line.service_type == "An":
                    key = _segment_key(line)
                    counts[key] = counts.get(key, 0) + (-1 if _is_credit(line) else 1)
            if d_lines:
                first = d_lines[0]
                net = case.net_charges
                out.append(
                    self._line_finding(
                        "duplicate",
                        first,
                        f"{len(d_lines)} line(s) flagged D (duplicate ticket) posted "
                        f"{_iso(first.line.date_of_post)}; the ticket's charges now net "
                        f"${net:,.2f}.",
                    )
                )
                continue
            twice = [key for key, n in counts.items() if n > 1]
            if twice:
                net = case.net_charges
                out.append(
                    self._case_finding(
                        "duplicate",
                        case,
                        f"Anesthesia line {twice[0][0]} {twice[0][1] or ''}-{twice[0][2] or ''} "
                        f"charged {counts[twice[0]]} times with no credit; charges net "
                        f"${net:,.2f}.",
                    )
                )
            lines = case.anesthesia_lines()
            if lines and lines[0].start_time and lines[-1].stop_time:
                key = (case.date_of_service, lines[0].cpt_code, lines[0].start_time,
                       lines[-1].stop_time)  # fmt: skip
                by_content[key].append(case)
        for key, group in by_content.items():
            if len(group) > 1:
                tickets = ", ".join(c.ticket for c in group)
                for case in group[1:]:
                    out.append(
                        self._case_finding(
                            "duplicate",
                            case,
                            f"Same date, CPT {key[1]} and times {key[2]}-{key[3]} as ticket "
                            f"{group[0].ticket}: one case billed under tickets {tickets}?",
                        )
                    )
        return out

    def _time_arithmetic(self, cases: Iterable[BilledCase]) -> list[Finding]:
        out = []
        for case in cases:
            for billed in case.lines:
                line = billed.line
                if line.split_percent is not None:
                    continue
                start, stop = _minutes(line.start_time), _minutes(line.stop_time)
                if start is None or stop is None:
                    continue
                minutes = abs(line.anes_time_min or 0)
                if abs(_span(start, stop) - minutes) > 0.5:
                    out.append(
                        self._line_finding(
                            "time_arithmetic",
                            billed,
                            f"{line.start_time}-{line.stop_time} is {_span(start, stop)} min "
                            f"but the line bills {minutes:g} min.",
                        )
                    )
        return out

    def _overlaps(self, cases: Sequence[BilledCase]) -> list[Finding]:
        """Anesthesia segments of two different tickets on the same date that overlap: per
        day, segments by start (then stop); each is compared with the segments starting
        before it stops, so the work follows the overlaps found, not all pairs of the day."""
        # Each segment: start, stop (past midnight: later than 1440), its case's finding
        # head, its times as printed, and whether it is an OB segment.
        by_day: dict[dt.date, list[tuple[int, int, tuple, str, Any]]] = defaultdict(list)
        for case in cases:
            served = case.date_of_service
            if not served:
                continue
            segments = by_day[served]
            for line in case.anesthesia_lines():
                start, stop = _minutes(line.start_time), _minutes(line.stop_time)
                if start is not None and stop is not None:
                    times = f"{line.start_time}-{line.stop_time}"
                    segments.append(
                        (start, start + _span(start, stop), case.head, times,
                         line.ob_case_position)
                    )  # fmt: skip
        out = []
        append = out.append
        ob_note, plain = " (OB: concurrent labor epidurals are allowed).", "."
        for segments in by_day.values():
            segments.sort(key=_START_STOP)
            count = len(segments)
            for i in range(count):
                _start, stop, head, times, ob = segments[i]
                ticket = head[0]
                for j in range(i + 1, count):
                    o_start, o_stop, o_head, o_times, o_ob = segments[j]
                    if o_start >= stop:
                        break
                    if o_head[0] == ticket:
                        continue
                    minutes = (stop if stop < o_stop else o_stop) - o_start
                    detail = (
                        f"{o_times} overlaps ticket {ticket} ({times}) by {minutes} min"
                        f"{ob_note if ob or o_ob else plain}"
                    )
                    append(_head_finding("overlap", o_head, detail))
        return out

    def _base_units(
        self, cases: Sequence[BilledCase], start: dt.date, end: dt.date, reference: Reference
    ) -> list[Finding]:
        """A case's anesthesia base units unlike the most common value the same CPT got in
        earlier cases of the reference window (whole cases only: no shared ``S`` case, no OB
        middle/end segment; each charged segment once, see
        ``AuditRepository.anesthesia_units``)."""
        in_range = {case.ticket: case for case in cases}
        seen: dict[str, _MostCommon] = {}
        out = []
        for ticket, served, cpt, units, shared in self.repo.anesthesia_units(reference.start, end):
            if shared:
                continue  # rows come by date of service, then ticket
            cpt, units = cpt or "", round(units or 0, 2)
            before = seen.get(cpt)
            if before is None:
                before = seen[cpt] = _MostCommon()
            if before.total and served >= start:
                case = in_range.get(ticket)
                if case is not None and abs(units - before.value) > 0.005:
                    out.append(
                        self._case_finding(
                            "base_units",
                            case,
                            f"{units:g} anesthesia base units for {cpt}; earlier {cpt} cases "
                            f"got {before.value:g} ({before.times} of {before.total}).",
                        )
                    )
            before.add(units)
        return out

    def _zeroed(self, cases: Iterable[BilledCase]) -> list[Finding]:
        return [
            self._line_finding(
                "zeroed",
                billed,
                f"{billed.line.cpt_code} ({billed.line.service_type}) posted "
                f"{_iso(billed.line.date_of_post)} with its medical units zeroed (Z).",
            )
            for case in cases
            for billed in case.lines
            if billed.line.note == "Z"
        ]

    def _ticket_gaps(
        self, start: dt.date, end: dt.date, entries: Sequence[LogEntry], reference: Reference
    ) -> list[Finding]:
        """Open gaps whose neighbours were served in the dates, from the sequence of the
        tickets served from the reference window's start to LOOKBACK_MONTHS after the dates
        (a ticket served later posts after these gaps opened); days missing counted to the
        end of the latest posting month."""
        logged = {e.ticket: e for e in entries if e.ticket}
        latest = reference.latest_post
        after = _month_end(_months_from(end, LOOKBACK_MONTHS))
        sequence = WorkloadMetrics(self.session).ticket_sequence(
            as_of=_month_end(latest) if latest else None, served=(reference.start, after)
        )
        out = []
        for gap in sequence.open_gaps:
            served = gap.service_after or gap.service_before
            if not served or not start.isoformat() <= served <= end.isoformat():
                continue
            detail = (
                f"Ticket {gap.ticket} never posted, between {gap.previous_ticket} (served "
                f"{gap.service_after}) and {gap.next_ticket} (served {gap.service_before}); "
                f"missing since {gap.missing_since} ({gap.days_missing} days)."
            )
            entry = logged.get(gap.ticket)
            if entry is not None:
                detail += f" Your log has it: row {entry.row_number} ({entry.case_date})."
            out.append(
                Finding(
                    kind="ticket_gap",
                    ticket=gap.ticket,
                    date_of_service=served,
                    cpt_codes=list(entry.cpt_codes) if entry else [],
                    detail=detail,
                    period=gap.missing_since_period,
                    log_row=entry.row_number if entry else None,
                )
            )
        return out

    def _months(
        self, entries: Sequence[LogEntry], comparison: Comparison, threshold: float
    ) -> list[MonthVariance]:
        logged = Counter(month_of(e.case_date) for e in entries)
        missing = Counter(month_of(e.case_date) for e in comparison.unmatched_log)
        matched = Counter(month_of(m.case.date_of_service) for m in comparison.matches)
        unexpected = Counter(month_of(c.date_of_service) for c in comparison.unmatched_billed)
        lags: dict[str, list[int]] = defaultdict(list)
        for m in comparison.matches:
            if m.case.first_post and m.case.date_of_service:
                lags[month_of(m.case.date_of_service)].append(
                    (m.case.first_post - m.case.date_of_service).days
                )
        out = []
        for month in sorted(set(logged) | set(matched) | set(unexpected)):
            billed = matched[month] + unexpected[month]
            variance = (billed - logged[month]) / logged[month] if logged[month] else None
            out.append(
                MonthVariance(
                    month=month,
                    logged=logged[month],
                    billed=billed,
                    matched=matched[month],
                    missing=missing[month],
                    unexpected=unexpected[month],
                    variance=round(variance, 4) if variance is not None else None,
                    flagged=variance is None or abs(variance) > threshold,
                    median_days_to_post=(
                        float(statistics.median(lags[month])) if lags[month] else None
                    ),
                )
            )
        return out

    def _timeline(self, comparison: Comparison, reference: Reference) -> list[TimelineRow]:
        rows = []
        for match in comparison.matches:
            rows.append(self._timeline_row(match.case, "billed"))
        for case in comparison.unmatched_billed:
            rows.append(self._timeline_row(case, "unexpected"))
        latest, p90 = reference.latest_post, reference.lag_p90
        for entry in comparison.unmatched_log:
            pending = latest is None or p90 is None or (latest - entry.case_date).days <= p90
            rows.append(
                TimelineRow(
                    entry.case_date.isoformat(),
                    entry.ticket,
                    None,
                    None,
                    "missing_pending" if pending else "missing_overdue",
                    None,
                )
            )
        rows.sort(key=lambda r: (r.date_of_service, r.ticket or ""))
        return rows

    @staticmethod
    def _timeline_row(case: BilledCase, status: str) -> TimelineRow:
        posted = case.first_post
        served = case.date_of_service
        return TimelineRow(
            _iso(served) or "",
            case.ticket,
            _iso(posted),
            (posted - served).days if posted and served else None,
            status,
            case.period,
        )

    def _expected(self, findings: Sequence[Finding]) -> dict[str, ExpectedIncome]:
        """Points and dollars the missing and mismatched cases would be worth now."""
        out = {}
        groups = {
            "missing_pending": ("missing_pending",),
            "missing_overdue": ("missing_overdue",),
            "mismatches": MISMATCH_KINDS,
        }
        for name, kinds in groups.items():
            chosen = [f for f in findings if f.kind in kinds and f.points is not None]
            points = round(sum(f.points or 0 for f in chosen), 4)
            dollars = round(sum(f.dollars or 0 for f in chosen), 2)
            rates, mean = self.current_rates()
            out[name] = ExpectedIncome(points, dollars, mean, f"{len(chosen)} finding(s)")
        return out


# --------------------------------------------------------------------------- page helpers

#: Kinds that need the case log; without one only the others are shown.
LOG_KINDS = ("missing_pending", "missing_overdue", "unexpected", *MISMATCH_KINDS)
#: Findings listed per page (a busy group's year can hold thousands of ticket gaps).
FINDINGS_PER_PAGE = 250


def timeline_chart(report: AuditReport) -> Chart:
    """Cases by service month: billed (matched or not in the log) and missing, with the
    median days from service to first posting; each bar opens what it counts."""
    months = [m.month for m in report.months]
    by_month = {m.month: m for m in report.months}
    pending = Counter(month_of(dt.date.fromisoformat(f.date_of_service))
                      for f in report.of_kind("missing_pending"))  # fmt: skip

    def series(name: str, values: list[float | None], target: Any, **kw: Any) -> Series:
        return Series(name, values, [target(m) for m in months], **kw)

    return Chart(
        name="audit_timeline",
        title="Service month → billing",
        question="Of the cases done each month, how many were billed, and how fast?",
        kind="bar",
        x_label="Service month",
        x=months,
        series=[
            series(
                "Billed, in your log",
                [by_month[m].matched for m in months],
                lambda m: ("cases", {"service_month": m}),
            ),
            series(
                "Billed, not in your log",
                [by_month[m].unexpected for m in months],
                lambda m: ("audit", {"kind": "unexpected", "month": m}),
            ),
            series(
                "Missing: pending",
                [pending[m] for m in months],
                lambda m: ("audit", {"kind": "missing_pending", "month": m}),
            ),
            series(
                "Missing: overdue",
                [by_month[m].missing - pending[m] for m in months],
                lambda m: ("audit", {"kind": "missing_overdue", "month": m}),
            ),
            series(
                "Median days to first posting",
                [by_month[m].median_days_to_post for m in months],
                lambda m: ("cases", {"service_month": m}),
                drawn=False,
            ),
        ],
        y_label="cases",
        note="Missing cases are those in your log with no billed case; pending ones were "
        "served within your usual charge lag of the latest posting.",
    )


@dataclass
class AuditQuery:
    """The audit page's query: dates of service, a finding kind, a service month, and
    the page of the findings list."""

    start: dt.date | None = None
    end: dt.date | None = None
    kind: str | None = None
    month: str | None = None
    page: int = 1
    problems: list[str] = field(default_factory=list)

    @property
    def date_range(self) -> tuple[dt.date | None, dt.date | None] | None:
        return (self.start, self.end) if self.start or self.end else None


def parse_audit_query(params: Any) -> AuditQuery:
    """``from``/``to`` dates, ``kind``, ``month`` and ``page`` from query parameters; what
    cannot be read is ignored and said in ``problems``."""
    query = AuditQuery()
    for name, attribute in (("from", "start"), ("to", "end")):
        value = (params.get(name) or "").strip()
        if value:
            try:
                setattr(query, attribute, dt.date.fromisoformat(value[:10]))
            except ValueError:
                query.problems.append(f"'{name}' must be a date like 2025-03-31; ignored.")
    if query.start and query.end and query.end < query.start:
        query.problems.append("'to' is before 'from'; both ignored.")
        query.start = query.end = None
    kind = (params.get("kind") or "").strip()
    if kind in KINDS:
        query.kind = kind
    elif kind:
        query.problems.append(f"'{kind[:30]}' is not a kind of finding; ignored.")
    month = (params.get("month") or "").strip()
    if len(month) == 7 and month[4] == "-" and month.replace("-", "").isdigit():
        query.month = month
    elif month:
        query.problems.append("'month' must be a month like 2025-03; ignored.")
    page = (params.get("page") or "").strip()
    if page.isdigit() and 0 < int(page) < 10**6:
        query.page = int(page)
    elif page:
        query.problems.append("'page' must be a page number like 2; ignored.")
    return query


def shown_findings(report: AuditReport, query: AuditQuery, has_log: bool) -> list[Finding]:
    """The findings the page lists: of the kind and service month asked, and without a
    stored log only the kinds that need none."""
    out: list[Finding] = []
    for kind in [query.kind] if query.kind else KINDS:
        if has_log or kind not in LOG_KINDS:
            found = report.by_kind.get(kind, [])
            if query.month is not None:
                found = [f for f in found if (f.date_of_service or "").startswith(query.month)]
            out += found
    return out


def shown_counts(report: AuditReport, has_log: bool) -> dict[str, int]:
    """How many findings of each kind the page can list (kinds with none left out)."""
    return {
        kind: count
        for kind, count in report.counts().items()
        if count and (has_log or kind not in LOG_KINDS)
    }


def findings_page(findings: Sequence[Finding], page: int) -> tuple[list[Finding], int, int]:
    """The findings of one page of the list (FINDINGS_PER_PAGE each), that page (the last
    one when asked for a later page) and how many pages there are."""
    pages = max(1, -(-len(findings) // FINDINGS_PER_PAGE))
    page = min(max(page, 1), pages)
    first = (page - 1) * FINDINGS_PER_PAGE
    return list(findings[first : first + FINDINGS_PER_PAGE]), page, pages
