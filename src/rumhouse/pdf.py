"""PDF building blocks of rumhouse's reports (fpdf2 with its core fonts: no system library): text that never
fails, a table, and a bar chart drawn with rectangles."""

from __future__ import annotations

from fpdf import FPDF


def text(value: object) -> str:
    """`value` as the core fonts can show it: they are Latin-1; anything else becomes '?', never an error."""
    return str(value).encode("latin-1", "replace").decode("latin-1")


def heading(pdf: FPDF, title: str, size: int = 12) -> None:
    pdf.ln(4)
    pdf.set_font("Helvetica", "B", size)
    pdf.cell(0, 8, text(title), new_x="LMARGIN", new_y="NEXT")


def table(pdf: FPDF, title: str, head: list[str], rows: list[list[str]], widths: list[int]) -> None:
    heading(pdf, title)
    pdf.set_font("Helvetica", "B", 9)
    for name, width in zip(head, widths, strict=True):
        pdf.cell(width, 6, text(name), border="B")
    pdf.ln()
    pdf.set_font("Helvetica", size=9)
    for row in rows or [["(none)"] + [""] * (len(head) - 1)]:
        for value, width in zip(row, widths, strict=True):
            pdf.cell(width, 5, text(value)[:48])
        pdf.ln()


def bars(pdf: FPDF, title: str, labels: list[str], values: list[float | None], colors: list[tuple[int, int, int]],
         height: float = 40) -> None:  # fmt: skip
    """A bar per value (none for a missing one), scaled to the highest; every few labels under them."""
    heading(pdf, title)
    top = max((v for v in values if v is not None), default=0) or 1
    x0, y0, width = pdf.get_x(), pdf.get_y(), 180 / max(len(values), 1)
    for i, (value, color) in enumerate(zip(values, colors, strict=True)):
        if value is None:
            continue
        h = height * value / top
        pdf.set_fill_color(*color)
        pdf.rect(x0 + i * width, y0 + height - h, max(width - 0.6, 0.3), h, style="F")
    pdf.set_font("Helvetica", size=7)
    step = max(1, len(labels) // 8)
    for i in range(0, len(labels), step):
        pdf.text(x0 + i * width, y0 + height + 4, text(labels[i]))
    pdf.set_y(y0 + height + 7)
