"""Read a monthly compensation packet PDF into the JSON contract (shared/docs/extraction-json.md).

Pure: no database, no Flask. The parts live in `data/extraction/`; this module is the public
face that the importer, the tests and users' scripts use:

    python data_extractor.py PACKET.pdf --json [--password PW]

prints the packet as JSON (exit 0, even when a cross-check fails: see `checks`), or one line
on standard error and exit 2 when the file cannot be read as a packet.
"""

from __future__ import annotations

import argparse
import json
import sys

from data.extraction.checks import compute_checks
from data.extraction.errors import ExtractionError
from data.extraction.packet import extract_packet

__all__ = ["ExtractionError", "compute_checks", "extract_packet", "main"]


def _summary(packet: dict) -> str:
    """A short human summary for runs without --json."""
    failed = [c for c in packet["checks"] if not c["ok"]]
    lines = [
        f"{packet['source_file']}: period {packet['period']}, pay date {packet['pay_date']}, "
        f"physician {packet['physician']['name']} ({packet['physician']['number']})",
        f"  {len(packet['charges'])} charge lines, {len(packet['pools'])} pool pages, "
        f"{len((packet['compensation'] or {}).get('lines', []))} compensation lines",
        f"  checks: {len(packet['checks']) - len(failed)} passed, {len(failed)} failed",
    ]
    lines += [f"  FAILED {c['name']}: {c['detail']}" for c in failed]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """The command line: exit 0 with the packet, 2 with one line for a file that is no packet."""
    parser = argparse.ArgumentParser(
        prog="data_extractor.py",
        description="Read a monthly compensation packet PDF (payroll stub, compensation report, "
        "F3 charges, F2 pooled compensation, expense report) and print what it holds.",
        epilog="Exit status: 0 read (failed cross-checks are listed, not fatal); 2 the file "
        "cannot be read as a packet (one line on stderr says why and what to do).",
    )
    parser.add_argument("pdf", help="the packet PDF file")
    parser.add_argument(
        "--json", action="store_true", help="print the full extraction as JSON on stdout"
    )
    parser.add_argument("--password", help="password of a password-protected packet")
    args = parser.parse_args(argv)
    try:
        packet = extract_packet(args.pdf, password=args.password)
    except ExtractionError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        return 2
    except Exception as exc:  # a file pdfium chokes on in a way not foreseen: still one line
        print(
            f"error: {args.pdf} could not be read ({type(exc).__name__}: {exc}); "
            "check that it is an unaltered packet PDF.",
            file=sys.stderr,
        )
        return 2
    if args.json:
        json.dump(packet, sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        print(_summary(packet))
    return 0


if __name__ == "__main__":
    sys.exit(main())
