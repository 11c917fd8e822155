"""The parser: a report file's bytes in, plain dataclasses out (no database).

    report = parse_report(data, "report.pdf")

Raises ReportRefused, with a reason staff can act on, for anything that is not a readable
children's services inspection report. One module per report family does the reading.
"""

from pathlib import Path

from . import ilacs, legacy, sif, visits
from .detect import detect_kind
from .document import Document, read_document, read_report_file
from .errors import ReportRefused
from .result import Finding, Judgement, ParsedReport, Source

# Stored with each inspection; `up` re-reads reports an older version read (2: paragraph numbers).
PARSER_VERSION = "2"

FAMILIES = {
    "cra_unannounced": legacy.parse,
    "slac": legacy.parse,
    "lac_2012": legacy.parse,
    "child_protection_2012": legacy.parse,
    "sif": sif.parse,
    "ilacs": ilacs.parse,
    "focused_visit": visits.parse,
    "monitoring_visit": visits.parse,
    "jtai": visits.parse,
    # other children's services inspection documents (a joint area review's progress letter) are letters
    "other": visits.parse,
}

__all__ = [
    "PARSER_VERSION",
    "Document",
    "Finding",
    "Judgement",
    "ParsedReport",
    "ReportRefused",
    "Source",
    "parse_document",
    "parse_file",
    "parse_report",
    "read_report_file",
]


def parse_report(data: bytes, filename: str) -> ParsedReport:
    """Parse a report file's bytes."""
    return parse_document(read_document(data, filename))


def parse_file(path: str | Path) -> ParsedReport:
    path = Path(path)
    return parse_report(read_report_file(path), path.name)


def parse_document(document: Document) -> ParsedReport:
    kind, title = detect_kind(document.pages)
    report = FAMILIES[kind](document, kind, title)
    for order, finding in enumerate(report.findings, start=1):
        finding.order = order
    return report
