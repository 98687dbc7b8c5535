"""Fuzz the extractor and the importers with mutated packets and case logs.

    PYTHONPATH=. python bench/fuzz_nightly.py                 # the nightly run: 1,200 packets
    PYTHONPATH=. python bench/fuzz_nightly.py --packets 300 --caselogs 100 --seed 7

Base files come from the synthetic generator (a few random layouts); each mutated copy has
bytes flipped, is truncated, loses a stream or an object, has its pages shuffled or dropped,
or several of these. Every file goes through the real path in a worker process with a time
limit: the extractor, then ``PacketLoader.import_file`` on the worker's own SQLite copy (case
logs: ``parse_case_log`` then ``BillingAudit.store_log`` in one transaction). Each answer is
sorted into: a result, a clear error, a crash (any other exception, or the worker died), a
hang (over the time limit: the worker is killed and replaced) or a partial write (the table
counts after the file are not exactly the counts before plus what the answer says it wrote).
The CI test (tests/test_fuzz.py) runs a few hundred through the same code; this command
runs the long corpus and writes the counts as JSON (``--out``) for docs/reliability.md.
"""

from __future__ import annotations

import argparse
import io
import json
import multiprocessing
import random
import re
import shutil
import sys
import time
import traceback
from collections import Counter
from dataclasses import asdict, dataclass
from multiprocessing.connection import Connection, wait
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make the project importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

RESULT = "result"
CLEAR_ERROR = "clear_error"
CRASH = "crash"
HANG = "hang"
PARTIAL_WRITE = "partial_write"
OUTCOMES = (RESULT, CLEAR_ERROR, CRASH, HANG, PARTIAL_WRITE)

PACKET_MUTATIONS = (
    "flip_bytes",
    "truncate",
    "drop_stream",
    "garble_stream",
    "drop_object",
    "shuffle_pages",
    "drop_pages",
)
CASELOG_MUTATIONS = (
    "flip_bytes",
    "truncate",
    "drop_column",
    "shuffle_lines",
    "drop_header",
    "garbage_line",
    "encoding",
    "delimiter",
    "nul_bytes",
    "long_field",
)


@dataclass
class FuzzCase:
    """One mutated file and how it was made."""

    kind: str  # "packet" | "caselog"
    path: str
    mutation: str


@dataclass
class Outcome:
    """What the app answered for one mutated file."""

    kind: str
    path: str
    mutation: str
    outcome: str
    detail: str
    seconds: float


# --------------------------------------------------------------------------- base files


def make_base_files(folder: Path, layouts: int = 3, months: int = 2) -> tuple[list, list]:
    """Real generated packets (``layouts`` random layouts) and their case-log CSVs."""
    from data.synthetic import generate_history
    from data.synthetic.layout import LayoutOptions

    packets: list[Path] = []
    caselogs: list[Path] = []
    for seed in range(layouts):
        out = folder / f"base{seed}"
        layout = None if seed == 0 else LayoutOptions.random(seed)
        months_written = generate_history(
            out, months=months, start=f"2024-0{seed + 1}", seed=seed + 1, layout=layout
        )
        packets += [month.pdf_path for month in months_written]
        caselogs += sorted({month.caselog_path for month in months_written})
    return packets, caselogs


# --------------------------------------------------------------------------- mutations

_STREAM = re.compile(rb"stream\r?\n(.*?)endstream", re.S)
_OBJECT = re.compile(rb"\d+ 0 obj.*?endobj", re.S)


def _flip_bytes(data: bytes, rng: random.Random) -> bytes:
    out = bytearray(data)
    for _ in range(rng.randint(1, 64)):
        out[rng.randrange(len(out))] ^= 1 << rng.randrange(8)
    return bytes(out)


def _spans(pattern: re.Pattern, data: bytes, group: int = 0) -> list[tuple[int, int]]:
    return [match.span(group) for match in pattern.finditer(data)]


