"""PDF file -> pages of words and lines, from pdfium's characters.

Why characters and not a text dump: report writers draw text twice with a small offset, let a
long patient name run over the next columns, and put two labels side by side with no space.
Each character's loose box and its place in the drawing order let us undo all three: a word is
a run of characters drawn one after another, each starting where the last one ended; a run
that jumps back (a site code drawn over an overflowing name) starts a new word; a word drawn a
second time at almost the same place is dropped.

pypdfium2 is used through its raw functions, one or two calls per character, because that is
ten times faster than pdfplumber's layout analysis for the same information.
"""

from __future__ import annotations

import ctypes
import re
from dataclasses import dataclass, field
from pathlib import Path

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_raw

from data.extraction.errors import ExtractionError
from data.extraction.tokens import parse_amount

IMAGE_SIGNATURES = {
    b"\x89PNG": "a PNG image",
    b"\xff\xd8\xff": "a JPEG image",
    b"GIF8": "a GIF image",
    b"II*\x00": "a TIFF image",
    b"MM\x00*": "a TIFF image",
    b"BM": "a BMP image",
    b"RIFF": "a WEBP image",
}


@dataclass(slots=True)
class Word:
    """A run of characters without a space: a token with its box and drawing order."""

    text: str
    x0: float
    x1: float
    y0: float
    y1: float
    order: int  # index of its first character in the page's drawing order
    phrase: int = 0  # words drawn one after another, a space apart, share a phrase
    vertical: bool = False
    obj: int = 0  # the text object (one drawn string) of its first character

    @property
    def xc(self) -> float:
        return (self.x0 + self.x1) / 2

    @property
    def yc(self) -> float:
        return (self.y0 + self.y1) / 2

    @property
    def height(self) -> float:
        return self.y1 - self.y0


@dataclass(slots=True)
class Line:
    """Words whose boxes share a baseline band, left to right (overflowing phrases kept whole)."""

    words: list[Word]
    y: float
    height: float

    @property
    def text(self) -> str:
        return " ".join(w.text for w in self.words)

    @property
    def compact(self) -> str:
        return squash(self.text)


@dataclass(slots=True)
class Page:
    number: int  # 1-based page of the file
    width: float
    height: float
    lines: list[Line]
    vertical_words: list[Word] = field(default_factory=list)

    @property
    def compact(self) -> str:
        return "".join(line.compact for line in self.lines)


def squash(text: str) -> str:
    """Lower case without any whitespace: titles compare equal however the words were spaced."""
    return re.sub(r"\s+", "", text).lower()


