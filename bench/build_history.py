"""Benchmark databases: 3, 10 and 30 years of generated history, through the real import.

    python bench/build_history.py                      # 3, 10 and 30 years (cached)
    python bench/build_history.py --years 30 --scale 5.2   # the 300,000-line stress point
    python bench/build_history.py --years 3 --rebuild  # throw the cached file away first

Each database is ``data.synthetic.generate_history`` (one made-up physician, ``--scale``
times the usual number of cases) imported packet by packet with ``PacketLoader`` into a
fresh SQLite file, then the points rules adopted from the packets, exactly as
``setup_app.py --demo`` does. Built files are kept in ``bench/.cache/`` (git-ignored) with a
``.json`` beside each that records how long generation and import took; a second run
reuses them. The other bench scripts call :func:`history_database`.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import func, select  # noqa: E402

from data.db import make_engine, make_session_factory, session_scope  # noqa: E402
from data.models import ChargeTransaction, Packet  # noqa: E402
from setup_app import initialize_database  # noqa: E402

CACHE_DIR = Path(__file__).resolve().parent / ".cache"
#: The last generated pay period is December 2025 whatever the length of the history.
LAST_YEAR = 2025


@dataclass
class HistoryDatabase:
    """One built benchmark database and what building it cost."""

    name: str
    path: str
    years: int
    scale: float
    packets: int
    charge_lines: int
    generate_seconds: float
    import_seconds: float
    extract_pages: int = 0

    @property
    def url(self) -> str:
        return f"sqlite:///{self.path}"

    @property
    def packets_per_second(self) -> float:
        return self.packets / self.import_seconds if self.import_seconds else 0.0


def database_name(years: int, scale: float = 1.0, seed: int = 1) -> str:
    """The cache file stem for one history (``y30``, ``y30-x5.2``, ``y3-s2``)."""
    name = f"y{years}"
    if scale != 1.0:
        name += f"-x{scale:g}"
    if seed != 1:
        name += f"-s{seed}"
    return name


def _count_pages(pdfs: list[Path]) -> int:
    import pypdfium2

    total = 0
    for pdf in pdfs:
        document = pypdfium2.PdfDocument(str(pdf))
        total += len(document)
        document.close()
    return total


def history_database(
    years: int,
    scale: float = 1.0,
    seed: int = 1,
    cache: Path = CACHE_DIR,
    rebuild: bool = False,
    keep_packets: bool = False,
    log=print,  # noqa: ANN001 - any print-like callable
) -> HistoryDatabase:
    """The cached database of ``years`` of history, built through the real import if
    missing. The generated PDFs are deleted afterwards unless ``keep_packets``."""
    from analytics.rules import adopt_rules_from_packets
    from data.synthetic import generate_history
    from data.synthetic.practice import PracticeParams
    from data_loader import PacketLoader

    cache.mkdir(parents=True, exist_ok=True)
    name = database_name(years, scale, seed)
    db, meta = cache / f"{name}.db", cache / f"{name}.json"
    if rebuild:
        for path in (db, meta):
            path.unlink(missing_ok=True)
    if db.exists() and meta.exists():
        return HistoryDatabase(**json.loads(meta.read_text()))
    packets_dir = cache / f"{name}-packets"
    shutil.rmtree(packets_dir, ignore_errors=True)
    partial = cache / f"{name}.partial.db"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{partial}{suffix}").unlink(missing_ok=True)

    months = years * 12
    log(f"{name}: generating {months} months (scale {scale:g}) ...")
    began = time.perf_counter()
    generated = generate_history(
        packets_dir,
        months=months,
        start=f"{LAST_YEAR - years + 1}-01",
        seed=seed,
        params=PracticeParams(cases_scale=scale),
    )
    generate_seconds = time.perf_counter() - began
    pages = _count_pages([m.pdf_path for m in generated])

    engine = make_engine(f"sqlite:///{partial}")
    initialize_database(engine)
    factory = make_session_factory(engine)
    loader = PacketLoader(factory)
    log(f"{name}: importing {months} packets ({pages} pages) ...")
    began = time.perf_counter()
    for number, month in enumerate(generated, 1):
        result = loader.import_file(month.pdf_path)
        if not result.ok:
            raise RuntimeError(f"{month.pdf_path.name}: {result.message}")
        if number % 60 == 0:
            log(f"  {number} packets, {time.perf_counter() - began:.0f} s")
    import_seconds = time.perf_counter() - began
    with session_scope(factory) as session:
        adopt_rules_from_packets(session)
        packets = session.scalar(select(func.count()).select_from(Packet))
        lines = session.scalar(select(func.count()).select_from(ChargeTransaction))
    engine.dispose()
    partial.rename(db)
    for suffix in ("-wal", "-shm"):
        Path(f"{partial}{suffix}").unlink(missing_ok=True)
    if not keep_packets:
        shutil.rmtree(packets_dir, ignore_errors=True)
    built = HistoryDatabase(
        name=name,
        path=str(db),
        years=years,
        scale=scale,
        packets=packets,
        charge_lines=lines,
        generate_seconds=round(generate_seconds, 2),
        import_seconds=round(import_seconds, 2),
        extract_pages=pages,
    )
    meta.write_text(json.dumps(asdict(built), indent=1))
    return built


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Build (or reuse) the benchmark databases of N years of generated "
        "history, imported through the real PacketLoader, in bench/.cache/."
    )
    parser.add_argument(
        "--years", type=int, nargs="+", default=[3, 10, 30], help="history lengths (3 10 30)"
    )
    parser.add_argument(
        "--scale", type=float, default=1.0, help="cases per month relative to the usual (1)"
    )
    parser.add_argument("--seed", type=int, default=1, help="generator seed (1)")
    parser.add_argument("--rebuild", action="store_true", help="rebuild even if cached")
    parser.add_argument("--cache", type=Path, default=CACHE_DIR, help="where the files go")
    args = parser.parse_args(argv)
    for years in args.years:
        if years < 1:
            parser.error("--years must be at least 1")
        built = history_database(years, args.scale, args.seed, args.cache, args.rebuild)
        print(
            f"{built.name}: {built.packets} packets, {built.charge_lines:,} charge lines, "
            f"generated in {built.generate_seconds:.1f} s, imported in "
            f"{built.import_seconds:.1f} s ({built.packets_per_second:.1f} packets/s) "
            f"-> {built.path}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