def _cut(data: bytes, spans: list[tuple[int, int]], rng: random.Random, fill: bytes) -> bytes:
    if not spans:
        return data[: rng.randrange(len(data))]
    start, end = rng.choice(spans)
    return data[:start] + fill + data[end:]


def _rewrite_pages(data: bytes, rng: random.Random, drop: bool) -> bytes:
    import pypdfium2 as pdfium

    source = pdfium.PdfDocument(data)
    try:
        order = list(range(len(source)))
        if drop and len(order) > 1:
            order = sorted(rng.sample(order, rng.randint(1, len(order) - 1)))
        else:
            rng.shuffle(order)
        target = pdfium.PdfDocument.new()
        target.import_pages(source, order)
        buffer = io.BytesIO()
        target.save(buffer)
        target.close()
        return buffer.getvalue()
    finally:
        source.close()


def mutate_packet(data: bytes, mutation: str, rng: random.Random) -> bytes:
    """One named mutation of a packet's bytes."""
    if mutation == "flip_bytes":
        return _flip_bytes(data, rng)
    if mutation == "truncate":
        return data[: rng.randrange(len(data))]
    if mutation == "drop_stream":
        return _cut(data, _spans(_STREAM, data, 1), rng, b"")
    if mutation == "garble_stream":
        spans = _spans(_STREAM, data, 1)
        if not spans:
            return _flip_bytes(data, rng)
        start, end = rng.choice(spans)
        noise = bytes(rng.randrange(256) for _ in range(end - start))
        return data[:start] + noise + data[end:]
    if mutation == "drop_object":
        return _cut(data, _spans(_OBJECT, data), rng, b"")
    if mutation in ("shuffle_pages", "drop_pages"):
        return _rewrite_pages(data, rng, drop=mutation == "drop_pages")
    raise ValueError(f"unknown packet mutation {mutation!r}")


def mutate_caselog(data: bytes, mutation: str, rng: random.Random) -> bytes:
    """One named mutation of a case-log CSV's bytes."""
    text = data.decode("utf-8", errors="replace")
    lines = text.splitlines()
    if mutation == "flip_bytes":
        return _flip_bytes(data, rng)
    if mutation == "truncate":
        return data[: rng.randrange(len(data))]
    if mutation == "drop_column":
        column = rng.randrange(max(1, len(lines[0].split(",")))) if lines else 0
        lines = [",".join(c for i, c in enumerate(row.split(",")) if i != column) for row in lines]
    elif mutation == "shuffle_lines":
        rng.shuffle(lines)
    elif mutation == "drop_header":
        lines = lines[1:]
    elif mutation == "garbage_line":
        junk = "".join(chr(rng.randrange(32, 0x2FF)) for _ in range(rng.randint(1, 80)))
        lines.insert(rng.randrange(len(lines) + 1), junk)
    elif mutation == "encoding":
        return text.encode(rng.choice(["utf-16", "latin-1", "cp1252"]), errors="replace")
    elif mutation == "delimiter":
        lines = [line.replace(",", rng.choice([";", "\t", "|", ""])) for line in lines]
    elif mutation == "nul_bytes":
        out = bytearray(data)
        for _ in range(rng.randint(1, 20)):
            out.insert(rng.randrange(len(out) + 1), 0)
        return bytes(out)
    elif mutation == "long_field":
        at = rng.randrange(len(lines)) if lines else 0
        lines.insert(at, "2024-01-05," + "9" * rng.randint(1000, 200_000) + ",00000")
    else:
        raise ValueError(f"unknown case-log mutation {mutation!r}")
    return ("\r\n" if rng.random() < 0.5 else "\n").join(lines).encode("utf-8")


