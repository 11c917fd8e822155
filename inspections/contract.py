"""The `parse_report --json` output, exactly as CONTRACT.md sets it out (other tools read it)."""

from .models import Authority
from .parsing import ParsedReport


def _iso(value):
    return value.isoformat() if value else None


def report_as_contract(report: ParsedReport, authority: Authority | None) -> dict:
    return {
        "source": {
            "filename": report.source.filename,
            "sha256": report.source.sha256,
            "pages": report.source.pages,
            "format": report.source.format,
        },
        "authority": {
            "name": authority.name if authority else report.authority_name,
            "slug": authority.slug if authority else None,
            "gss_code": authority.gss_code if authority else None,
        },
        "inspection": {
            "kind": report.kind,
            "title": report.title,
            "start_date": _iso(report.start_date),
            "end_date": _iso(report.end_date),
            "published_date": _iso(report.published_date),
            "letter_date": _iso(report.letter_date),
            "lead_inspector": report.lead_inspector or None,
        },
        "judgements": [{"area": judgement.area, "grade": judgement.grade} for judgement in report.judgements],
        "findings": [
            {
                "kind": finding.kind,
                "section": finding.section,
                "area": finding.area,
                "order": finding.order,
                "page": finding.page,
                "number": finding.number,
                "text": finding.text,
                "themes": finding.themes,
            }
            for finding in report.findings
        ],
    }
