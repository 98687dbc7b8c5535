"""Every kind of bad file: the library raises one ExtractionError of the right kind, and the CLI
exits 2 with one line on stderr that says what is wrong and what to do, never a traceback."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from reportlab.lib.pdfencrypt import StandardEncryption
from reportlab.pdfgen import canvas

from data_extractor import ExtractionError, extract_packet

ROOT = Path(__file__).resolve().parents[1]


def _small_pdf(path: Path, text: str = "Quarterly newsletter", encrypt=None) -> Path:
    """A real one-page PDF that is no packet."""
    c = canvas.Canvas(str(path), encrypt=encrypt)
    c.setFont("Helvetica", 12)
    c.drawString(72, 720, text)
    c.showPage()
    c.save()
    return path


def _png(path: Path) -> Path:
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", 2, 2, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00" + b"\xff\x00\x00" * 2 + b"\x00" + b"\x00\xff\x00" * 2)
    path.write_bytes(
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )
    return path


def _make(kind: str, tmp_path: Path) -> tuple[Path, str | None]:
    if kind == "not_pdf":
        path = tmp_path / "notes.pdf"
        path.write_text("Remember to call the billing office on Monday.\n")
        return path, None
    if kind == "empty":
        path = tmp_path / "empty.pdf"
        path.write_bytes(b"")
        return path, None
    if kind == "truncated":
        whole = _small_pdf(tmp_path / "whole.pdf").read_bytes()
        path = tmp_path / "truncated.pdf"
        path.write_bytes(whole[: len(whole) // 2])
        return path, None
    if kind == "damaged":
        whole = _small_pdf(tmp_path / "whole.pdf").read_bytes()
        path = tmp_path / "damaged.pdf"
        path.write_bytes(whole[:9] + bytes(range(256)) * 8 + b"\n%%EOF\n")
        return path, None
    if kind in ("password_required", "wrong_password"):
        encryption = StandardEncryption("s3cret-pw", canPrint=1)
        path = _small_pdf(tmp_path / "locked.pdf", encrypt=encryption)
        return path, (None if kind == "password_required" else "not-the-password")
    if kind == "not_a_packet":
        return _small_pdf(tmp_path / "newsletter.pdf"), None
    if kind == "image":
        return _png(tmp_path / "scan.pdf"), None
    raise AssertionError(kind)


CASES = {
    # case: (expected kind, words the message must contain)
    "not_pdf": ("not_pdf", "not a PDF"),
    "empty": ("empty", "empty"),
    "truncated": ("damaged", "truncated"),
    "damaged": ("damaged", "damaged"),
    "password_required": ("password_required", "--password"),
    "wrong_password": ("wrong_password", "password"),
    "not_a_packet": ("not_a_packet", "not a compensation packet"),
    "image": ("not_pdf", "PNG image"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_library_raises_one_typed_error(case, tmp_path):
    path, password = _make(case, tmp_path)
    kind, words = CASES[case]
    with pytest.raises(ExtractionError) as caught:
        extract_packet(path, password=password)
    assert caught.value.kind == kind
    assert words in caught.value.message
    assert "\n" not in caught.value.message


@pytest.mark.parametrize("case", sorted(CASES))
def test_cli_exits_2_with_one_clear_line(case, tmp_path):
    path, password = _make(case, tmp_path)
    command = [sys.executable, str(ROOT / "data_extractor.py"), str(path), "--json"]
    if password:
        command += ["--password", password]
    result = subprocess.run(command, capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert result.returncode == 2
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ")
    assert CASES[case][1] in lines[0]
    assert "Traceback" not in result.stderr


def test_a_title_without_its_tables_is_not_a_packet(tmp_path):
    path = _small_pdf(tmp_path / "memo.pdf", "Memo: the Physician Compensation Report is late")
    with pytest.raises(ExtractionError) as caught:
        extract_packet(path)
    assert caught.value.kind == "not_a_packet"


def test_a_scan_without_text_is_not_a_packet(tmp_path):
    """A PDF holding only a picture of a page (a scan) says that it has no text."""
    image = _png(tmp_path / "page.png")
    path = tmp_path / "scan-in-pdf.pdf"
    c = canvas.Canvas(str(path))
    c.drawImage(str(image), 72, 600, width=200, height=200)
    c.showPage()
    c.save()
    with pytest.raises(ExtractionError) as caught:
        extract_packet(path)
    assert caught.value.kind == "not_a_packet"
    assert "no text" in caught.value.message


def test_missing_file_is_a_clear_error(tmp_path):
    with pytest.raises(ExtractionError) as caught:
        extract_packet(tmp_path / "nowhere.pdf")
    assert caught.value.kind == "not_found"


def test_right_password_opens_the_file(tmp_path):
    """The locked file itself is fine: with its password it is read (and found to be no packet)."""
    path, _ = _make("password_required", tmp_path)
    with pytest.raises(ExtractionError) as caught:
        extract_packet(path, password="s3cret-pw")
    assert caught.value.kind == "not_a_packet"
