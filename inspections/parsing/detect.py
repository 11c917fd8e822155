"""Which kind of report a document is, from the title on its first pages.

Three steps, each general: the earliest printed title of a known kind; failing that, the wording only
one kind of report prints (its judgement grid, its opening sentence), for a title the text layer has
lost or mangled; failing that, a title of some other children's services inspection document (a joint
area review, an annual performance assessment), which is kept as `other` with its own title.
"""

import re

from ..choices import InspectionKind as Kind
from .errors import ReportRefused
from .text import squash

# "children's", however the text layer prints its apostrophe (lost, doubled, a modifier letter).
_CHILDRENS = r"children\W{0,2}s"

# Each kind's title wordings. The earliest title in the text wins: a body paragraph may mention
# another kind of inspection ("since the last inspection of local authority children's services").
TITLES = [
    (Kind.CRA_UNANNOUNCED, r"unannounced inspection of contact,? referral and assessment"),
    (Kind.SLAC, rf"inspection of safeguarding and looked after (?:{_CHILDRENS}|children) services"),
    (Kind.LAC_2012, rf"inspection of (?:services for )?looked after (?:{_CHILDRENS}|children) services"),
    (
        Kind.CHILD_PROTECTION_2012,
        r"inspection of local authority arrangements for the protection of children",
    ),
    (
        Kind.SIF,
        r"inspection of services for children in need of help (?:and|&) protection,? children looked after",
    ),
    (Kind.FOCUSED_VISIT, r"focused visit to\b"),
    (Kind.MONITORING_VISIT, r"monitoring visit (?:to|of)\b"),
    (Kind.JTAI, r"joint targeted area inspection"),
    (Kind.ILACS, rf"inspection of [^.]{{0,80}}?local authority {_CHILDRENS} services"),
    (Kind.ILACS, rf"inspection of {_CHILDRENS} social care services"),
    (Kind.ILACS, rf"inspection of [^.]{{0,60}}?{_CHILDRENS} services\s+inspection dates?"),
]
# Wording that only one kind prints, for a document whose title could not be read.
SIGNATURES = [
    (
        Kind.ILACS,
        r"the impact of leaders on (?:social work )?practice with children and families",
        "Inspection of local authority children's services",
    ),
    (
        Kind.SIF,
        r"children looked after and achieving permanence",
        "Inspection of services for children in need of help and protection, children looked after and "
        "care leavers",
    ),
    (Kind.FOCUSED_VISIT, r"summarises the findings of (?:a|the) focused visit", "Focused visit"),
    (Kind.MONITORING_VISIT, r"summarises the findings of (?:a|the) monitoring visit", "Monitoring visit"),
    (
        Kind.JTAI,
        r"carried out a joint inspection of the multi-agency response",
        "Joint targeted area inspection",
    ),
]
# Other children's services inspection documents: kept, with their title, as `other`.
OTHER_TITLE = (
    rf"joint area review\b[^.]{{0,160}}|annual performance assessment\b[^.]{{0,160}}"
    rf"|inspection of [^.]{{0,80}}?{_CHILDRENS} services\b[^.]{{0,80}}"
)
TITLE_RES = [(kind, re.compile(pattern, re.IGNORECASE)) for kind, pattern in TITLES]
SIGNATURE_RES = [(kind, re.compile(pattern, re.IGNORECASE), title) for kind, pattern, title in SIGNATURES]
OTHER_TITLE_RE = re.compile(OTHER_TITLE, re.IGNORECASE)
OFSTED_HINT = re.compile(r"ofsted|inspector|inspection", re.IGNORECASE)
CHILDREN_HINT = re.compile(r"\bchildren\b", re.IGNORECASE)
# How much of the first pages holds a title.
HEAD_CHARS = 12000


def detect_kind(pages: list[str]) -> tuple[str, str]:
    """Return (kind, title as printed) or raise ReportRefused."""
    head = squash(" ".join(pages[:3]))[:HEAD_CHARS]
    found = []
    for kind, pattern in TITLE_RES:
        match = pattern.search(head)
        if match:
            found.append((match.start(), kind, match))
    if found:
        found.sort(key=lambda item: item[0])
        _, kind, match = found[0]
        return kind.value, match.group(0)
    for kind, pattern, title in SIGNATURE_RES:
        if pattern.search(head):
            return kind.value, title
    other = _other_title(pages)
    if other and OFSTED_HINT.search(head) and CHILDREN_HINT.search(head):
        return Kind.OTHER.value, other
    if OFSTED_HINT.search(head):
        raise ReportRefused(
            "This does not look like an Ofsted inspection of a council's children's services: "
            "no report title (such as 'Inspection of ... local authority children's services' or "
            "'Focused visit to ...') was found on its first pages."
        )
    raise ReportRefused(
        "This is not an Ofsted inspection report: it has no inspection title and does not mention Ofsted."
    )


def _other_title(pages: list[str]) -> str:
    """The printed heading (the whole line or two) that names another children's services inspection."""
    lines = [squash(line) for page in pages[:2] for line in page.splitlines()]
    lines = [line for line in lines if line]
    for index, line in enumerate(lines[:80]):
        joined = " ".join(lines[index : index + 2])
        match = OTHER_TITLE_RE.match(joined) or OTHER_TITLE_RE.match(line)
        if match:
            return _title_lines(lines, index)
    return ""


def _title_lines(lines: list[str], index: int) -> str:
    """A heading's line, with the next one where the heading wraps onto it (no full stop, short)."""
    title = lines[index]
    following = lines[index + 1] if index + 1 < len(lines) else ""
    if (
        following
        and not title.endswith((".", ":"))
        and len(title) + len(following) < 200
        and (following[:1].islower() or following.lower().startswith(("children", "services", "progress")))
    ):
        title = f"{title} {following}"
    return title.rstrip(" .")