def build_corpus(
    folder: Path, packets: int, caselogs: int, seed: int = 0, layouts: int = 3
) -> list[FuzzCase]:
    """``packets`` mutated packets and ``caselogs`` mutated case logs, written to ``folder``.

    Deterministic for (packets, caselogs, seed, layouts). A quarter of the packets get two
    mutations at once."""
    rng = random.Random(seed)
    base_packets, base_logs = make_base_files(folder / "base", layouts=layouts)
    out = folder / "mutated"
    out.mkdir(parents=True, exist_ok=True)
    cases: list[FuzzCase] = []
    for number in range(packets):
        base = rng.choice(base_packets)
        data = base.read_bytes()
        names = [PACKET_MUTATIONS[number % len(PACKET_MUTATIONS)]]
        if rng.random() < 0.25:
            names.append(rng.choice(PACKET_MUTATIONS))
        for name in names:
            try:
                data = mutate_packet(data, name, rng)
            except Exception:  # noqa: BLE001 - pdfium refused an already broken file
                data = _flip_bytes(data, rng) if data else data
        path = out / f"packet{number:05d}.pdf"
        path.write_bytes(data)
        cases.append(FuzzCase("packet", str(path), "+".join(names)))
    for number in range(caselogs):
        base = rng.choice(base_logs)
        name = CASELOG_MUTATIONS[number % len(CASELOG_MUTATIONS)]
        path = out / f"caselog{number:05d}{base.suffix}"
        path.write_bytes(mutate_caselog(base.read_bytes(), name, rng))
        cases.append(FuzzCase("caselog", str(path), name))
    return cases


# --------------------------------------------------------------------------- the worker


def _counts(engine) -> dict[str, int]:  # noqa: ANN001 - SQLAlchemy engine
    from sqlalchemy import inspect, text

    with engine.connect() as connection:
        return {
            table: connection.execute(text(f'SELECT COUNT(*) FROM "{table}"')).scalar()
            for table in inspect(engine).get_table_names()
        }


def _changed(before: dict[str, int], after: dict[str, int], allowed: dict[str, int]) -> str:
    wrong = [
        f"{table} {before[table]}->{after[table]}"
        for table in before
        if after[table] - before[table] != allowed.get(table, 0)
    ]
    return ", ".join(wrong)


def _clear(message: str | None) -> str | None:
    """None when ``message`` is a clear one-line error; else why it is not."""
    if not message or not message.strip():
        return "empty error message"
    if "Traceback" in message or "\n" in message.strip():
        return f"error message is not one clear line: {message[:200]!r}"
    return None


def _run_packet(path: Path, factory, engine) -> tuple[str, str]:  # noqa: ANN001
    from data_extractor import extract_packet
    from data_loader import ERROR, IMPORTED, NEEDS_REPLACE, PacketLoader

    extracted: list[dict] = []

    def extractor(file: Path, password: str | None = None) -> dict:
        data = extract_packet(file, password=password)
        extracted.append(data)
        return data

    loader = PacketLoader(factory, extractor=extractor)
    before = _counts(engine)
    result = loader.import_file(path)
    after = _counts(engine)
    if result.status == IMPORTED:
        data = extracted[0]
        expected = {
            "packets": 1,
            "charge_transactions": len(data.get("charges") or []),
            "payroll_lines": len((data.get("payroll") or {}).get("lines") or []),
            "compensation_lines": len((data.get("compensation") or {}).get("lines") or []),
        }
        wrong = ", ".join(
            f"{table} +{after[table] - before[table]} (expected +{n})"
            for table, n in expected.items()
            if after[table] - before[table] != n
        )
        if wrong or after["audit_log"] != before["audit_log"] + 1:
            return PARTIAL_WRITE, f"import wrote {wrong or 'no audit row'}"
        loader.delete_packet(result.packet_id)
        back = _counts(engine)
        wrong = _changed(before, back, {"audit_log": 2})
        if wrong:
            return PARTIAL_WRITE, f"delete left {wrong}"
        return RESULT, f"imported {result.period}: {len(data.get('charges') or [])} charges"
    wrong = _changed(before, after, {})
    if wrong:
        return PARTIAL_WRITE, f"{result.status} but wrote {wrong}"
    if result.status == ERROR:
        unclear = _clear(result.message)
        return (CRASH, unclear) if unclear else (CLEAR_ERROR, result.message)
    if result.status == NEEDS_REPLACE:
        return RESULT, f"needs replace: {result.message}"
    return RESULT, f"{result.status}: {result.message}"


