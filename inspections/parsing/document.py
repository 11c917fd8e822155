"""Reading a file's bytes into page texts, refusing anything that is not a readable report.

The content is sniffed from the bytes, never trusted from the file name. A PDF's text is extracted in
a child process held to a time and a memory limit, so a script that parses PDFs must keep its top-level
code under `if __name__ == "__main__":`, as multiprocessing requires (manage.py, gunicorn and pytest do).
"""

import codecs
import functools
import hashlib
import multiprocessing
import os
import re
import resource
from dataclasses import dataclass
from functools import cached_property
from multiprocessing.connection import Connection
from pathlib import Path

import pypdfium2 as pdfium

from .errors import ReportRefused
from .result import ParsedReport, Source
from .text import normalise

# A real report has a few thousand characters; a page of a scanned PDF has none.
MIN_TEXT_CHARS = 200

# Limits that keep a hostile or broken file from hanging or exhausting the server. Real reports are
# far inside them: the largest in the corpus is 0.75 MB, 49 pages and 130,000 characters, and its
# text is read in 0.3 s with under 10 MB of memory.
# A larger file is refused before it is read into memory (the admin's upload limit,
# REPORT_MAX_UPLOAD_BYTES, is 25 MB by default too).
MAX_FILE_BYTES = 25 * 1024 * 1024
# No Ofsted children's services report has more than about 80 pages.
MAX_PAGES = 500
# The report families take about a second per million characters; this bounds their time and memory.
MAX_TEXT_CHARS = 2_000_000
# PDF text is extracted in a child process held to these limits, so a file made to send PDFium into a
# loop, an endless allocation or a crash costs one child process, never the process serving staff.
# 20 s is over 60 times the slowest real report; the child starts with about 55 MB of address space.
EXTRACTION_TIMEOUT_SECONDS = 20
EXTRACTION_MEMORY_BYTES = 512 * 1024 * 1024

# A page number printed at the top of a page, as the reports print it: alone on the first line
# ("2"), as "Page 2 of 9", or after the inspection dates in the running header ("... March 2025 2").
PAGE_NUMBER = re.compile(
    r"^(?:Page )?(\d{1,3})(?: of \d{1,3})?$|\b(?:19|20)\d\d\.? (\d{1,3})$", re.IGNORECASE
)

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


def read_report_file(path: Path) -> bytes:
    """A report file's bytes, refusing a file over MAX_FILE_BYTES without reading it."""
    with path.open("rb") as handle:
        size = os.fstat(handle.fileno()).st_size
        # A pipe has no size, and a file may grow while it is read: never read past the limit.
        data = handle.read(MAX_FILE_BYTES + 1) if size <= MAX_FILE_BYTES else b""
    if max(size, len(data)) > MAX_FILE_BYTES:
        _refuse_too_large(max(size, len(data)))
    return data


def _refuse_too_large(size: int) -> None:
    raise ReportRefused(
        f"The file is {size / 1024 / 1024:.0f} MB, more than the {MAX_FILE_BYTES // 1024 // 1024} MB "
        "any inspection report takes, so it was not read."
    )


def _refuse_too_much_text(chars: int) -> None:
    if chars > MAX_TEXT_CHARS:
        raise ReportRefused(
            f"The file holds more than {MAX_TEXT_CHARS:,} characters of text, over ten times the longest "
            "inspection report, so it was not read."
        )


def read_document(data: bytes, filename: str) -> Document:
    """Turn a file's bytes into a Document, or raise ReportRefused saying why not."""
    if len(data) > MAX_FILE_BYTES:
        _refuse_too_large(len(data))
    if not data.strip():
        raise ReportRefused("The file is empty.")
    sha256 = hashlib.sha256(data).hexdigest()
    head = data[:1024]
    if b"%PDF-" in head:
        pages, spacing = _pdf_pages(data)
        _refuse_missing_first_page(pages[0])
        return Document(filename=filename, sha256=sha256, format="pdf", pages=pages, spacing=spacing)
    _refuse_known_binary(head)
    text = _decode_text(data)
    if re.match(r"\s*(<!doctype\s+html|<html|<\?xml|<head|<body)", text[:2048], re.IGNORECASE):
        raise ReportRefused(
            "This file is a web page (HTML), not a report, even if its name ends in .pdf: "
            "download the report's PDF itself and upload that."
        )
    _refuse_too_much_text(len(text))
    text = normalise(text)
    if len(text.strip()) < MIN_TEXT_CHARS:
        raise ReportRefused("The text file is too short to be an inspection report.")
    return Document(filename=filename, sha256=sha256, format="text", pages=[text])


