"""Search results mark the words that match, as PostgreSQL reads them, and cut long findings short.

highlight.py finds the pieces of text that might match in Python and asks PostgreSQL's ts_headline
to mark only those, so here its marks are checked against ts_headline's over whole texts: the seed
reports' paragraphs, and every word and every finding of the dev corpus.
"""

import html
import random
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from hypothesis import given
from hypothesis import strategies as st

from inspections import presenters
from inspections.highlight import (
    FRAGMENT_DELIMITER,
    FRAGMENTS,
    WHOLE_UP_TO_CHARS,
    candidate_pieces,
    marked_spans,
    match_starts,
    snippet,
    wanted_lexemes,
)
from inspections.presenters import mark_matches, match_spans, piece_marks
from inspections.search import tsquery_lexeme

from .conftest import CORPUS, CORPUS_MISSING, SEEDS, corpus_report

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
    [spans] = match_spans([text], query)
    return spans


def lexemes_of(pieces: list[str]) -> dict[str, list[str]]:
    """Each piece's lexemes as the search vector reads them (angle brackets as spaces)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT piece, tsvector_to_array(to_tsvector('english', translate(piece, '<>', '  '))) "
            "FROM unnest(%s::text[]) AS piece",
            [pieces],
        )
        return dict(cursor.fetchall())


def marks_of_lexemes(text: str, lexemes: frozenset[str]) -> list[tuple[int, int]]:
    """Where the text has a word with one of the lexemes, as marked for a search."""
    pieces = candidate_pieces(text, match_starts(lexemes))
    marks = piece_marks({text[start:end] for start, end in pieces}, lexemes) if pieces else {}
    return [(start + at, start + end) for start, stop in pieces for at, end in marks[text[start:stop]]]


@pytest.mark.django_db
def test_every_piece_of_the_seed_reports_holds_its_lexemes_but_their_last_letter():
    """What match_starts relies on to find the pieces of text that might match without parsing
    them: each piece between white space holds all of each of its lexemes but the last letter (or,
    for the stemmer's three exceptions, the word itself)."""
    pieces = sorted({piece for paragraph in seed_paragraphs() for piece in paragraph.split()})
    assert len(pieces) > 2000
    lexemes = lexemes_of(pieces)
    assert sum(bool(found) for found in lexemes.values()) > 1500  # not stop words alone
    for piece, found in lexemes.items():
        for lexeme in found:
            assert any(start in piece.lower() for start in match_starts([lexeme])), (piece, lexeme)


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
@pytest.mark.django_db
def test_words_are_marked_where_postgresql_reads_them(text, lexemes, words):
    assert [text[start:end].lower() for start, end in marks_of_lexemes(text, frozenset(lexemes))] == words


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
def test_a_process_holds_the_marks_of_a_limited_number_of_pieces(monkeypatch):
    monkeypatch.setattr(presenters, "PIECE_MARKS_HELD", 3)
    monkeypatch.setattr(presenters, "_piece_marks", {})
    assert piece_marks({"supervision,", "the"}, frozenset({"supervis"})) == {
        "supervision,": ((0, 11),),
        "the": (),
    }
    assert piece_marks({"plans", "care"}, frozenset({"plan", "care"})) == {
        "plans": ((0, 5),),
        "care": ((0, 4),),
    }
    assert len(presenters._piece_marks) <= 3
    with CaptureQueriesContext(connection) as queries:
        assert piece_marks({"plans"}, frozenset({"plan", "care"})) == {"plans": ((0, 5),)}
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


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("query", "text", "marked"),
    [
        ("die", "Two young people were dying of overdoses.", ["dying"]),
        ("lie", "Children were lying about where they went.", ["lying"]),
        ("tied OR dying", "Tying plans to reviews; dies, died.", ["Tying", "dies", "died"]),
    ],
)
def test_words_the_stemmer_reads_irregularly_are_marked(query, text, marked):
    """Snowball reads "dying" as die, "lying" as lie and "tying" as tie: words that do not start
    with their lexeme, and are marked all the same, as ts_headline marks them."""
    assert [text[start:end] for start, end in our_marks(text, query)] == marked
    assert our_marks(text, query) == postgresql_marks(text, query)


needs_corpus = pytest.mark.skipif(not CORPUS.exists(), reason=CORPUS_MISSING)


def corpus_findings() -> list[str]:
    """The text and section heading of every finding of the dev corpus."""
    texts = []
    for path in sorted((CORPUS / "dev").rglob("*.pdf")):
        texts += [
            text for finding in corpus_report(path).findings for text in (finding.text, finding.section)
        ]
    return [text for text in texts if text]


def headline_marks(texts: list[str], tsqueries: list[str]) -> list[list[tuple[int, int]]]:
    """Where ts_headline marks each tsquery's words in its text (every one: HighlightAll), angle
    brackets read as spaces, as the search vector reads them."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT ts_headline('english', translate(text, '<>', '  '), query::tsquery, %s) "
            "FROM unnest(%s::text[], %s::text[]) AS pair(text, query)",
            [f"StartSel={START}, StopSel={STOP}, HighlightAll=true", texts, tsqueries],
        )
        return [list(marked_spans(marked, START, STOP)) for (marked,) in cursor.fetchall()]


def tsquery_of(lexemes) -> str:
    return " | ".join(map(tsquery_lexeme, sorted(lexemes)))


@needs_corpus
@pytest.mark.corpus
@pytest.mark.django_db
def test_every_word_of_the_dev_corpus_is_marked_as_postgresql_marks_it():
    """Every distinct word of the dev corpus's findings (as written, between white space: 25,000),
    searched for by its own lexemes: the same words marked, at the same places, as ts_headline."""
    words = sorted({word for text in corpus_findings() for word in text.split()})
    assert len(words) > 20_000
    lexemes = {word: found for word, found in lexemes_of(words).items() if found}
    assert len(lexemes) > 15_000
    words = sorted(lexemes)
    expected = headline_marks(words, [tsquery_of(lexemes[word]) for word in words])
    differ = [
        (word, lexemes[word])
        for word, theirs in zip(words, expected, strict=True)
        if marks_of_lexemes(word, frozenset(lexemes[word])) != theirs
    ]
    assert not differ, differ[:20]


@needs_corpus
@pytest.mark.corpus
@pytest.mark.django_db
def test_every_finding_of_the_dev_corpus_is_marked_as_postgresql_marks_it():
    """Every finding of the dev corpus (21,786) searched for by the lexemes of words cut from it
    and from another finding: the words marked in its whole text are ts_headline's, which parses
    the text whole, where the search marks pieces alone."""
    texts = corpus_findings()
    rng = random.Random(17)
    pieces = {
        text: [rng.choice(text.split()) for _ in range(2)] + [rng.choice(rng.choice(texts).split())]
        for text in texts
    }
    lexemes = lexemes_of(sorted({piece for chosen in pieces.values() for piece in chosen}))
    wanted = {
        text: frozenset(lexeme for piece in pieces[text] for lexeme in lexemes[piece]) for text in texts
    }
    texts = [text for text in texts if wanted[text]]
    assert len(texts) > 20_000
    differ = []
    for at in range(0, len(texts), 2000):
        batch = texts[at : at + 2000]
        expected = headline_marks(batch, [tsquery_of(wanted[text]) for text in batch])
        differ += [
            (text[:80], sorted(wanted[text]))
            for text, theirs in zip(batch, expected, strict=True)
            if marks_of_lexemes(text, wanted[text]) != theirs
        ]
    assert not differ, differ[:20]
