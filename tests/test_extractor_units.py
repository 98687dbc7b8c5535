"""Property tests of the small readers the extractor is built on: amounts in every printed
style, and lone amounts placed in their column by x position alone."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from data.extraction.columns import measure_columns, split_amounts
from data.extraction.pages import Word
from data.extraction.tokens import (
    parse_amount,
    parse_date,
    parse_month_year,
    parse_short_month,
    parse_time,
)

cents = st.integers(min_value=-(10**9), max_value=10**9)


def _printed(value_cents: int, commas: bool, dollar: bool, parens: bool) -> str:
    body = f"{abs(value_cents) / 100:,.2f}" if commas else f"{abs(value_cents) / 100:.2f}"
    body = ("$" if dollar else "") + body
    if value_cents < 0:
        return f"({body})" if parens else f"-{body}"
    return body


@given(cents, st.booleans(), st.booleans(), st.booleans())
def test_amount_round_trips_in_every_style(value_cents, commas, dollar, parens):
    parsed = parse_amount(_printed(value_cents, commas, dollar, parens))
    assert isinstance(parsed, float)
    assert Decimal(str(parsed)) == Decimal(value_cents) / 100


@given(st.integers(min_value=-99999, max_value=99999))
def test_whole_numbers_stay_ints(value):
    assert parse_amount(str(value)) == value
    assert isinstance(parse_amount(str(value)), int)


@given(st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ%:/ ", min_size=1, max_size=12))
def test_words_are_not_amounts(text):
    assert parse_amount(text) is None


def test_dates_months_and_times():
    assert parse_date("2/27/26") == "2026-02-27"
    assert parse_date("04/10/2026") == "2026-04-10"
    assert parse_date("2/30/26") is None
    assert parse_short_month("1/26") == "2026-01"
    assert parse_month_year("Nov", "25") == "2025-11"
    assert parse_month_year("March,", "2026") == "2026-03"
    assert parse_time("7:03") == "07:03"
    assert parse_time("25:00") is None


CHAR_WIDTH = 4.0
HEIGHT = 8.0


def _word(text: str, x0: float, order: int) -> Word:
    return Word(text, x0, x0 + CHAR_WIDTH * len(text), 0.0, HEIGHT, order, order)


def _row(label: str, cells: list[str | None], right_edges: list[float], order: int) -> list[Word]:
    """A label at x=10 and right-aligned amounts ending at each column's right edge."""
    words = [_word(part, 10 + 30 * i, order + i) for i, part in enumerate(label.split())]
    for text, edge in zip(cells, right_edges, strict=True):
        if text is not None:
            words.append(_word(text, edge - CHAR_WIDTH * len(text), order + len(words)))
    return words


amount_text = cents.map(lambda c: _printed(c, True, False, True))


@settings(max_examples=60)
@given(
    first_edge=st.floats(min_value=250, max_value=400),
    spacing=st.floats(min_value=70, max_value=140),
    rows=st.lists(
        st.tuples(st.one_of(st.none(), amount_text), st.one_of(st.none(), amount_text)),
        min_size=1,
        max_size=12,
    ),
)
def test_lone_amounts_land_in_their_column_by_x(first_edge, spacing, rows):
    edges = [first_edge, first_edge + spacing]
    full = [("Gross Earnings", ["46,002.04", "131,006.12"])]  # every page has one full line
    lines = full + [(f"Line {chr(65 + i)}", list(cells)) for i, cells in enumerate(rows)]
    words = [_row(label, cells, edges, 100 * i) for i, (label, cells) in enumerate(lines)]
    columns = measure_columns(words, 2)
    for (label, cells), row in zip(lines, words, strict=True):
        label_words, values = split_amounts(row, columns, 2)
        assert " ".join(w.text for w in label_words) == label
        assert values == [None if c is None else parse_amount(c) for c in cells]


def test_a_number_inside_a_label_stays_in_the_label():
    edges = [300.0, 400.0]
    rows = [
        _row("Gross Earnings", ["1.00", "2.00"], edges, 0),
        _row("HDHP 2800", ["2,580.72", "7,742.16"], edges, 100),
        _row("HDHP 2800", [None, "7,742.16"], edges, 200),
    ]
    columns = measure_columns(rows, 2)
    label, values = split_amounts(rows[2], columns, 2)
    assert [w.text for w in label] == ["HDHP", "2800"]
    assert values == [None, 7742.16]