def _run_caselog(path: Path, factory, engine) -> tuple[str, str]:  # noqa: ANN001
    from analytics.audit import BillingAudit
    from analytics.caselog import CaseLogError, parse_case_log
    from data.db import session_scope

    before = _counts(engine)
    try:
        parsed = parse_case_log(path.read_bytes(), path.name)
    except CaseLogError as error:
        unclear = _clear(str(error))
        wrong = _changed(before, _counts(engine), {})
        if wrong:
            return PARTIAL_WRITE, f"refused but wrote {wrong}"
        return (CRASH, unclear) if unclear else (CLEAR_ERROR, str(error))
    with session_scope(factory) as session:
        stored = BillingAudit(session).store_log(parsed)
    wrong = _changed(before, _counts(engine), {"user_case_log": stored.added})
    if wrong:
        return PARTIAL_WRITE, f"stored {stored.added} rows but wrote {wrong}"
    rejected = f", {len(parsed.rejected)} rows refused" if parsed.rejected else ""
    return RESULT, f"{stored.added} rows stored, {stored.already} already there{rejected}"


def _worker(connection: Connection, database: str) -> None:
    """Answer fuzz cases from ``connection`` until it closes, on the SQLite file ``database``."""
    import logging

    logging.disable(logging.CRITICAL)  # the outcome carries what matters
    from data.db import make_engine, make_session_factory

    engine = make_engine(f"sqlite:///{database}")
    factory = make_session_factory(engine)
    while True:
        try:
            case = connection.recv()
        except EOFError:
            break
        started = time.monotonic()
        try:
            run = _run_packet if case.kind == "packet" else _run_caselog
            outcome, detail = run(Path(case.path), factory, engine)
        except Exception:  # noqa: BLE001 - an unexpected exception is exactly a crash
            outcome, detail = CRASH, traceback.format_exc(limit=6)
        elapsed = time.monotonic() - started
        connection.send(Outcome(case.kind, case.path, case.mutation, outcome, detail, elapsed))
    engine.dispose()


class _Slot:
    """One worker process with its own copy of the database."""

    def __init__(self, context, template: Path, folder: Path, number: int) -> None:  # noqa: ANN001
        self.context, self.template, self.folder, self.number = context, template, folder, number
        self.generation = 0
        self.case: FuzzCase | None = None
        self.deadline = 0.0
        self._start()

    def _start(self) -> None:
        self.generation += 1
        database = self.folder / f"worker{self.number}-{self.generation}.db"
        shutil.copyfile(self.template, database)
        self.connection, child = self.context.Pipe()
        self.process = self.context.Process(
            target=_worker, args=(child, str(database)), daemon=True
        )
        self.process.start()
        child.close()

    def send(self, case: FuzzCase, time_limit: float) -> None:
        self.case, self.deadline = case, time.monotonic() + time_limit
        self.connection.send(case)

    def restart(self) -> None:
        self.process.kill()
        self.process.join()
        self.connection.close()
        self._start()

    def stop(self) -> None:
        self.connection.close()
        self.process.join(timeout=10)
        if self.process.is_alive():
            self.process.kill()
            self.process.join()


