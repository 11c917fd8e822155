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
from .search import SEARCH_CONFIG, Labels, archive_version, labels_of, query_lexemes

KIND_LABELS = dict(FindingKindFilter.choices)

# The lexemes of words seen in findings, by word (lower case), for marking matches (highlight.py):
# every process keeps those it has asked PostgreSQL for, up to this many (a few megabytes; the dev
# corpus uses about 8,000 words).
_word_lexemes: dict[str, tuple[str, ...]] = {}
WORD_LEXEMES_HELD = 50_000


def lexemes_of_words(words: set[str]) -> dict[str, tuple[str, ...]]:
    """Each word's lexemes as the archive's search reads it (none for a stop word); the words not
    yet held are looked up together, in one query."""
    found = {word: _word_lexemes.get(word) for word in words}
    missing = [word for word, lexemes in found.items() if lexemes is None]
    if missing:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT word, tsvector_to_array(to_tsvector(%s::regconfig, word)) FROM unnest(%s::text[]) AS word",
                [SEARCH_CONFIG, missing],
            )
            looked_up = {word: tuple(lexemes) for word, lexemes in cursor.fetchall()}
        found.update(looked_up)
        if len(_word_lexemes) + len(looked_up) > WORD_LEXEMES_HELD:
            _word_lexemes.clear()
        _word_lexemes.update(looked_up)
    return found


def mark_matches(texts: list[str], query_text: str) -> list[SafeString]:
    """Each text as a search result shows it: escaped, the words that match the query (not those it
    excludes) in <mark>, cut to the fragments around them if long (highlight.snippet); whole
    without a query, when there is nothing to cut around."""
    if not query_text:
        return [escape(text) for text in texts]
    wanted = query_lexemes(query_text)
    starts = highlight.word_starts(wanted)
    candidates = [highlight.candidate_words(text, starts) for text in texts]
    lexemes = lexemes_of_words({word for found in candidates for *_, word in found})
    return [
        highlight.snippet(
            text, [(start, end) for start, end, word in found if not wanted.isdisjoint(lexemes[word])]
        )
        for text, found in zip(texts, candidates, strict=True)
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
    one query more at most (for words the process has not seen before: lexemes_of_words)."""
    for finding, snippet in zip(
        findings, mark_matches([finding.text for finding in findings], query_text), strict=True
    ):
        finding.snippet = snippet
        # JSON text: Django reads jsonb as text outside a JSONField
        finding.theme_tags = theme_tags(json.loads(finding.tags or "[]"), labels.themes)
        finding.authority_name = labels.authorities.get(finding.authority_id, ("", "", ""))[1]
    return findings