def read_pdf_bytes(path: str | Path) -> bytes:
    """The file's bytes, or an ExtractionError that says why they are no PDF."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise ExtractionError("not_found", f"{path}: no such file; check the path.") from None
    except IsADirectoryError:
        raise ExtractionError(
            "not_pdf", f"{path} is a folder, not a PDF file; give the path of the packet PDF."
        ) from None
    except OSError as exc:
        raise ExtractionError("unreadable", f"{path} cannot be read ({exc.strerror}).") from None
    if not data.strip():
        raise ExtractionError(
            "empty", f"{path.name} is empty (0 bytes of content); save the packet PDF again."
        )
    head = data[:1024]
    if b"%PDF-" not in head:
        for signature, what in IMAGE_SIGNATURES.items():
            if data.startswith(signature):
                raise ExtractionError(
                    "not_pdf",
                    f"{path.name} is {what} renamed to .pdf, not a PDF; "
                    "use the PDF packet the billing company sent.",
                )
        raise ExtractionError(
            "not_pdf",
            f"{path.name} is not a PDF file; use the PDF packet the billing company sent.",
        )
    return data


def open_document(data: bytes, name: str, password: str | None) -> pdfium.PdfDocument:
    """Open with pdfium, turning its error codes into the messages a user can act on."""
    if b"%%EOF" not in data[-2048:]:
        raise ExtractionError(
            "damaged",
            f"{name} is truncated (its end is missing); download or save the packet again.",
        )
    try:
        return pdfium.PdfDocument(data, password=password)
    except pdfium.PdfiumError as exc:
        code = getattr(exc, "err_code", None)
        if code == pdfium_raw.FPDF_ERR_PASSWORD:
            if password is None:
                raise ExtractionError(
                    "password_required",
                    f"{name} is password-protected; give its password with --password.",
                ) from None
            raise ExtractionError(
                "wrong_password",
                f"{name}: the password given is wrong; check it and try again.",
            ) from None
        raise ExtractionError(
            "damaged", f"{name} is damaged and cannot be read as a PDF; save the packet again."
        ) from None


# FPDFText_GetTextObject returning the object's address as a plain int: half the cost of
# pypdfium2's typed pointer, on a call made once per character.
_GET_TEXT_OBJECT = ctypes.CFUNCTYPE(ctypes.c_void_p, ctypes.c_void_p, ctypes.c_int)(
    ctypes.cast(pdfium_raw.FPDFText_GetTextObject, ctypes.c_void_p).value
)


def _page_chars(textpage: pdfium.PdfTextPage) -> list[tuple | None]:
    """Every character with its loose box and text object, in drawing order (None: a space)."""
    raw = textpage.raw
    count = pdfium_raw.FPDFText_CountChars(raw)
    if count <= 0:
        return []
    text = textpage.get_text_range(0, count)
    if len(text) != count:  # characters outside the BMP: fetch them one by one
        text = "".join(chr(pdfium_raw.FPDFText_GetUnicode(raw, i)) for i in range(count))
    rect = pdfium_raw.FS_RECTF()
    get_box = pdfium_raw.FPDFText_GetLooseCharBox
    get_object = _GET_TEXT_OBJECT
    raw_address = ctypes.cast(raw, ctypes.c_void_p).value
    chars = []
    append = chars.append
    for i in range(count):
        ch = text[i]
        if ch.isspace() or ch in "\x02\ufffe":  # spaces only end words: no box needed
            append(None)
            continue
        get_box(raw, i, rect)
        append((ch, rect.left, rect.right, rect.bottom, rect.top, get_object(raw_address, i) or 0))
    return chars


def _tile(hole: tuple, line: list[tuple], slack: float) -> list[tuple]:
    """Characters of other objects that exactly fill a hole of a suspect object, or none.

    A dropped character sat exactly on an identical one, so the fillers must tile the hole
    edge to edge; a space between words (no box of its own here) is a hole nothing tiles.
    At the object's first edge (its bounds, slightly inside the glyph) the tiling is anchored
    on the kept side only, likewise at its last edge.
    """
    a, b, at_start, at_end = hole
    tiles: list[tuple] = []
    if at_start and not at_end:  # walk back from the first kept character
        position = b
        while position - a > 2 * slack:
            tile = next((c for c in line if abs(c[2] - position) < slack and c[1] < position), None)
            if tile is None:
                break
            tiles.insert(0, tile)
            position = tile[1]
        return tiles if tiles and position - a <= 0.5 * (tiles[0][2] - tiles[0][1]) + slack else []
    position = a
    while b - position > 2 * slack:
        tile = next((c for c in line if abs(c[1] - position) < slack and c[2] > position), None)
        if tile is None:
            break
        tiles.append(tile)
        position = tile[2]
    if not tiles:
        return []
    if at_end:  # the object's bounds end inside the last glyph
        return tiles if b - position <= 0.5 * (tiles[-1][2] - tiles[-1][1]) + slack else []
    return tiles if abs(b - position) < slack else []


def _reading_direction(chars: list) -> int:
    """0 for ordinary pages; +1 / -1 when the text runs up / down the page.

    A landscape report can be drawn turned by 90 degrees on a portrait page (shown upright by
    the page's /Rotate). Its characters then advance along y; reading them in turned
    coordinates makes such a page look like any other.
    """
    across = up = down = 0
    prev = None
    for c in chars[:600]:
        if c is not None and prev is not None and c[5] == prev[5] and c[5]:
            dx, dy = c[1] - prev[1], c[3] - prev[3]
            if abs(dx) > abs(dy):
                across += 1
            elif dy > 0:
                up += 1
            elif dy < 0:
                down += 1
        prev = c
    if max(up, down) > 2 * across and max(up, down) >= 10:
        return 1 if up >= down else -1
    return 0


def _turn(chars: list, direction: int) -> list:
    """Characters of a turned page in reading coordinates (x along the text, y up the lines)."""
    if direction > 0:  # text runs up the page: reading x is page y, line up is page -x
        return [c and (c[0], c[3], c[4], -c[2], -c[1], c[5]) for c in chars]
    return [c and (c[0], -c[4], -c[3], c[1], c[2], c[5]) for c in chars]


def _restore_merged(chars: list, direction: int = 0) -> list:
    """Put back characters pdfium dropped as duplicates where text is drawn over other text.

    pdfium's text page drops a character drawn within 0.07 em of an identical one it just
    read: that undoes double strokes, but when a site code is drawn over an overflowing name,
    the `F` of `UF` landing on the `F` of `Frank` vanishes too. Only objects drawn over text
    already on their line can have lost characters; for those, the object's own bounds show the
    hole, and the identical character under it (kept in the other object) fills it.
    Suspects are objects that start left of (or right at) what their line already reached.
    """
    suspects: set[int] = set()
    prev = None
    reached = 0.0  # how far right this line has been drawn so far
    for c in chars:
        if c is None or not c[5]:  # pdfium's own inserted spaces have no object
            continue
        if prev is not None:
            height = prev[4] - prev[3]
            if abs(c[3] + c[4] - prev[3] - prev[4]) >= 0.6 * height:
                reached = 0.0  # a new line
            elif c[5] != prev[5] and c[1] < reached + 0.1 * height:
                # drawn over its line, or starting right where its line reached: its first
                # character may have been the one dropped
                suspects.add(c[5])
        reached = max(reached, c[2])
        prev = c
    if not suspects:
        return chars
    by_object: dict[int, list[tuple]] = {}
    for c in chars:
        if c is not None and c[5] in suspects:
            by_object.setdefault(c[5], []).append(c)
    left, bottom, right, top = (ctypes.c_float() for _ in range(4))
    fills: dict[int, list[tuple]] = {}
    for obj in suspects:
        own = by_object.get(obj, [])
        handle = ctypes.cast(obj, pdfium_raw.FPDF_PAGEOBJECT)
        if not own or not pdfium_raw.FPDFPageObj_GetBounds(
            handle, ctypes.byref(left), ctypes.byref(bottom), ctypes.byref(right), ctypes.byref(top)
        ):
            continue
        start, end = left.value, right.value
        if direction:
            start, end = (bottom.value, top.value) if direction > 0 else (-top.value, -bottom.value)
        height = own[0][4] - own[0][3]
        yc = (own[0][3] + own[0][4]) / 2
        edges = [start] + [x for c in own for x in (c[1], c[2])] + [end]
        holes = [
            (edges[k], edges[k + 1], k == 0, k == len(edges) - 2)
            for k in range(0, len(edges), 2)
            if edges[k + 1] - edges[k] > 0.25 * height
        ]
        if not holes:
            continue
        line = [
            c
            for c in chars
            if c is not None and c[5] != obj and abs((c[3] + c[4]) / 2 - yc) < 0.3 * height
        ]
        found = [c for hole in holes for c in _tile(hole, line, 0.15 * height)]
        if found:
            fills[obj] = [(c[0], c[1], c[2], c[3], c[4], obj) for c in found]
    if not fills:
        return chars
    out = []
    for index, c in enumerate(chars):
        out.append(c)
        if c is None or c[5] not in fills:
            continue
        following = chars[index + 1] if index + 1 < len(chars) else None
        if following is not None and following[5] == c[5]:
            continue
        # the object's last character: merge in its missing ones, left to right
        own = by_object[c[5]]
        if out[len(out) - len(own) :] == own:
            del out[len(out) - len(own) :]
            out.extend(sorted(own + fills.pop(c[5]), key=lambda o: o[1]))
    return out


def _build_words(chars: list) -> tuple[list[Word], list[Word]]:
    """Group characters into words by drawing order and adjacency; vertical runs apart.

    The hot loop of the extractor (every character of every page), hence written flat.
    """
    words: list[Word] = []
    vertical: list[Word] = []
    object_sizes: dict[int, int] = {}
    for c in chars:
        if c is not None:
            obj = c[5]
            object_sizes[obj] = object_sizes.get(obj, 0) + 1
    current: list = []
    start = 0
    phrase = 0
    last_x1 = last_yc = last_h = None

    def flush() -> None:
        nonlocal current, phrase, last_x1, last_yc, last_h
        first, last = current[0], current[-1]
        x0, x1 = first[1], last[2]
        y0, y1 = first[3], first[4]
        if len(current) > 1 and first[1] == last[1] and last[4] > first[4]:
            # stacked characters: rotated text, read bottom to top
            y0 = min(c[3] for c in current)
            y1 = max(c[4] for c in current)
            ordered = sorted(current, key=lambda c: c[3])
            x1 = max(c[2] for c in current)
            vertical.append(Word("".join(c[0] for c in ordered), x0, x1, y0, y1, start, 0, True))
            current = []
            return
        height = y1 - y0
        yc = (y0 + y1) / 2
        if last_x1 is None:
            phrase += 1
        else:
            gap = x0 - last_x1
            same_line = abs(yc - last_yc) < 0.3 * max(last_h, height)
            if not (same_line and -0.05 * height <= gap <= height):
                phrase += 1
        words.append(
            Word("".join(c[0] for c in current), x0, x1, y0, y1, start, phrase, False, first[5])
        )
        last_x1, last_yc, last_h = x1, yc, height
        current = []

    prev = None
    for i, c in enumerate(chars):
        if c is None or c[0].isspace():
            if current:
                flush()
            prev = None
            continue
        if prev is not None:
            height = prev[4] - prev[3]
            same_line = abs(c[3] + c[4] - prev[3] - prev[4]) < 0.6 * height
            if same_line:
                gap = c[1] - prev[2]
                adjacent = -0.2 * height < gap < 0.15 * height
                if not adjacent:
                    pass
                elif c[5] != prev[5] and (object_sizes[c[5]] > 1 or object_sizes[prev[5]] > 1):
                    # two text objects touching: two cells (a writer drawing one glyph per
                    # object is the exception: its one-character objects do join)
                    adjacent = False
                elif prev[0].isdigit() and c[0].isalpha() and _ends_with_cents(current):
                    adjacent = False  # "131,006.12Total": an amount touching the next label
            else:
                # rotated text: characters stacked bottom to top in one column
                width = prev[2] - prev[1]
                adjacent = (
                    abs(c[1] - prev[1]) < 0.5
                    and abs(c[2] - prev[2]) < 0.5
                    and abs(c[3] - prev[4]) < 0.3 * width
                )
            if not adjacent:
                flush()
        if not current:
            start = i
        current.append(c)
        prev = c
    if current:
        flush()
    return words, vertical


def _ends_with_cents(current: list) -> bool:
    return len(current) >= 3 and current[-3][0] == "." and current[-2][0].isdigit()


def _drop_redrawn(words: list[Word]) -> list[Word]:
    """Drop a word drawn again at (almost) the same place: a report writer's double stroke."""
    kept: list[Word] = []
    seen: dict[tuple[str, int], list[Word]] = {}
    for word in words:
        h = word.height or 1.0
        yc = word.yc
        band = int(yc // h)
        twins = [
            t
            for key in ((word.text, band - 1), (word.text, band), (word.text, band + 1))
            for t in seen.get(key, ())
        ]
        if any(
            abs(t.x0 - word.x0) < 0.6 * h and abs(t.yc - yc) < 0.5 * h and t.phrase != word.phrase
            for t in twins
        ):
            continue  # (a name such as `Thi Thi` repeats a word within one phrase: kept)
        seen.setdefault((word.text, band), []).append(word)
        kept.append(word)
    return kept


def _group_lines(words: list[Word]) -> list[Line]:
    """Words sharing a baseline band form a line; lines top to bottom."""
    lines: list[Line] = []
    for word in sorted(words, key=lambda w: -w.yc):
        if lines:
            line = lines[-1]
            if abs(word.yc - line.y) < 0.35 * max(line.height, word.height, 1.0):
                line.words.append(word)
                continue
        lines.append(Line([word], word.yc, word.height))
    for line in lines:
        line.words = _join_signs(_order_words(line.words))
    return lines


def _join_signs(words: list[Word]) -> list[Word]:
    """`( 11.13)` and `$ 1,234.00` printed with a space: one amount, not two words."""
    if not any(w.text in ("(", "$", "($") for w in words):
        return words
    out: list[Word] = []
    skip = False
    for i, word in enumerate(words):
        if skip:
            skip = False
            continue
        following = words[i + 1] if i + 1 < len(words) else None
        if (
            word.text in ("(", "$", "($")
            and following is not None
            and 0 <= following.x0 - word.x1 < word.height
            and parse_amount(word.text + following.text) is not None
        ):
            out.append(
                Word(
                    word.text + following.text,
                    word.x0,
                    following.x1,
                    word.y0,
                    word.y1,
                    word.order,
                    word.phrase,
                )  # fmt: skip
            )
            skip = True
            continue
        out.append(word)
    return out


def _order_words(words: list[Word]) -> list[Word]:
    """Left to right, but a phrase (one string drawn in one go) stays whole where it starts.

    A long name drawn as one string runs over the site and service codes drawn after it; by
    x alone their words would interleave. Ordering phrases by their first word keeps the name
    in one piece and the codes after it.
    """
    phrases: dict[int, list[Word]] = {}
    for word in words:
        phrases.setdefault(word.phrase, []).append(word)
    groups = []
    for members in phrases.values():
        members.sort(key=lambda w: w.order)
        groups.append(members)
    groups.sort(key=lambda g: g[0].x0)
    return [w for g in groups for w in g]


def load_pages(path: str | Path, password: str | None = None) -> tuple[bytes, list[Page]]:
    """The file's bytes and its pages as lines of words; ExtractionError for a bad file."""
    path = Path(path)
    data = read_pdf_bytes(path)
    document = open_document(data, path.name, password)
    pages: list[Page] = []
    try:
        count = len(document)
        if count == 0:
            raise ExtractionError(
                "damaged", f"{path.name} has no pages; download or save the packet again."
            )
        for index in range(count):
            page = document[index]
            try:
                width, height = page.get_size()
                textpage = page.get_textpage()
                chars = _page_chars(textpage)
                direction = _reading_direction(chars)
                if direction:
                    chars = _turn(chars, direction)
                    width, height = height, width
                chars = _restore_merged(chars, direction)
                textpage.close()
            finally:
                page.close()
            words, vertical = _build_words(chars)
            words = _drop_redrawn(words)
            pages.append(Page(index + 1, width, height, _group_lines(words), vertical))
    except pdfium.PdfiumError:
        raise ExtractionError(
            "damaged", f"{path.name} is damaged and cannot be read as a PDF; save the packet again."
        ) from None
    finally:
        document.close()
    return data, pages
