"""Fuzzing in CI: a few hundred mutated packets and case logs through the real extractor and
importers, each in a worker process with a time limit. Every file gets a result or a clear
one-line error: no crash, no hang, no partial write (table counts are compared before and
after every file). The long run is ``python bench/fuzz_nightly.py`` (docs/reliability.md)."""

from __future__ import annotations

from pathlib import Path

from bench.fuzz_nightly import (
    CASELOG_MUTATIONS,
    CLEAR_ERROR,
    PACKET_MUTATIONS,
    RESULT,
    build_corpus,
    run_corpus,
    summarize,
)

PACKETS = 160
CASELOGS = 60


def test_mutated_packets_and_case_logs_get_an_answer_never_a_crash(tmp_path: Path) -> None:
    cases = build_corpus(tmp_path / "corpus", PACKETS, CASELOGS, seed=11)
    assert len(cases) == PACKETS + CASELOGS
    outcomes = run_corpus(cases, tmp_path / "work", workers=2, time_limit=30)
    summary = summarize(outcomes)

    assert summary["files"] == PACKETS + CASELOGS, "every file was answered"
    assert summary["bad"] == [], "\n\n".join(
        f"{bad['path']} ({bad['mutation']}): {bad['outcome']}\n{bad['detail']}"
        for bad in summary["bad"]
    )
    for kind, mutations in (("packet", PACKET_MUTATIONS), ("caselog", CASELOG_MUTATIONS)):
        counts = summary[kind]
        assert set(counts["by_mutation"]) == set(mutations), f"every {kind} mutation ran"
        # Both kinds of answer occur: the corpus is neither all garbage nor all harmless.
        assert counts[RESULT] > 0 and counts[CLEAR_ERROR] > 0, counts
    assert summary["packet"]["files"] == PACKETS and summary["caselog"]["files"] == CASELOGS
    for kind in ("packet", "caselog"):
        counts = {k: v for k, v in summary[kind].items() if k != "by_mutation"}
        print(f"fuzz {kind}: {counts}")


def test_a_file_over_the_time_limit_counts_as_a_hang_and_the_run_goes_on(tmp_path: Path) -> None:
    """The time limit is real: a limit no extraction can meet marks files as hangs, kills
    and replaces the worker, and the remaining files are still answered."""
    cases = build_corpus(tmp_path / "corpus", 3, 0, seed=3, layouts=1)
    outcomes = run_corpus(cases, tmp_path / "work", workers=1, time_limit=0.001)
    assert len(outcomes) == 3
    assert {outcome.outcome for outcome in outcomes} == {"hang"}


def test_found_by_fuzzing_stray_carriage_return_is_a_clear_case_log_error() -> None:
    """A flipped byte once turned into a bare CR inside a field: csv raised its own error."""
    import pytest

    from analytics.caselog import CaseLogError, parse_case_log

    with pytest.raises(CaseLogError, match="not a readable CSV"):
        parse_case_log(b"DOS,Ticket,CPT\n2024-01-05,731\r01234,00100\n", "log.csv")
