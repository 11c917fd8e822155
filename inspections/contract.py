"""The `parse_report --json` output, exactly as CONTRACT.md sets it out (other tools read it), and the
parser's dataclasses rebuilt from it (a staged upload is read once and published from its JSON).

What a report itself states (its inspection, judgements and findings) is written through the
archive's public schemas, the API's and the CSV's, so the three name and format those fields alike.
"""

from collections.abc import Sequence
from datetime import date

from . import schemas
from .models import Authority
from .parsing import Finding, Judgement, ParsedReport, Source


def _as_json(schema, value) -> dict:
    return schema.model_validate(value).model_dump(mode="json")


def _date(value):
    return date.fromisoformat(value) if value else None


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
        "inspection": _as_json(schemas.ReportedInspection, report),
        "judgements": [_as_json(schemas.Judgement, judgement) for judgement in report.judgements],
        "findings": [_as_json(schemas.ReportedFinding, finding) for finding in report.findings],
    }


def report_from_contract(
    contract: dict, *, authority_name: str, text: str = "", warnings: Sequence[str] = ()
) -> ParsedReport:
    """The ParsedReport that `report_as_contract` wrote, rebuilt without reading the file again. The
    contract leaves out the name as printed (it gives the matched authority's), the whole text and the
    parser's warnings, so they come separately."""
    source, inspection = contract["source"], contract["inspection"]
    return ParsedReport(
        source=Source(
            filename=source["filename"],
            sha256=source["sha256"],
            pages=source["pages"],
            format=source["format"],
        ),
        kind=inspection["kind"],
        title=inspection["title"],
        authority_name=authority_name,
        start_date=_date(inspection["start_date"]),
        end_date=_date(inspection["end_date"]),
        published_date=_date(inspection["published_date"]),
        letter_date=_date(inspection["letter_date"]),
        lead_inspector=inspection["lead_inspector"] or "",
        judgements=[Judgement(area=item["area"], grade=item["grade"]) for item in contract["judgements"]],
        findings=[
            Finding(
                kind=item["kind"],
                section=item["section"],
                area=item["area"],
                order=item["order"],
                page=item["page"],
                number=item["number"],
                text=item["text"],
                themes=list(item["themes"]),
            )
            for item in contract["findings"]
        ],
        text=text,
        warnings=list(warnings),
    )