def _pdf_pages(data: bytes) -> tuple[list[str], list[list[float | None]]]:
    """Extract the pages in a child process held to the time and memory limits."""
    context = _extraction_context()
    receiver, sender = context.Pipe(duplex=False)
    child = context.Process(
        target=_extract_in_child, args=(data, sender, EXTRACTION_MEMORY_BYTES), daemon=True
    )
    child.start()
    sender.close()
    try:
        if not receiver.poll(EXTRACTION_TIMEOUT_SECONDS):
            raise ReportRefused(
                f"The PDF took too long to read (more than {EXTRACTION_TIMEOUT_SECONDS} seconds; a report "
                "takes under one), so it is damaged or not a report: download it again and upload the "
                "new copy."
            )
        outcome = receiver.recv()
    except EOFError:  # the child died without an answer: out of memory, or PDFium crashed
        outcome = ("too large", None)
    finally:
        child.kill()
        child.join()
        child.close()
        receiver.close()
    match outcome:
        case ("read", (pages, spacing)):
            return pages, spacing
        case ("refused", reason):
            raise ReportRefused(reason)
    raise ReportRefused(
        "The PDF is too large or complex to read: reading it needed far more memory than a report "
        "does, or failed part-way. Download it again and upload the new copy."
    )


@functools.cache
def _extraction_context() -> multiprocessing.context.BaseContext:
    """Child processes forked from a server process that has this module loaded already.

    Forking the server process itself is unsafe (it may run threads and hold database connections);
    a fresh interpreter per file would cost more than reading the file.
    """
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["__main__", __name__])
    return context


def _extract_in_child(data: bytes, sender: Connection, memory_bytes: int) -> None:
    resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
    try:
        outcome = ("read", _read_pdf(data))
    except ReportRefused as refusal:
        outcome = ("refused", str(refusal))
    except MemoryError:
        outcome = ("too large", None)
    sender.send(outcome)
    sender.close()


def _read_pdf(data: bytes) -> tuple[list[str], list[list[float | None]]]:
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
        if len(pdf) > MAX_PAGES:
            raise ReportRefused(
                f"The PDF has {len(pdf)} pages, more than the {MAX_PAGES} any inspection report could have "
                "(the longest have about 80), so it was not read."
            )
        pages, spacing, chars = [], [], 0
        for index in range(len(pdf)):
            page = pdf[index]
            textpage = page.get_textpage()
            text = textpage.get_text_range()
            chars += len(text)
            _refuse_too_much_text(chars)
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


def _refuse_missing_first_page(first_page: str) -> None:
    """Refuse a PDF whose first page is printed with a later page number: its opening pages, with the
    report's title, dates and judgements, are missing, and what is left would read as an incomplete
    report, or as another kind of report when it mentions an earlier inspection."""
    for line in [line.strip() for line in first_page.split("\n") if line.strip()][:3]:
        match = PAGE_NUMBER.search(line)
        number = int(match.group(1) or match.group(2)) if match else 1
        if number > 1:
            raise ReportRefused(
                f"The PDF starts at page {number}: the report's first page, with its title, dates and "
                "judgements, is missing. Upload the whole report."
            )


def _refuse_known_binary(head: bytes) -> None:
    for signatures in (IMAGE_SIGNATURES, ARCHIVE_SIGNATURES):
        for signature, what in signatures.items():
            if head.startswith(signature):
                raise ReportRefused(
                    f"This file is {what}, not a report. Upload the report as a PDF or a text file."
                )


def _decode_text(data: bytes) -> str:
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        encodings = ("utf-16",)  # what Windows Notepad saves as "Unicode"
    elif b"\x00" in data[:8192]:
        raise ReportRefused("This file is neither a PDF nor a text file, so it cannot be read as a report.")
    else:
        encodings = ("utf-8-sig", "cp1252")
    for encoding in encodings:
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
