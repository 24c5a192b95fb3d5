"""Read a notice file (.txt, .docx, .pdf) into lines of text, attachments' tables included.

python-docx and pypdf are imported only when a file of their kind is read.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from knowledge.drafting.text import TABLE_SEPARATOR

SUFFIXES = (".txt", ".docx", ".pdf")
# Fewer Chinese characters than this in the whole file: a scan without a text layer, or not a notice.
MIN_HAN = 50


class NoticeError(Exception):
    """A notice file that cannot be read; the message (Chinese) says why and what to do."""


def read_notice(path: Path) -> list[str]:
    """Return the notice's lines in reading order; raise NoticeError when it cannot be read."""
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        raise NoticeError(f"{path.name}：不支持的文件类型“{path.suffix}”，请给出 .txt、.docx 或 .pdf 文件")
    if not path.is_file():
        raise NoticeError(f"{path}：文件不存在")
    try:
        lines = {".txt": _txt, ".docx": _docx, ".pdf": _pdf}[suffix](path)
    except NoticeError:
        raise
    except Exception as exc:  # every library has its own errors for a damaged file
        raise NoticeError(
            f"{path.name}：无法读取（{type(exc).__name__}），文件可能已损坏或不是 {suffix} 格式"
        ) from exc
    if sum(1 for line in lines for ch in line if "\u4e00" <= ch <= "\u9fff") < MIN_HAN:
        raise NoticeError(f"{path.name}：读不出通知正文（可能是扫描件，没有文字层），请另存为 .docx 或 .txt")
    return lines


def _txt(path: Path) -> list[str]:
    data = path.read_bytes()
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding).splitlines()
        except UnicodeDecodeError:
            continue
    raise NoticeError(f"{path.name}：不是 UTF-8 或 GBK 编码的文本文件")


def _docx(path: Path) -> list[str]:
    import docx
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    document = docx.Document(str(path))
    lines: list[str] = []
    for block in document.iter_inner_content():
        if isinstance(block, Paragraph):
            lines.extend(block.text.splitlines())
        elif isinstance(block, Table):
            lines.extend(_table_rows(block))
    return lines


def _table_rows(table: Any) -> Iterator[str]:
    """One line per row, merged cells once, empty cells dropped."""
    for row in table.rows:
        cells: list[str] = []
        for cell in row.cells:
            text = " ".join(cell.text.split())
            if text and (not cells or cells[-1] != text):
                cells.append(text)
        if cells:
            yield TABLE_SEPARATOR.join(cells)


def _pdf(path: Path) -> list[str]:
    from pypdf import PdfReader

    reader = PdfReader(str(path))
    if reader.is_encrypted:
        raise NoticeError(f"{path.name}：PDF 已加密，请先去掉密码再试")
    lines: list[str] = []
    for page in reader.pages:
        lines.extend(page.extract_text().splitlines())
    return lines
