"""Hostile files, made here rather than committed: each is refused with a plain reason, within the
extraction limits, by the parser, by `ingest` and by `parse_report` alike, and leaves nothing behind.
Damaged copies of real reports are refused or read without invented data."""

import io
import random
import re
import subprocess
import sys
import time
import zipfile
import zlib
from dataclasses import dataclass

import pypdfium2 as pdfium
import pytest
from django.contrib.auth.models import Permission, User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse

from inspections.models import Finding, Inspection, Judgement
from inspections.parsing import ReportRefused, document, parse_report

from .conftest import CORPUS, CORPUS_MISSING, ROOT, subprocess_env
from .documents import REPORT_TEXT, scanned_pdf, text_pdf

# Reading any of these takes a second or so; the limits, not the files, are what bound the time.
SECONDS = 30
MB = 1024 * 1024


# Building PDFs by hand, to make the structures no PDF library writes --------------------------------


def raw_pdf(*objects: bytes) -> bytes:
    """A PDF of these objects (numbered from 1, the first the catalogue) with a correct xref table."""
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def pdf_stream(data: bytes, dictionary: bytes = b"", *, compressed: bytes | None = None) -> bytes:
    body = zlib.compress(data) if compressed is None else compressed
    return b"<< /Length %d /Filter /FlateDecode %s >>\nstream\n%s\nendstream" % (len(body), dictionary, body)


CATALOGUE = b"<< /Type /Catalog /Pages 2 0 R >>"
ONE_PAGE = b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>"


def one_page_pdf(page_entries: bytes, *more_objects: bytes) -> bytes:
    page = b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] %s >>" % page_entries
    return raw_pdf(CATALOGUE, ONE_PAGE, page, *more_objects)


def many_pages(count: int) -> bytes:
    kids = b" ".join(b"%d 0 R" % (number + 3) for number in range(count))
    page = b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>"
    return raw_pdf(CATALOGUE, b"<< /Type /Pages /Kids [%s] /Count %d >>" % (kids, count), *[page] * count)


def page_tree_containing_itself() -> bytes:
    return raw_pdf(CATALOGUE, b"<< /Type /Pages /Kids [2 0 R] /Count 1 >>")


def deeply_nested_arrays() -> bytes:
    depth = 100_000
    return one_page_pdf(b"/Contents 4 0 R /Annots " + b"[" * depth + b"]" * depth, pdf_stream(b"q Q"))


def form_drawing_itself() -> bytes:
    """A form XObject whose content draws the form again: endless nesting, and allocation with it."""
    form = pdf_stream(
        b"/X Do /X Do", b"/Subtype /Form /BBox [0 0 9 9] /Resources << /XObject << /X 4 0 R >> >>"
    )
    return one_page_pdf(
        b"/Resources << /XObject << /X 4 0 R >> >> /Contents 5 0 R", form, pdf_stream(b"/X Do")
    )


