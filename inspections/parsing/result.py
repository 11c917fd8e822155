"""Plain data the parser produces: no ORM, so the parser can be tested on files alone."""

from dataclasses import dataclass, field
from datetime import date


@dataclass(frozen=True, slots=True)
class Source:
    filename: str
    sha256: str
    pages: int | None
    format: str  # "pdf" or "text"


@dataclass(slots=True)
class Judgement:
    area: str  # a JudgementArea value
    grade: str  # a Grade value


@dataclass(slots=True)
class Finding:
    kind: str  # a FindingKind value
    section: str  # the heading it sat under, as printed (tidied)
    area: str | None  # the JudgementArea the section belongs to, if any
    order: int  # 1-based position in the report
    page: int | None  # page it starts on (PDF input only)
    text: str  # whole text, re-joined across line wraps and page breaks
    themes: list[str] = field(default_factory=list)
    number: int | None = None  # the paragraph number as printed (ILACS and SIF "12."), else None


@dataclass(slots=True)
class ParsedReport:
    source: Source
    kind: str  # an InspectionKind value
    title: str
    authority_name: str  # the authority's name as read from the report, for matching
    start_date: date | None = None
    end_date: date | None = None
    published_date: date | None = None
    letter_date: date | None = None
    lead_inspector: str = ""
    judgements: list[Judgement] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    text: str = ""  # the whole extracted text
    warnings: list[str] = field(default_factory=list)
