"""Report-like files made by the tests themselves (no binary test files are committed)."""

import io

from fpdf import FPDF
from PIL import Image

from .conftest import SEEDS

REPORT_TEXT = (SEEDS / "rutland-2011-contact-referral-assessment.txt").read_text()


def text_pdf(text: str = REPORT_TEXT, password: str | None = None) -> bytes:
    pdf = FPDF()
    pdf.set_font("helvetica", size=10)
    pdf.add_page()
    pdf.multi_cell(0, 5, text.encode("latin-1", "replace").decode("latin-1"))
    if password:
        pdf.set_encryption(owner_password="owner-" + password, user_password=password)
    return bytes(pdf.output())


def scanned_pdf() -> bytes:
    """A page that is only a picture, as a scanner makes it: no text layer."""
    picture = Image.new("L", (800, 1100), color=255)
    for x in range(100, 700):
        for y in range(200, 210):
            picture.putpixel((x, y), 0)
    pdf = FPDF()
    pdf.add_page()
    pdf.image(picture, x=0, y=0, w=210)
    return bytes(pdf.output())


def png_image() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (40, 40), color=(200, 30, 30)).save(buffer, format="PNG")
    return buffer.getvalue()
