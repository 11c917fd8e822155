"""How the pages show findings: a search's page with its matches marked and each finding's theme
tags linked, and an inspection's findings as plain rows. The search itself (search/) knows nothing
of this."""

import functools
import json
from typing import NamedTuple

from django.db import connection
from django.urls import reverse
from django.utils.html import escape
from django.utils.safestring import SafeString

from . import highlight
from .choices import FindingKindFilter
from .models import Finding, FindingTheme, Inspection
from .search import SEARCH_CONFIG, Labels, archive_version, labels_of, query_lexemes, tsquery_lexeme

KIND_LABELS = dict(FindingKindFilter.choices)

# Marks by (the query's tsquery, a piece of text), held per process: a page asks about 5 to 15 pieces.
_piece_marks: dict[tuple[str, str], tuple[tuple[int, int], ...]] = {}
PIECE_MARKS_HELD = 50_000
START_MARK, STOP_MARK = "\ue000", "\ue001"  # private use: never shown
# Angle brackets as spaces, as the search vector reads them (migration 0004: a tag's words are never
# marked), and the marks' own characters too.
HEADLINE_SQL = f"""
SELECT piece, ts_headline(%s::regconfig, translate(piece, '<>{START_MARK}{STOP_MARK}', '    '), %s::tsquery,
                          'StartSel={START_MARK}, StopSel={STOP_MARK}, HighlightAll=true')
FROM unnest(%s::text[]) AS piece
"""


def piece_marks(pieces: set[str], wanted: frozenset[str]) -> dict[str, tuple[tuple[int, int], ...]]:
    """Where each piece has a word with one of the wanted lexemes, as (start, end), as PostgreSQL's
    ts_headline marks them; the pieces not yet held are asked for together, in one query."""
    tsquery = " | ".join(map(tsquery_lexeme, sorted(wanted)))
    found = {piece: _piece_marks.get((tsquery, piece)) for piece in pieces}
    missing = [piece for piece, marks in found.items() if marks is None]
    if missing:
        with connection.cursor() as cursor:
            cursor.execute(HEADLINE_SQL, [SEARCH_CONFIG, tsquery, missing])
            looked_up = {
                piece: highlight.marked_spans(marked, START_MARK, STOP_MARK)
                for piece, marked in cursor.fetchall()
            }
        found.update(looked_up)
        if len(_piece_marks) + len(looked_up) > PIECE_MARKS_HELD:
            _piece_marks.clear()
        _piece_marks.update({(tsquery, piece): marks for piece, marks in looked_up.items()})
    return found


def match_spans(texts: list[str], query_text: str) -> list[list[tuple[int, int]]]:
    """Where each text has a word the query asks for (not one it excludes), as (start, end), in order."""
    wanted = query_lexemes(query_text)
    starts = highlight.match_starts(wanted)
    pieces = [highlight.candidate_pieces(text, starts) for text in texts]
    asked = {text[start:end] for text, found in zip(texts, pieces, strict=True) for start, end in found}
    marks = piece_marks(asked, wanted) if asked else {}
    return [
        [(start + at, start + end) for start, stop in found for at, end in marks[text[start:stop]]]
        for text, found in zip(texts, pieces, strict=True)
    ]


def mark_matches(texts: list[str], query_text: str) -> list[SafeString]:
    """Each text as a search result shows it: escaped, the words that match the query (not those it
    excludes) in <mark>, cut to the fragments around them if long (highlight.snippet); whole
    without a query, when there is nothing to cut around."""
    if not query_text:
        return [escape(text) for text in texts]
    return [
        highlight.snippet(text, spans)
        for text, spans in zip(texts, match_spans(texts, query_text), strict=True)
    ]


@functools.cache
def theme_url(slug: str) -> str:
    """A theme's page: its address depends on its slug alone, and a long report's page links
    hundreds of tags, each a reverse() otherwise."""
    return reverse("theme-detail", args=[slug])


class ThemeTag(NamedTuple):
    """One of a finding's themes as pages show it, with the words that earned it."""

    slug: str
    name: str
    matched: str

    @property
    def url(self) -> str:
        return theme_url(self.slug)


class ListedFinding(NamedTuple):
    """A finding as its inspection's page lists it."""

    pk: int
    order: int
    kind: str
    page: int | None
    number: int | None
    section: str
    text: str
    theme_tags: list[ThemeTag]

    @property
    def kind_label(self) -> str:
        return KIND_LABELS.get(self.kind, self.kind)


def inspection_findings(inspection: Inspection) -> list[ListedFinding]:
    """An inspection's findings in report order, each with its theme tags (by name): only what the
    page shows, as plain rows, since building a model for each of a long report's findings was
    most of the page's time."""
    themes = labels_of(archive_version(), Finding.objects.all()).themes
    tagged: dict[int, list[tuple[int, str]]] = {}
    rows = FindingTheme.objects.filter(finding__inspection=inspection).values_list(
        "finding", "theme", "matched"
    )
    for finding_id, theme_id, matched in rows:
        tagged.setdefault(finding_id, []).append((theme_id, matched))
    findings = (
        Finding.objects.filter(inspection=inspection)
        .order_by("order")
        .values_list("pk", "order", "kind", "page", "number", "section", "text")
    )
    return [ListedFinding(*row, theme_tags(tagged.get(row[0], []), themes)) for row in findings]


def theme_tags(tags, themes: dict[int, tuple[str, str]]) -> list[ThemeTag]:
    """A finding's (theme id, matched words) pairs as ThemeTags, by theme name (labels' themes)."""
    shown = [ThemeTag(*themes[theme], matched) for theme, matched in tags if theme in themes]
    return sorted(shown, key=lambda tag: tag.name)


def search_results(findings: list[Finding], query_text: str, labels: Labels) -> list[Finding]:
    """A search's page of findings (search.engine.page_rows) ready to list: each given `.snippet`
    (its text, escaped for HTML, the matches in <mark>), `.theme_tags` and `.authority_name`, with
    one query more at most (for pieces of text the process has not marked before: piece_marks)."""
    for finding, snippet in zip(
        findings, mark_matches([finding.text for finding in findings], query_text), strict=True
    ):
        finding.snippet = snippet
        # JSON text: Django reads jsonb as text outside a JSONField
        finding.theme_tags = theme_tags(json.loads(finding.tags or "[]"), labels.themes)
        finding.authority_name = labels.authorities.get(finding.authority_id, ("", "", ""))[1]
    return findings
