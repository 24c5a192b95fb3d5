"""What a file really is, from its first bytes, whatever its name says."""

from __future__ import annotations

import zipfile
from enum import StrEnum
from pathlib import Path

_OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


class Kind(StrEnum):
    """File kinds a staff member may hand in; the value is how they are named to them."""

    XLSX = "Excel 工作簿（.xlsx）"
    XLS = "Excel 97-2003 工作簿（.xls）"
    CSV = "文本表格（.csv）"
    ODS = "OpenDocument 表格（.ods）"
    DOCX = "Word 文档（.docx）"
    DOC = "Word 97-2003 文档（.doc）"
    PDF = "PDF 文件"
    HTML = "网页（HTML）文件"
    ZIP = "ZIP 压缩包"
    RAR = "RAR 压缩包"
    IMAGE = "图片"
    EMPTY = "空文件"
    BINARY = "无法识别的二进制文件"


# The suffix that each kind is expected to carry.
SUFFIXES: dict[Kind, tuple[str, ...]] = {
    Kind.XLSX: (".xlsx", ".xlsm"),
    Kind.XLS: (".xls",),
    Kind.CSV: (".csv", ".txt", ".tsv"),
    Kind.ODS: (".ods",),
    Kind.DOCX: (".docx",),
    Kind.DOC: (".doc",),
    Kind.PDF: (".pdf",),
    Kind.HTML: (".html", ".htm"),
    Kind.ZIP: (".zip",),
    Kind.RAR: (".rar",),
}


def _zip_kind(path: Path) -> Kind:
    try:
        with zipfile.ZipFile(path) as archive:
            names = set(archive.namelist())
            mimetype = archive.read("mimetype").decode("ascii", "replace") if "mimetype" in names else ""
    except (zipfile.BadZipFile, OSError, KeyError):
        return Kind.ZIP
    if "xl/workbook.xml" in names or any(n.startswith("xl/") for n in names):
        return Kind.XLSX
    if "word/document.xml" in names:
        return Kind.DOCX
    if "spreadsheet" in mimetype:
        return Kind.ODS
    return Kind.ZIP


def _ole2_kind(head: bytes) -> Kind:
    # The directory of a compound file names its streams in UTF-16: "Workbook" for Excel, "WordDocument".
    if "WordDocument".encode("utf-16-le") in head:
        return Kind.DOC
    return Kind.XLS


def _text_kind(head: bytes) -> Kind:
    start = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if start.startswith((b"<!doctype html", b"<html", b"<table", b"<?xml", b"<meta", b"<head")):
        return Kind.HTML
    if b"\x00" in head:
        return Kind.BINARY
    return Kind.CSV


def sniff(path: Path) -> Kind:
    """Tell what ``path`` holds from its content (raises OSError when it cannot be read)."""
    with path.open("rb") as fh:
        head = fh.read(64 * 1024)
    if not head:
        return Kind.EMPTY
    if head.startswith(b"PK\x03\x04"):
        return _zip_kind(path)
    if head.startswith(_OLE2):
        return _ole2_kind(head)
    if head.startswith(b"%PDF"):
        return Kind.PDF
    if head.startswith(b"Rar!"):
        return Kind.RAR
    if head.startswith((b"\x89PNG", b"\xff\xd8\xff", b"GIF8")):
        return Kind.IMAGE
    return _text_kind(head)


def misnamed(path: Path, kind: Kind) -> bool:
    """Whether the file's suffix says something else than its content."""
    expected = SUFFIXES.get(kind)
    return expected is not None and path.suffix.lower() not in expected
