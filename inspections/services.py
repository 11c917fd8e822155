"""Writes: where a report file becomes rows.

Every write is one transaction: a report is stored whole (inspection, judgements, findings, themes,
source file) or not at all. The parser (inspections.parsing) is pure; these functions turn its
dataclasses into rows.
"""

import hashlib
from dataclasses import dataclass
from pathlib import Path

from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils import timezone

from .authority_names import AuthorityMatcher
from .models import Authority, Finding, Inspection, Judgement
from .parsing import PARSER_VERSION, ParsedReport, ReportRefused, parse_report
from .themes import tag_findings


class AlreadyIngested(Exception):
    """The same file (same SHA-256) is already in the archive."""

    def __init__(self, inspection: Inspection):
        super().__init__(f"This file is already in the archive as {inspection}.")
        self.inspection = inspection


class UnknownAuthority(ReportRefused):
    def __init__(self, printed_name: str):
        if printed_name:
            message = (
                f"The report names the authority as '{printed_name}', which does not match any authority "
                "in the archive's list. Choose the authority by hand, or add the name to the authority's "
                "alternative names in the admin."
            )
        else:
            message = "No authority name could be read from the report. Choose the authority by hand."
        super().__init__(message)
        self.printed_name = printed_name


@dataclass(frozen=True)
class Overrides:
    """Corrections staff make before publishing; None keeps what the parser read."""

    authority: Authority | None = None
    kind: str | None = None
    start_date: object = None
    end_date: object = None


def sha256_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def authority_for(report: ParsedReport, matcher: AuthorityMatcher | None = None) -> Authority | None:
    matcher = matcher or AuthorityMatcher(Authority.objects.all())
    pk = matcher.match(
        report.authority_name, on=report.start_date or report.letter_date or report.published_date
    )
    return Authority.objects.get(pk=pk) if pk else None


def report_ingest(
    *,
    data: bytes,
    filename: str,
    overrides: Overrides | None = None,
    report: ParsedReport | None = None,
    matcher: AuthorityMatcher | None = None,
) -> Inspection:
    """Parse a report file and store it with everything read from it, atomically.

    Raises AlreadyIngested for a file already in the archive (nothing is written), and ReportRefused
    (UnknownAuthority included) for a file that is not a usable report.
    """
    overrides = overrides or Overrides()
    existing = Inspection.objects.filter(sha256=sha256_of(data)).select_related("authority").first()
    if existing:
        raise AlreadyIngested(existing)
    report = report or parse_report(data, filename)
    authority = overrides.authority or authority_for(report, matcher)
    if authority is None:
        raise UnknownAuthority(report.authority_name)

    stored_name = None
    try:
        with transaction.atomic():
            inspection = Inspection(
                authority=authority,
                kind=overrides.kind or report.kind,
                title=report.title[:400],
                start_date=overrides.start_date or report.start_date,
                end_date=overrides.end_date or report.end_date,
                published_date=report.published_date,
                letter_date=report.letter_date,
                lead_inspector=report.lead_inspector[:300],
                source_filename=Path(filename).name[:300],
                sha256=report.source.sha256,
                page_count=report.source.pages,
                text=report.text,
                parsed_at=timezone.now(),
                parser_version=PARSER_VERSION,
            )
            inspection.source_file.save(Path(filename).name, ContentFile(data), save=False)
            stored_name = inspection.source_file.name
            inspection.save()
            _write_contents(inspection, report)
    except IntegrityError:
        _delete_stored(stored_name)
        duplicate = Inspection.objects.filter(sha256=report.source.sha256).first()
        if duplicate:  # another process ingested the same file meanwhile
            raise AlreadyIngested(duplicate) from None
        raise
    except BaseException:
        _delete_stored(stored_name)
        raise
    return inspection


@transaction.atomic
def inspection_reparse(*, inspection: Inspection) -> dict:
    """Re-read an inspection's stored source with the current parser; replace what was read from it.

    The authority, kind and dates stay as stored (staff may have corrected them); empty dates are
    filled in. Returns what changed: {"findings": (before, after), "judgements": (before, after)}.
    """
    with inspection.source_file.open("rb") as handle:
        data = handle.read()
    report = parse_report(data, inspection.source_filename)
    before = {
        "findings": inspection.findings.count(),
        "judgements": sorted(inspection.judgements.values_list("area", "grade")),
    }
    inspection.findings.all().delete()
    inspection.judgements.all().delete()
    for field in ("start_date", "end_date", "published_date", "letter_date"):
        if getattr(inspection, field) is None:
            setattr(inspection, field, getattr(report, field))
    inspection.title = report.title[:400]
    inspection.lead_inspector = report.lead_inspector[:300]
    inspection.page_count = report.source.pages
    inspection.text = report.text
    inspection.parsed_at = timezone.now()
    inspection.parser_version = PARSER_VERSION
    inspection.save()
    _write_contents(inspection, report)
    after = {
        "findings": len(report.findings),
        "judgements": sorted((judgement.area, judgement.grade) for judgement in report.judgements),
    }
    return {key: (before[key], after[key]) for key in before if before[key] != after[key]}


def _write_contents(inspection: Inspection, report: ParsedReport) -> None:
    Judgement.objects.bulk_create(
        Judgement(inspection=inspection, area=judgement.area, grade=judgement.grade)
        for judgement in report.judgements
    )
    findings = Finding.objects.bulk_create(
        Finding(
            inspection=inspection,
            kind=finding.kind,
            section=finding.section[:300],
            area=finding.area,
            order=finding.order,
            page=finding.page,
            number=finding.number,
            text=finding.text,
        )
        for finding in report.findings
    )
    tag_findings(Finding.objects.filter(pk__in=[finding.pk for finding in findings]))


def _delete_stored(name: str | None) -> None:
    if name:
        Inspection.source_file.field.storage.delete(name)
