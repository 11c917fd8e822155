"""What a findings search asks for: the text query read as PostgreSQL reads it, and a FindingFilterSet's
values read once into conditions on the finding's own row, split as the facets count them."""

import functools
import hashlib
import re
from dataclasses import dataclass
from typing import Any

import django_filters
from django.contrib.postgres.search import SearchQuery, SearchVectorField
from django.db import connection
from django.db.models import BooleanField, F, Func, Q, QuerySet
from django.db.models.expressions import RawSQL

from ..highlight import wanted_lexemes

SEARCH_CONFIG = "english"


def search_query(text: str) -> SearchQuery:
    """Websearch syntax: "a phrase", either OR other, -excluded; never a syntax error."""
    return SearchQuery(text, search_type="websearch", config=SEARCH_CONFIG)


class WordPairs(Func):
    """Every two adjacent words of a search vector, each pair one lexeme ("reflect supervis"), made
    by the database function finding_word_pairs (migration 0006). A finding holds a phrase only if
    it holds each of the phrase's pairs, so an index of the pairs finds the few findings that may
    hold a phrase, where the index of words finds every finding holding all its words (several
    times as many), each then read to check where its words stand."""

    function = "finding_word_pairs"
    output_field = SearchVectorField()


def required_phrases(text: str) -> list[str]:
    """The quoted phrases of a websearch query that every match must hold: not one preceded by
    "-", nor any when the query says OR anywhere (a phrase may then be one choice of several),
    nor a last phrase left unclosed. Leaving a phrase out is always safe: see text_condition."""
    parts = text.split('"')
    outside, inside = parts[0::2], parts[1::2]  # each phrase follows the text before it
    if len(parts) % 2 == 0:
        inside.pop()  # an odd number of quote marks: the last phrase is not closed
    if any(re.search(r"\bor\b", part, re.IGNORECASE) for part in outside):
        return []
    return [
        phrase for before, phrase in zip(outside, inside, strict=False) if not before.rstrip().endswith("-")
    ]


@functools.lru_cache(maxsize=1024)
def phrase_word_pairs(phrase: str) -> tuple[str, ...]:
    """A phrase's adjacent word pairs as the database reads them (WordPairs)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT tsvector_to_array(finding_word_pairs(to_tsvector(%s::regconfig, %s)))",
            [SEARCH_CONFIG, phrase],
        )
        return tuple(cursor.fetchone()[0])


@functools.lru_cache(maxsize=1024)
def query_lexemes(text: str) -> frozenset[str]:
    """The lexemes a websearch query asks for, not counting those it excludes with "-"."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT websearch_to_tsquery(%s::regconfig, %s)::text", [SEARCH_CONFIG, text])
        return wanted_lexemes(cursor.fetchone()[0])


@functools.lru_cache(maxsize=1024)
def searches_no_words(text: str) -> bool:
    """Whether a query, though not blank, asks for no word at all: websearch_to_tsquery drops the
    very common words ("the", "and") and punctuation, and may leave nothing to search for."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT websearch_to_tsquery(%s::regconfig, %s)::text = ''", [SEARCH_CONFIG, text])
        return cursor.fetchone()[0]


def tsquery_lexeme(lexeme: str) -> str:
    """A lexeme as a tsquery's text quotes it."""
    return "'" + lexeme.replace("\\", "\\\\").replace("'", "''") + "'"


def text_condition(text: str) -> Q:
    """The findings a websearch query matches. A phrase's matches are first narrowed to the
    findings holding each of its word pairs (their own index): the index of words alone gives every
    finding holding the phrase's words anywhere, each then read to see whether they stand together,
    several times the work. The query itself still decides, written as a function call so that
    PostgreSQL does not also read the index of words for it."""
    query = search_query(text)
    pairs = sorted({pair for phrase in required_phrases(text) for pair in phrase_word_pairs(phrase)})
    if not pairs:
        return Q(search_vector=query)
    holds_pairs = Func(
        WordPairs("search_vector"),
        RawSQL("%s::tsquery", [" & ".join(map(tsquery_lexeme, pairs))]),
        template="%(expressions)s",
        arg_joiner=" @@ ",
        output_field=BooleanField(),
    )
    matches = Func(F("search_vector"), query, function="ts_match_vq", output_field=BooleanField())
    return Q(holds_pairs) & Q(matches)


def asks_for_nothing(value) -> bool:
    """Whether a filter's cleaned value chooses nothing (no text, no box ticked, no date)."""
    if isinstance(value, QuerySet) and value.query.is_empty():
        return True  # no model choice ticked: told without compiling the query to run it
    return value is None or (not isinstance(value, str) and not value)


@dataclass(frozen=True)
class SearchTerms:
    """A FindingFilterSet's search, read once: its text, each filter's condition on the finding's own
    row (by filter name; values in error are left out, as they are from the results), each filter's
    values as given and as cleaned, and a key for the whole."""

    text: str
    conditions: dict[str, Q]
    given: dict[str, set[str]]  # each filter's values as given, valid or not
    chosen: dict[str, Any]  # each filter's valid value, cleaned (a queryset for model choices)
    labels: dict[str, str]  # each filter's label
    key: str

    @classmethod
    def of(cls, filterset: django_filters.FilterSet) -> "SearchTerms":
        conditions = filterset.conditions()  # validates the form
        cleaned = filterset.form.cleaned_data if filterset.is_bound else {}
        parts = []
        for name in sorted(conditions):
            value = cleaned[name]
            if not isinstance(value, str) and hasattr(value, "__iter__"):
                value = sorted(getattr(item, "pk", item) for item in value)  # model choices by key
            parts.append(f"{name}={value}")
        return cls(
            text=filterset.search_text,
            conditions=conditions,
            given={
                name: {str(value) for value in filterset.data.getlist(name)} if filterset.is_bound else set()
                for name in filterset.filters
            },
            chosen={
                name: [] if asks_for_nothing(cleaned.get(name)) else cleaned[name]
                for name in filterset.filters
            },
            labels={name: filter_.label for name, filter_ in filterset.filters.items()},
            key=hashlib.sha256("&".join(parts).encode()).hexdigest(),
        )
