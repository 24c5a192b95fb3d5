"""Turn a fixture notice (plain text, table rows written `| a | b |`) into the .docx or .pdf a staff member gets."""

from __future__ import annotations

from pathlib import Path

FIXTURES = Path(__file__).parent


def _blocks(source: Path) -> list[str | list[list[str]]]:
    blocks: list[str | list[list[str]]] = []
    for line in source.read_text(encoding="utf-8").splitlines():
        if line.startswith("|"):
            row = [cell.strip() for cell in line.strip("|").split("|")]
            if blocks and isinstance(blocks[-1], list):
                blocks[-1].append(row)
            else:
                blocks.append([row])
        elif line.strip():
            blocks.append(line)
    return blocks


def build_docx(source: Path, target: Path) -> Path:
    """Paragraphs, and a Word table for each run of `|` rows."""
    import docx

    document = docx.Document()
    for block in _blocks(source):
        if isinstance(block, str):
            document.add_paragraph(block)
            continue
        table = document.add_table(rows=len(block), cols=max(len(row) for row in block))
        for cells, row in zip(table.rows, block, strict=True):
            for cell, text in zip(cells.cells, row, strict=False):
                cell.text = text
    document.save(str(target))
    return target


def build_pdf(source: Path, target: Path, *, width: int = 36) -> Path:
    """A text PDF (reportlab's built-in Chinese font), lines wrapped at ``width`` characters as on a page."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    pdf = canvas.Canvas(str(target))
    y = 800
    for block in _blocks(source):
        text = block if isinstance(block, str) else " ".join(" ".join(row) for row in block)
        for start in range(0, len(text), width):
            if y < 60:
                pdf.showPage()
                y = 800
            pdf.setFont("STSong-Light", 11)
            pdf.drawString(40, y, text[start : start + width])
            y -= 16
    pdf.save()
    return target