def decompression_bomb(megabytes: int = 1024) -> bytes:
    """A page whose 1 MB content stream inflates to a gigabyte of spaces."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)  # raw deflate: byte-aligned blocks repeat
    chunk = b" " * MB
    block = compressor.compress(chunk) + compressor.flush(zlib.Z_FULL_FLUSH)
    checksum = 1
    for _ in range(megabytes):
        checksum = zlib.adler32(chunk, checksum)
    body = b"\x78\xda" + block * megabytes + b"\x03\x00" + checksum.to_bytes(4, "big")
    return one_page_pdf(b"/Contents 4 0 R", pdf_stream(b"", compressed=body))


def endless_drawing() -> bytes:
    """A 1 kB page that makes PDFium run 200 million drawing operators (about 20 s of work)."""
    form = pdf_stream(b"q Q " * 100_000, b"/Subtype /Form /BBox [0 0 9 9]")
    return one_page_pdf(
        b"/Resources << /XObject << /X 4 0 R >> >> /Contents 5 0 R", form, pdf_stream(b"/X Do " * 2000)
    )


def garbage_after_pdf_header() -> bytes:
    return b"%PDF-1.7\n" + random.Random(7).randbytes(64 * 1024)


def zip_of_the_report() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("report.txt", REPORT_TEXT)
    return buffer.getvalue()


def html_page() -> bytes:
    return (
        b"<!DOCTYPE html>\n<html lang='en'><head><title>Page not found - GOV.UK</title></head>"
        b"<body><h1>Page not found</h1><p>If you entered a web address, check it is correct.</p></body></html>"
    )


def russian_text() -> bytes:
    return ("Отчёт о проверке служб защиты детей. " * 40).encode("cp1251")


def oversized_text() -> bytes:
    """The report, repeated to 3 MB: a text file under the size limit but far longer than any report."""
    return (REPORT_TEXT * (3 * MB // len(REPORT_TEXT))).encode()


def hundred_megabytes() -> bytes:
    report = text_pdf()
    return report + bytes(100 * MB - len(report))


@dataclass(frozen=True)
class Hostile:
    make: object  # () -> bytes
    reason: str  # a regular expression the refusal must match
    # Only reading for longer than the time limit refuses it: its tests lower the limit to 2 s.
    slow: bool = False


HOSTILE = {
    "zero bytes": Hostile(lambda: b"", "The file is empty"),
    "truncated after the header": Hostile(lambda: text_pdf()[:400], "damaged or incomplete"),
    "password-protected": Hostile(lambda: text_pdf(password="secret"), "password-protected"),
    "image only": Hostile(scanned_pdf, "no text layer"),
    "5,000 pages": Hostile(lambda: many_pages(5000), "has 5000 pages, more than the 500"),
    "page tree containing itself": Hostile(page_tree_containing_itself, "some of its pages cannot be read"),
    "arrays nested 100,000 deep": Hostile(deeply_nested_arrays, "no text layer"),
    "form drawing itself": Hostile(form_drawing_itself, "too large or complex to read"),
    "decompression bomb": Hostile(decompression_bomb, "too large or complex to read"),
    "endless drawing": Hostile(endless_drawing, "took too long to read", slow=True),
    "random bytes after a PDF header": Hostile(garbage_after_pdf_header, "damaged or incomplete"),
    "HTML page named .pdf": Hostile(html_page, "web page"),
    "ZIP archive named .pdf": Hostile(zip_of_the_report, "ZIP archive"),
    "random bytes": Hostile(lambda: random.Random(1).randbytes(64 * 1024), "neither a PDF nor a text file"),
    "UTF-16 text without a byte-order mark": Hostile(
        lambda: REPORT_TEXT.encode("utf-16-le"), "neither a PDF nor a text file"
    ),
    "Russian text in Windows-1251": Hostile(russian_text, "not an Ofsted inspection report"),
    "3 MB of text": Hostile(oversized_text, "more than 2,000,000 characters of text"),
    "100 MB": Hostile(hundred_megabytes, "The file is 100 MB, more than the 25 MB"),
}


@pytest.fixture(params=HOSTILE, ids=str)
def hostile(request, monkeypatch) -> Hostile:
    case = HOSTILE[request.param]
    if case.slow:
        monkeypatch.setattr(document, "EXTRACTION_TIMEOUT_SECONDS", 2)
    return case


def assert_nothing_written(media_root):
    assert not Inspection.objects.exists() and not Finding.objects.exists() and not Judgement.objects.exists()
    assert not media_root.exists() or not any(path.is_file() for path in media_root.rglob("*"))


def test_the_parser_refuses_each_hostile_file(hostile):
    data = hostile.make()
    started = time.perf_counter()
    with pytest.raises(ReportRefused, match=hostile.reason):
        parse_report(data, "upload.pdf")
    assert time.perf_counter() - started < SECONDS


@pytest.mark.django_db
def test_ingest_refuses_each_hostile_file_and_writes_nothing(hostile, tmp_path, media_root, capsys):
    path = tmp_path / "upload.pdf"
    path.write_bytes(hostile.make())
    started = time.perf_counter()
    with pytest.raises(CommandError, match="1 file"):
        call_command("ingest", path, no_progress=True)
    assert time.perf_counter() - started < SECONDS
    output = capsys.readouterr().out
    assert "refused 1," in output
    assert re.search(f"refused {re.escape(str(path))}: .*{hostile.reason}", output)
    assert_nothing_written(media_root)


def test_the_parse_report_command_refuses_each_hostile_file_in_one_line(hostile, tmp_path, capsys):
    path = tmp_path / "upload.pdf"
    path.write_bytes(hostile.make())
    started = time.perf_counter()
    with pytest.raises(SystemExit) as exit_:
        call_command("parse_report", path, json=True)
    assert time.perf_counter() - started < SECONDS
    assert exit_.value.code != 0
    output = capsys.readouterr()
    assert output.out == ""
    assert re.fullmatch(f"upload\\.pdf: [^\n]*{hostile.reason}[^\n]*\n", output.err)


def manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        env=subprocess_env() | env,
    )


@pytest.mark.django_db
def test_the_commands_refuse_hostile_files_in_a_process_of_their_own(tmp_path, media_root):
    """As run from a shell, where the extraction limits are the real ones."""
    folder = tmp_path / "incoming"
    folder.mkdir()
    cases = {name: case for name, case in HOSTILE.items() if not case.slow}
    for name, case in cases.items():
        (folder / f"{name}.pdf").write_bytes(case.make())

    ingest = manage("ingest", str(folder), "--no-progress", MEDIA_ROOT=str(media_root))
    assert ingest.returncode != 0
    for name, case in cases.items():
        assert re.search(f"refused {re.escape(str(folder / name))}.pdf: .*{case.reason}", ingest.stdout)
    assert f"{len(cases)} file(s) refused" in ingest.stderr
    assert_nothing_written(media_root)

    for name in ("100 MB", "form drawing itself", "password-protected"):
        result = manage("parse_report", str(folder / f"{name}.pdf"), "--json")
        assert result.returncode != 0 and result.stdout == ""
        assert re.fullmatch(f"{re.escape(name)}.pdf: [^\n]*{HOSTILE[name].reason}[^\n]*\n", result.stderr)


# Damaged copies of a report: refused, or read without anything the report does not say ------------------


def read_or_refused(data: bytes, original) -> None:
    """Parsed, the damaged copy is the same kind of report with none but the original's grades."""
    try:
        report = parse_report(data, "damaged.pdf")
    except ReportRefused:
        return
    assert report.kind == original.kind
    graded = {(judgement.area, judgement.grade) for judgement in original.judgements}
    assert {(judgement.area, judgement.grade) for judgement in report.judgements} <= graded


