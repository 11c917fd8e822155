"""Which kind of report a document is, from the title on its first pages."""

import re

from ..choices import InspectionKind as Kind
from .errors import ReportRefused
from .text import squash

# Each kind's title wordings. The earliest title in the text wins: a body paragraph may mention
# another kind of inspection ("since the last inspection of local authority children's services").
TITLES = [
    (Kind.CRA_UNANNOUNCED, r"unannounced inspection of contact,? referral and assessment"),
    (Kind.SLAC, r"inspection of safeguarding and looked after children(?:'?s)? services"),
    (Kind.LAC_2012, r"inspection of (?:services for )?looked after children(?:'?s)? services"),
    (
        Kind.CHILD_PROTECTION_2012,
        r"inspection of local authority arrangements for the protection of children",
    ),
    (
        Kind.SIF,
        r"inspection of services for children in need of help and protection,? children looked after",
    ),
    (Kind.FOCUSED_VISIT, r"focused visit to\b"),
    (Kind.MONITORING_VISIT, r"monitoring visit (?:to|of)\b"),
    (Kind.JTAI, r"joint targeted area inspection"),
    (Kind.ILACS, r"inspection of [^.]{0,80}?local authority children'?s services"),
    (Kind.ILACS, r"inspection of children'?s social care services"),
    (Kind.ILACS, r"inspection of [^.]{0,60}?children'?s services\s+inspection dates?"),
]
TITLE_RES = [(kind, re.compile(pattern, re.IGNORECASE)) for kind, pattern in TITLES]
OFSTED_HINT = re.compile(r"ofsted|inspector|inspection", re.IGNORECASE)


def detect_kind(pages: list[str]) -> tuple[str, str]:
    """Return (kind, title as printed) or raise ReportRefused."""
    head = squash(" ".join(pages[:3]))[:12000]
    found = []
    for kind, pattern in TITLE_RES:
        match = pattern.search(head)
        if match:
            found.append((match.start(), kind, match))
    if not found:
        if OFSTED_HINT.search(head):
            raise ReportRefused(
                "This does not look like an Ofsted inspection of a council's children's services: "
                "no report title (such as 'Inspection of ... local authority children's services' or "
                "'Focused visit to ...') was found on its first pages."
            )
        raise ReportRefused(
            "This is not an Ofsted inspection report: it has no inspection title and does not mention Ofsted."
        )
    found.sort(key=lambda item: item[0])
    _, kind, match = found[0]
    return kind.value, match.group(0)
