"""Searching the findings: what a search asks for (query.py), each facet declared once (facets.py),
the one pass that counts and pages (engine.py), the orders (ordering.py), the sample (sample.py) and
what is cached under the archive's version (cache.py). Pages reach it through the model's manager,
Finding.objects.search(...) and .search_page(...); nothing here knows how a page looks."""

from .cache import Labels, archive_version, by_version, labels_of, reading_at
from .engine import FindingList, FindingSearch, PageRows, estimate, ordered_ids, search_list, search_page
from .facets import FACETS, IMPROVEMENT, FacetOption, FacetResult
from .ordering import SORTS, chosen_sort, default_sort, ordered
from .query import (
    SEARCH_CONFIG,
    SearchTerms,
    WordPairs,
    asks_for_nothing,
    phrase_word_pairs,
    query_lexemes,
    required_phrases,
    search_query,
    searches_no_words,
    text_condition,
    tsquery_lexeme,
)
from .sample import IN_SAMPLE, SAMPLE_EVERY

__all__ = [
    "FACETS", "IMPROVEMENT", "IN_SAMPLE", "SAMPLE_EVERY", "SEARCH_CONFIG", "SORTS", "FacetOption",
    "FacetResult", "FindingList", "FindingSearch", "Labels", "PageRows", "SearchTerms", "WordPairs", "archive_version",
    "asks_for_nothing", "by_version", "chosen_sort", "default_sort", "estimate", "labels_of", "ordered",
    "ordered_ids", "phrase_word_pairs", "query_lexemes", "reading_at", "required_phrases", "search_list", "search_page",
    "search_query", "searches_no_words", "text_condition", "tsquery_lexeme",
]  # fmt: skip