def truncations(data: bytes, count: int) -> list[int]:
    return sorted(
        {0, 1, 8, 9, 100, len(data) - 1} | set(random.Random(len(data)).sample(range(len(data)), count))
    )


def bit_flips(data: bytes, count: int, bits: int = 3):
    """Copies of the data with a few bits flipped at random, the same ones on every run."""
    chooser = random.Random(count)
    for _ in range(count):
        damaged = bytearray(data)
        for position in chooser.sample(range(len(data)), bits):
            damaged[position] ^= 1 << chooser.randrange(8)
        yield bytes(damaged)


@pytest.fixture(scope="module")
def generated_report() -> bytes:
    return text_pdf()


def test_a_generated_report_truncated_anywhere_is_refused_or_read_faithfully(generated_report):
    original = parse_report(generated_report, "report.pdf")
    for offset in truncations(generated_report, 80):
        read_or_refused(generated_report[:offset], original)


def test_a_generated_report_with_bits_flipped_is_refused_or_read_faithfully(generated_report):
    original = parse_report(generated_report, "report.pdf")
    for damaged in bit_flips(generated_report, 80):
        read_or_refused(damaged, original)


DORSET = CORPUS / "dev" / "2532283_dorset" / "children's services inspection - 09 may 2025.pdf"


@pytest.mark.corpus
@pytest.mark.skipif(not CORPUS.exists(), reason=CORPUS_MISSING)
def test_a_real_report_truncated_or_bit_flipped_is_refused_or_read_faithfully():
    data = DORSET.read_bytes()
    original = parse_report(data, DORSET.name)
    assert len(original.judgements) == 5
    for offset in truncations(data, 25):
        read_or_refused(data[:offset], original)
    for damaged in bit_flips(data, 25):
        read_or_refused(damaged, original)


FIRST_PAGE_REMOVED = {
    # ILACS pages carry the title and the inspection dates in their running header, and the page number.
    "ilacs": ("2532283_dorset/children's services inspection - 09 may 2025.pdf", "starts at page 2"),
    # The executive summary mentions the 2012 inspection of safeguarding and looked after children's
    # services: without the first page's title, that would be read as this report's own.
    "sif": ("80496_hackney/children's services inspection - 21 september 2016.pdf", "starts at page 2"),
    "focused visit": (
        "80418_norfolk/children's services focused visit - 09 november 2021.pdf",
        "starts at page 2",
    ),
    "jtai": (
        "80431_blackpool/joint area child protection inspection - 31 january 2025.pdf",
        "starts at page 2",
    ),
}


@pytest.mark.corpus
@pytest.mark.skipif(not CORPUS.exists(), reason=CORPUS_MISSING)
@pytest.mark.parametrize(("name", "reason"), FIRST_PAGE_REMOVED.values(), ids=FIRST_PAGE_REMOVED.keys())
def test_a_real_report_without_its_first_page_is_refused(name, reason):
    pdf = pdfium.PdfDocument((CORPUS / "dev" / name).read_bytes())
    pdf.del_page(0)
    buffer = io.BytesIO()
    pdf.save(buffer)
    pdf.close()
    with pytest.raises(ReportRefused, match=reason):
        parse_report(buffer.getvalue(), "report.pdf")


def test_a_report_saved_as_utf16_is_read_like_the_original():
    original = parse_report(REPORT_TEXT.encode(), "report.txt")
    report = parse_report(REPORT_TEXT.encode("utf-16"), "report.txt")
    assert (report.kind, report.authority_name, report.start_date) == (
        original.kind,
        original.authority_name,
        original.start_date,
    )
    assert [finding.text for finding in report.findings] == [finding.text for finding in original.findings]


# The admin upload ---------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_admin_upload_refuses_hostile_files_and_keeps_nothing(client, media_root):
    editor = User.objects.create_user("editor", is_staff=True)
    editor.user_permissions.set(Permission.objects.filter(codename__in=["add_inspection", "view_inspection"]))
    client.force_login(editor)
    names = ["form drawing itself", "5,000 pages", "HTML page named .pdf", "zero bytes"]
    files = [SimpleUploadedFile(f"{name}.pdf", HOSTILE[name].make()) for name in names]
    response = client.post(reverse("admin:inspections_inspection_upload"), {"files": files}, follow=True)
    assert response.status_code == 200
    entries = {entry.filename: entry for entry in response.context["entries"]}
    for name in names:
        entry = entries[f"{name}.pdf"]
        assert not entry.ready
        assert re.search(HOSTILE[name].reason, entry.staged.reason)
    assert_nothing_written(media_root)
