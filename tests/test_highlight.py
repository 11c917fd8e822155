"""Search results mark the words that match, as PostgreSQL reads them, and cut long findings short.

highlight.py finds the words in Python and asks PostgreSQL only what a word's lexemes are, so here
its choices are checked against PostgreSQL's own (ts_headline, which the results page used before)
over the seed reports' paragraphs.
"""

import html
import random
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from hypothesis import given
from hypothesis import strategies as st

from inspections import highlight, presenters
from inspections.highlight import (
    FRAGMENT_DELIMITER,
    FRAGMENTS,
    WHOLE_UP_TO_CHARS,
    candidate_words,
    snippet,
    wanted_lexemes,
    word_starts,
)
from inspections.presenters import lexemes_of_words, mark_matches
from inspections.search import query_lexemes

from .conftest import SEEDS

START, STOP = "\ue000", "\ue001"


def seed_paragraphs() -> list[str]:
    paragraphs = []
    for path in sorted(SEEDS.glob("*.txt")):
        paragraphs += [" ".join(block.split()) for block in re.split(r"\n\s*\n", path.read_text())]
    return [paragraph for paragraph in paragraphs if len(paragraph) > 40]


def postgresql_marks(text: str, query: str) -> list[tuple[int, int]]:
    """Where ts_headline marks the query's words in the text (every one: HighlightAll)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT ts_headline('english', %s, websearch_to_tsquery('english', %s), %s)",
            [text, query, f"StartSel={START}, StopSel={STOP}, HighlightAll=true"],
        )
        marked = cursor.fetchone()[0]
    spans, plain, start = [], 0, 0
    for character in marked:
        if character == START:
            start = plain
        elif character == STOP:
            spans.append((start, plain))
        else:
            plain += 1
    return spans


def our_marks(text: str, query: str) -> list[tuple[int, int]]:
    wanted = query_lexemes(query)
    found = candidate_words(text, word_starts(wanted))
    lexemes = lexemes_of_words({word for *_, word in found})
    return [(start, end) for start, end, word in found if not wanted.isdisjoint(lexemes[word])]


@pytest.mark.django_db
def test_every_word_of_the_seed_reports_starts_with_its_lexeme_but_its_last_letter():
    """What word_starts relies on to find the words that might match without parsing the text."""
    words = {word.lower() for paragraph in seed_paragraphs() for word in highlight.WORD.findall(paragraph)}
    assert len(words) > 2000
    lexemes = lexemes_of_words(words)
    assert sum(bool(found) for found in lexemes.values()) > 1500  # not stop words alone
    for word, found in lexemes.items():
        if len(found) > 1:  # a web address, also read as its host and path: the path is not marked
            assert "/" in word, word
            continue
        for lexeme in found:
            assert word.startswith(lexeme[:-1] if len(lexeme) > 1 else lexeme), (word, lexeme)


@pytest.mark.django_db
def test_the_words_marked_are_those_postgresql_marks():
    """Queries cut from the seed reports (words, hyphenated words, numbers, dates, addresses,
    phrases, OR), marked in the paragraphs that hold them: the same words, at the same places."""
    paragraphs = [paragraph.replace("<", " ").replace(">", " ") for paragraph in seed_paragraphs()]
    rng, compared, marked = random.Random(5), 0, 0
    for number in range(400):
        paragraph = rng.choice(paragraphs)
        words = paragraph.replace('"', " ").split()
        size = rng.randint(1, 3)
        start = rng.randint(0, max(len(words) - size, 0))
        query = " ".join(words[start : start + size])
        if number % 3 == 1:
            query = f'"{query}"'
        elif number % 3 == 2:
            query = f"{query} OR {rng.choice(rng.choice(paragraphs).split())}"
        if any(character in query for character in "-!"):
            continue  # a word after "-" is left out on purpose: see the next test
        for text in [paragraph, rng.choice(paragraphs)]:
            expected = postgresql_marks(text, query)
            assert our_marks(text, query) == expected, (query, text)
            compared += 1
            marked += bool(expected)
    assert compared > 600 and marked > 350


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("query", "marked"),
    [
        ("supervision -managers", ["supervision"]),
        ('care -"reflective supervision"', ["care"]),
        ("reflective -(supervision)", ["Reflective", "reflective"]),
    ],
)
def test_excluded_words_are_not_marked(query, marked):
    text = "Reflective supervision by managers; reflective care."
    assert [text[start:end] for start, end in our_marks(text, query)] == marked


@pytest.mark.parametrize(
    ("tsquery", "wanted"),
    [
        ("'supervis' & !'manag'", {"supervis"}),
        ("'reflect' <-> 'supervis' | 'neglect'", {"reflect", "supervis", "neglect"}),
        ("'plan' & !( 'reflect' <-> 'supervis' )", {"plan"}),
        ("!!'twice'", {"twice"}),
        ("!( 'a' & !'b' ) & 'c'", {"b", "c"}),
        ("'o''brien' & 'x':*A", {"o'brien", "x"}),
        ("", set()),
    ],
)
def test_a_query_wants_the_lexemes_it_does_not_exclude(tsquery, wanted):
    assert wanted_lexemes(tsquery) == wanted


@pytest.mark.parametrize(
    ("text", "lexemes", "words"),
    [
        ("multi-agency working", {"multi-ag", "multi", "agenc"}, ["multi", "agency"]),
        ("In 2012-13, aged 16-18", {"2012", "-13", "16", "-18"}, ["2012", "-13", "16", "-18"]),
        ("post-18 care", {"18"}, []),  # PostgreSQL reads "-18" there, not 18
        ("see e.g. the plan", {"g"}, []),  # "e.g" is one word
        ("www.ofsted.gov.uk and Ofsted", {"ofst"}, ["ofsted"]),
        ("Happiness, happy", {"happi"}, ["happiness", "happy"]),
    ],
)
def test_candidate_words_start_where_postgresql_starts_a_word(text, lexemes, words):
    assert [word for *_, word in candidate_words(text, word_starts(lexemes))] == words


def test_a_short_finding_is_shown_whole_with_its_matches_marked():
    text = "Managers' <b>supervision</b> is regular & reflective."
    start = text.index("supervision")
    shown = snippet(text, [(start, start + len("supervision"))])
    assert shown == "Managers&#x27; &lt;b&gt;<mark>supervision</mark>&lt;/b&gt; is regular &amp; reflective."


SENTENCE = "Social workers visit children regularly and their records are up to date. "


def test_a_long_finding_is_cut_to_a_fragment_around_its_match_starting_at_its_sentence():
    text = SENTENCE * 10 + "Managers give reflective supervision every month. " + SENTENCE * 10
    start = text.index("supervision")
    shown = snippet(text, [(start, start + len("supervision"))])
    assert shown.startswith("… Managers give reflective <mark>supervision</mark>")
    assert shown.endswith(" …")  # the text goes on
    assert len(shown) < 400
    assert FRAGMENT_DELIMITER not in shown


def test_a_long_finding_without_a_match_in_its_text_shows_its_beginning():
    text = SENTENCE * 20  # found by its section heading, say
    shown = snippet(text, [])
    assert shown.endswith(" …") and text.startswith(shown.removesuffix(" …"))
    assert WHOLE_UP_TO_CHARS / 2 < len(shown) < 400


@given(
    st.lists(
        st.sampled_from(["care", "plans", "<b>", "&", "supervision.", "2012-13", "—", "e.g.", "\n", "  "]),
        max_size=400,
    ),
    st.data(),
)
def test_fragments_are_pieces_of_the_text_escaped_with_only_marks_added(words, data):
    text = " ".join(words)
    found = [(match.start(), match.end()) for match in re.finditer(r"supervision|care", text)]
    matches = data.draw(st.lists(st.sampled_from(found), unique=True).map(sorted)) if found else []
    shown = snippet(text, matches)
    assert not re.search(r"<(?!/?mark>)", shown)
    fragments = re.sub(r"</?mark>", "", shown).removeprefix("… ").removesuffix(" …").split(FRAGMENT_DELIMITER)
    assert len(fragments) <= (1 if len(text) <= WHOLE_UP_TO_CHARS else FRAGMENTS)
    assert all(html.unescape(fragment) in text for fragment in fragments)
    if len(text) <= WHOLE_UP_TO_CHARS:
        assert html.unescape(fragments[0]) == text
    assert shown.count("<mark>") <= len(matches)
    if matches:
        assert "<mark>" in shown


@pytest.mark.django_db
def test_results_mark_matches_in_each_finding_or_show_them_plain_without_a_query():
    texts = ["Supervision is regular.", "Plans for care leavers are <b>clear</b>."]
    assert mark_matches(texts, "supervised OR plan") == [
        "<mark>Supervision</mark> is regular.",
        "<mark>Plans</mark> for care leavers are &lt;b&gt;clear&lt;/b&gt;.",
    ]
    assert mark_matches(texts, "") == [
        "Supervision is regular.",
        "Plans for care leavers are &lt;b&gt;clear&lt;/b&gt;.",
    ]


@pytest.mark.django_db
def test_a_process_holds_the_lexemes_of_a_limited_number_of_words(monkeypatch):
    monkeypatch.setattr(presenters, "WORD_LEXEMES_HELD", 3)
    monkeypatch.setattr(presenters, "_word_lexemes", {})
    assert lexemes_of_words({"supervision", "the"}) == {"supervision": ("supervis",), "the": ()}
    assert lexemes_of_words({"plans", "care"}) == {"plans": ("plan",), "care": ("care",)}
    assert len(presenters._word_lexemes) <= 3
    with CaptureQueriesContext(connection) as queries:
        assert lexemes_of_words({"plans"}) == {"plans": ("plan",)}
    assert len(queries) == 0  # held: not asked again


def test_fragments_say_where_text_is_left_out():
    text = "Supervision is regular. " + SENTENCE * 20 + "Managers check supervision records."
    first, last = text.index("Supervision"), text.rindex("supervision")
    shown = snippet(text, [(first, first + 11), (last, last + 11)])
    assert shown.startswith("<mark>Supervision</mark> is regular.")  # the text's own start
    assert shown.count(FRAGMENT_DELIMITER) == 1
    assert shown.endswith("Managers check <mark>supervision</mark> records.")  # and its own end


@pytest.mark.django_db
def test_browsing_without_a_query_shows_a_long_finding_whole():
    long_text = SENTENCE * 20
    assert mark_matches([long_text], "") == [long_text]
