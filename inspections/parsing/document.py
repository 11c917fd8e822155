"""Reading a file's bytes into page texts, refusing anything that is not a readable report.

The content is sniffed from the bytes, never trusted from the file name.
"""

import hashlib
import re
from dataclasses import dataclass
from functools import cached_property

import pypdfium2 as pdfium

from .errors import ReportRefused
from .result import ParsedReport, Source
from .text import normalise

# A real report has a few thousand characters; a page of a scanned PDF has none.
MIN_TEXT_CHARS = 200

IMAGE_SIGNATURES = {
    b"\x89PNG\r\n\x1a\n": "a PNG image",
    b"\xff\xd8\xff": "a JPEG image",
    b"GIF87a": "a GIF image",
    b"GIF89a": "a GIF image",
    b"II*\x00": "a TIFF image",
    b"MM\x00*": "a TIFF image",
    b"BM": "a bitmap image",
}
ARCHIVE_SIGNATURES = {
    b"PK\x03\x04": "a ZIP archive (or a Word/Excel document)",
    b"\x1f\x8b": "a gzip archive",
    b"Rar!": "a RAR archive",
    b"7z\xbc\xaf": "a 7-Zip archive",
    b"\xd0\xcf\x11\xe0": "an old-style Microsoft Office document",
}


@dataclass(frozen=True, slots=True)
class Line:
    text: str
    page: int | None  # 1-based page for PDF input; None for text input
    # Blank space between this line and the one above it on the page, in units of this line's height
    # (PDF input only): about 0.25 inside a paragraph, 1 or more between paragraphs and headings.
    space_above: float | None = None


@dataclass
class Document:
    """A report's text, page by page, as extracted from the file."""

    filename: str
    sha256: str
    format: str  # "pdf" or "text"
    pages: list[str]  # normalised text of each page (one entry for text input)
    # Line.space_above for each line of each page (PDF input only), so paragraphs can be told apart.
    spacing: list[list[float | None]] | None = None

    @property
    def page_count(self) -> int | None:
        return len(self.pages) if self.format == "pdf" else None

    @cached_property
    def text(self) -> str:
        return "\n\f\n".join(self.pages) if self.format == "pdf" else self.pages[0]

    @cached_property
    def lines(self) -> list[Line]:
        """Every line of the report with the page it is on (blank lines kept as "")."""
        lines = []
        for number, page in enumerate(self.pages, start=1):
            page_number = number if self.format == "pdf" else None
            texts = page.split("\n")
            spacing = self.spacing[number - 1] if self.spacing else []
            if len(spacing) != len(texts):
                spacing = [None] * len(texts)
            lines.extend(
                Line(text.rstrip(), page_number, space) for text, space in zip(texts, spacing, strict=True)
            )
        return lines


def read_document(data: bytes, filename: str) -> Document:
    """Turn a file's bytes into a Document, or raise ReportRefused saying why not."""
    if not data.strip():
        raise ReportRefused("The file is empty.")
    sha256 = hashlib.sha256(data).hexdigest()
    head = data[:1024]
    if b"%PDF-" in head:
        pages, spacing = _pdf_pages(data)
        return Document(filename=filename, sha256=sha256, format="pdf", pages=pages, spacing=spacing)
    _refuse_known_binary(head)
    text = _decode_text(data)
    if re.match(r"\s*(<!doctype\s+html|<html|<\?xml|<head|<body)", text[:2048], re.IGNORECASE):
        raise ReportRefused(
            "This file is a web page (HTML), not a report, even if its name ends in .pdf: "
            "download the report's PDF itself and upload that."
        )
    text = normalise(text)
    if len(text.strip()) < MIN_TEXT_CHARS:
        raise ReportRefused("The text file is too short to be an inspection report.")
    return Document(filename=filename, sha256=sha256, format="text", pages=[text])


def _pdf_pages(data: bytes) -> tuple[list[str], list[list[float | None]]]:
    try:
        pdf = pdfium.PdfDocument(data)
    except pdfium.PdfiumError as error:
        if "password" in str(error).lower():
            raise ReportRefused(
                "The PDF is password-protected (encrypted), so its text cannot be read: "
                "upload an unprotected copy."
            ) from None
        raise ReportRefused(
            "The PDF is damaged or incomplete (it may have been truncated while downloading): "
            "download it again and upload the new copy."
        ) from None
    try:
        if len(pdf) == 0:
            raise ReportRefused("The PDF has no pages.")
        pages, spacing = [], []
        for index in range(len(pdf)):
            page = pdf[index]
            textpage = page.get_textpage()
            text = textpage.get_text_range()
            pages.append(normalise(text))
            spacing.append(_line_spacing(textpage, text))
            textpage.close()
            page.close()
    except pdfium.PdfiumError:
        raise ReportRefused(
            "The PDF is damaged: some of its pages cannot be read. Download it again and upload the new copy."
        ) from None
    finally:
        pdf.close()
    if sum(len(page.strip()) for page in pages) < MIN_TEXT_CHARS:
        raise ReportRefused(
            "The PDF has no text layer (it looks scanned or made of images), so nothing can be read "
            "from it: upload the PDF as published by Ofsted."
        )
    return pages, spacing


def _line_spacing(textpage: pdfium.PdfTextPage, text: str) -> list[float | None]:
    """Each line's blank space above it, from the boxes of its letters and digits.

    Letters are measured rather than bullets, whose glyph boxes are smaller than the text's; the line
    above is measured at its last letter, as PDFium sometimes runs two printed lines into one.
    """
    if len(text) != textpage.count_chars():
        return []  # characters outside the BMP: text offsets no longer match character indexes
    spacing: list[float | None] = []
    start, bottom_above = 0, None
    for line in text.split("\r\n"):
        letters = [start + offset for offset, char in enumerate(line) if char.isalnum()]
        start += len(line) + 2
        if not letters:
            spacing.append(None)
            continue
        _, bottom, _, top = textpage.get_charbox(letters[0], loose=True)
        height = top - bottom
        known = bottom_above is not None and height > 0
        spacing.append(round((bottom_above - top) / height, 2) if known else None)
        bottom_above = textpage.get_charbox(letters[-1], loose=True)[1]
    return spacing


def _refuse_known_binary(head: bytes) -> None:
    for signatures in (IMAGE_SIGNATURES, ARCHIVE_SIGNATURES):
        for signature, what in signatures.items():
            if head.startswith(signature):
                raise ReportRefused(
                    f"This file is {what}, not a report. Upload the report as a PDF or a text file."
                )


def _decode_text(data: bytes) -> str:
    if b"\x00" in data[:8192]:
        raise ReportRefused("This file is neither a PDF nor a text file, so it cannot be read as a report.")
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        control = sum(1 for char in text[:8192] if ord(char) < 32 and char not in "\r\n\t\f")
        if control > 8:
            break
        return text
    raise ReportRefused("This file is neither a PDF nor a text file, so it cannot be read as a report.")


def new_report(document: Document, kind: str, *, title: str, authority_name: str, **fields) -> ParsedReport:
    """A ParsedReport for this document, with its source details and whole text filled in."""
    source = Source(document.filename, document.sha256, document.page_count, document.format)
    return ParsedReport(
        source=source, kind=kind, title=title, authority_name=authority_name, text=document.text, **fields
    )
