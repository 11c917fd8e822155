"""Every kind of bad file is refused with a reason staff understand, and nothing is written."""

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from inspections.models import Finding, Inspection, Judgement
from inspections.parsing import ReportRefused, parse_report
from inspections.services import UnknownAuthority, report_ingest

from .conftest import CORPUS, CORPUS_MISSING
from .documents import REPORT_TEXT, png_image, scanned_pdf, text_pdf

BAD_FILES = {
    "empty": (b"", "empty"),
    "blank text": (b"   \n\n  ", "empty"),
    "truncated pdf": (text_pdf()[:900], "damaged or incomplete"),
    "encrypted pdf": (text_pdf(password="secret"), "password-protected"),
    "scanned pdf": (scanned_pdf(), "no text layer"),
    "image": (png_image(), "image"),
    "zip": (b"PK\x03\x04" + b"\x00" * 200, "ZIP archive"),
    "html page": (
        b"<!DOCTYPE html><html><head><title>Not found</title></head><body>Sorry</body></html>",
        "web page",
    ),
    "random bytes": (bytes(range(256)) * 8, "neither a PDF nor a text file"),
    "not a report": (
        ("Minutes of the parish council meeting. " * 40).encode(),
        "not an Ofsted inspection report",
    ),
    "short text": (b"Ofsted inspection", "too short"),
}


@pytest.mark.parametrize(("data", "reason"), BAD_FILES.values(), ids=BAD_FILES.keys())
def test_the_parser_refuses_bad_files_with_a_plain_reason(data, reason):
    with pytest.raises(ReportRefused, match=reason):
        parse_report(data, "upload.pdf")


@pytest.mark.django_db
@pytest.mark.parametrize(("data", "reason"), BAD_FILES.values(), ids=BAD_FILES.keys())
def test_ingest_writes_nothing_for_a_bad_file(data, reason, media_root):
    with pytest.raises(ReportRefused, match=reason):
        report_ingest(data=data, filename="upload.pdf")
    assert not Inspection.objects.exists() and not Finding.objects.exists() and not Judgement.objects.exists()
    assert not media_root.exists() or not any(media_root.rglob("*.*"))


@pytest.mark.django_db
def test_a_report_for_an_authority_not_in_the_table_is_refused_naming_what_was_read(media_root):
    data = REPORT_TEXT.replace("Rutland County Council", "Gotham County Council").replace("Rutland", "Gotham")
    with pytest.raises(UnknownAuthority, match="'Gotham County Council'"):
        report_ingest(data=data.encode(), filename="gotham.txt")
    assert not Inspection.objects.exists()
    assert not media_root.exists() or not any(media_root.rglob("*.*"))


@pytest.mark.skipif(not CORPUS.exists(), reason=CORPUS_MISSING)
def test_the_real_html_error_page_saved_as_pdf_is_refused():
    data = (CORPUS / "bad" / "html-error-page-saved-as.pdf").read_bytes()
    with pytest.raises(ReportRefused, match="web page"):
        parse_report(data, "html-error-page-saved-as.pdf")


@pytest.mark.django_db
def test_ingest_command_lists_each_refusal_and_fails(tmp_path, capsys):
    (tmp_path / "empty.pdf").write_bytes(b"")
    (tmp_path / "picture.pdf").write_bytes(png_image())
    with pytest.raises(CommandError, match="2 file"):
        call_command("ingest", tmp_path, no_progress=True)
    output = capsys.readouterr().out
    assert "refused 2" in output
    assert "empty.pdf: The file is empty." in output
    assert "picture.pdf: This file is a PNG image" in output
    assert not Inspection.objects.exists()
