"""The `parse_report --json` output, exactly as CONTRACT.md sets it out (other tools read it).

What a report itself states (its inspection, judgements and findings) is written through the
archive's public schemas, the API's and the CSV's, so the three name and format those fields alike.
"""

from .models import Authority
from .parsing import ParsedReport
from .schemas import Judgement, ReportedFinding, ReportedInspection


def _as_json(schema, value) -> dict:
    return schema.model_validate(value).model_dump(mode="json")


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
        "inspection": _as_json(ReportedInspection, report),
        "judgements": [_as_json(Judgement, judgement) for judgement in report.judgements],
        "findings": [_as_json(ReportedFinding, finding) for finding in report.findings],
    }
