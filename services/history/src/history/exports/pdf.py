"""The feedback report as a PDF, with fpdf2's built-in fonts (nothing to download)."""

from __future__ import annotations

from fpdf import FPDF
from fpdf.enums import XPos, YPos

from history.domain.report import ReportDocument

# The built-in PDF fonts cover Latin-1 only; typographic punctuation is mapped to its plain
# form and anything else outside Latin-1 becomes "?", rather than failing the export.
_PLAIN = str.maketrans(
    {
        "\u2018": "'",
        "\u2019": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u2013": "-",
        "\u2014": "-",
        "\u2026": "...",
        "\u00a0": " ",
        "\u2022": "-",
    }
)
_HEADING_SIZES = {1: 18, 2: 14, 3: 12}


def latin1(text: str) -> str:
    """``text`` in the characters the built-in PDF fonts can draw."""
    return text.translate(_PLAIN).encode("latin-1", errors="replace").decode("latin-1")


def report_pdf(document: ReportDocument) -> bytes:
    """The report as the bytes of an A4 PDF."""
    pdf = FPDF(format="A4")
    pdf.set_title(latin1(document.title))
    pdf.set_creator("Mocksy")
    pdf.set_auto_page_break(auto=True, margin=15)
    pdf.add_page()
    pdf.set_font("Helvetica", "B", _HEADING_SIZES[1])
    pdf.multi_cell(0, 9, latin1(document.title), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    for section in document.sections:
        pdf.ln(3)
        pdf.set_font("Helvetica", "B", _HEADING_SIZES.get(section.level, 12))
        pdf.multi_cell(0, 7, latin1(section.title), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.set_font("Helvetica", "", 10)
        for paragraph in section.paragraphs:
            pdf.multi_cell(0, 5, latin1(paragraph), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
            pdf.ln(1)
        for bullet in section.bullets:
            pdf.set_x(pdf.l_margin + 4)
            pdf.multi_cell(0, 5, latin1(f"- {bullet}"), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    return bytes(pdf.output())