def run_corpus(
    cases: list[FuzzCase], folder: Path, workers: int = 2, time_limit: float = 30.0
) -> list[Outcome]:
    """Every case through the real extractor and importers, ``workers`` at a time, each
    within ``time_limit`` seconds (over it: the worker is killed, the case is a hang)."""
    from data.db import make_engine
    from setup_app import initialize_database

    folder.mkdir(parents=True, exist_ok=True)
    template = folder / "template.db"
    engine = make_engine(f"sqlite:///{template}")
    initialize_database(engine)
    engine.dispose()
    context = multiprocessing.get_context("forkserver")
    slots = [_Slot(context, template, folder, n) for n in range(max(1, workers))]
    pending = list(reversed(cases))
    outcomes: list[Outcome] = []
    try:
        for slot in slots:
            if pending:
                slot.send(pending.pop(), time_limit)
        while any(slot.case for slot in slots):
            busy = [slot for slot in slots if slot.case]
            timeout = max(0.0, min(slot.deadline for slot in busy) - time.monotonic())
            ready = wait([slot.connection for slot in busy], timeout=timeout)
            for slot in busy:
                case = slot.case
                if slot.connection in ready:
                    try:
                        outcomes.append(slot.connection.recv())
                    except (EOFError, OSError):
                        code = slot.process.exitcode
                        outcomes.append(
                            Outcome(case.kind, case.path, case.mutation, CRASH,
                                    f"worker died (exit code {code})", 0.0)
                        )  # fmt: skip
                        slot.restart()
                elif time.monotonic() >= slot.deadline:
                    outcomes.append(
                        Outcome(case.kind, case.path, case.mutation, HANG,
                                f"no answer within {time_limit:g} s", time_limit)
                    )  # fmt: skip
                    slot.restart()
                else:
                    continue
                slot.case = None
                if pending:
                    slot.send(pending.pop(), time_limit)
    finally:
        for slot in slots:
            slot.stop()
    return outcomes


def summarize(outcomes: list[Outcome]) -> dict:
    """Counts by kind and outcome, the slowest file, and every bad outcome in full."""
    summary: dict = {"files": len(outcomes)}
    for kind in ("packet", "caselog"):
        mine = [o for o in outcomes if o.kind == kind]
        counts = Counter(o.outcome for o in mine)
        summary[kind] = {name: counts.get(name, 0) for name in OUTCOMES}
        summary[kind]["files"] = len(mine)
        summary[kind]["by_mutation"] = dict(Counter(o.mutation.split("+")[0] for o in mine))
        summary[kind]["slowest_seconds"] = round(max((o.seconds for o in mine), default=0), 2)
    summary["bad"] = [asdict(o) for o in outcomes if o.outcome in (CRASH, HANG, PARTIAL_WRITE)]
    return summary


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Fuzz the extractor and importers with mutated packets and case logs "
        "(the nightly run; CI runs a smaller corpus in tests/test_fuzz.py).",
        epilog="Exit status 0 when no file crashed, hung or left a partial write; 1 otherwise.",
    )
    parser.add_argument("--packets", type=int, default=1200, help="mutated packets (1200)")
    parser.add_argument("--caselogs", type=int, default=300, help="mutated case logs (300)")
    parser.add_argument("--seed", type=int, default=2026, help="RNG seed (2026)")
    parser.add_argument("--workers", type=int, default=2, help="worker processes (2)")
    parser.add_argument(
        "--time-limit", type=float, default=30.0, help="seconds per file before a hang (30)"
    )
    parser.add_argument("--keep", type=Path, default=None, help="keep the corpus in this folder")
    parser.add_argument("--out", type=Path, default=None, help="write the counts as JSON here")
    args = parser.parse_args(argv)

    import tempfile

    with tempfile.TemporaryDirectory(prefix="fuzz-") as scratch:
        folder = args.keep or Path(scratch)
        started = time.monotonic()
        cases = build_corpus(folder, args.packets, args.caselogs, seed=args.seed)
        built = time.monotonic() - started
        outcomes = run_corpus(cases, folder / "work", args.workers, args.time_limit)
        summary = summarize(outcomes)
        summary.update(
            seed=args.seed,
            time_limit_seconds=args.time_limit,
            corpus_seconds=round(built, 1),
            run_seconds=round(time.monotonic() - started - built, 1),
        )
    text = json.dumps(summary, indent=2)
    if args.out:
        args.out.write_text(text + "\n")
    print(text)
    return 1 if summary["bad"] else 0


if __name__ == "__main__":
    sys.exit(main())
