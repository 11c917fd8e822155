"""A finding's text is shown as the text it is, wherever it appears: markup in it is never markup."""

import csv
import html
import io
import json
import re

import pytest
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st

from inspections.models import FindingTheme
from inspections.views import csv_line

from .factories import AuthorityFactory, FindingFactory, InspectionFactory, ThemeFactory

pytestmark = pytest.mark.django_db

TEXT = "Leaders wrote <script>alert(1)</script> and <b>bold</b> plans for carers &amp; families."
ESCAPED = (
    "Leaders wrote &lt;script&gt;alert(1)&lt;/script&gt; and &lt;b&gt;bold&lt;/b&gt; plans for carers "
    "&amp;amp; families."
)
FINDING_TEXT = re.compile(r'<p class="finding-text">(.*?)</p>', re.S)


@pytest.fixture
def finding():
    return FindingFactory(text=TEXT)


def shown_text(response) -> str:
    [paragraph] = FINDING_TEXT.findall(response.content.decode())
    return paragraph


def test_search_results_show_the_markup_as_text(client, finding):
    assert shown_text(client.get(reverse("finding-search"))) == ESCAPED


@pytest.mark.parametrize(
    ("query", "marked"),
    [
        ("bold", "&lt;b&gt;<mark>bold</mark>&lt;/b&gt;"),
        ("wrote", "<mark>wrote</mark> &lt;script&gt;alert(1)&lt;/script&gt;"),
        # PostgreSQL's parser would read <script>…</script> as a tag; the words inside are indexed
        # (migration 0004) and highlighted, still escaped.
        ("alert", "&lt;script&gt;<mark>alert</mark>(1)&lt;/script&gt;"),
        ("script", "wrote &lt;<mark>script</mark>&gt;alert(1)"),
        (
            "bold OR alert",
            "&lt;script&gt;<mark>alert</mark>(1)&lt;/script&gt; and &lt;b&gt;<mark>bold</mark>",
        ),
        ("families", "carers &amp;amp; <mark>families</mark>."),
    ],
)
def test_highlighting_inside_markup_adds_only_mark_tags(client, finding, query, marked):
    shown = shown_text(client.get(reverse("finding-search"), {"q": query}))
    assert marked in shown
    # Take the <mark> tags away and what is left is the escaped text, exactly.
    assert shown.replace("<mark>", "").replace("</mark>", "") == ESCAPED
    assert html.unescape(re.sub(r"</?mark>", "", shown)) == TEXT


def test_a_long_finding_is_highlighted_in_escaped_fragments(client):
    long_text = " ".join([TEXT] * 12)  # long enough to be shown as fragments around the matches
    FindingFactory(text=long_text)
    shown = shown_text(client.get(reverse("finding-search"), {"q": "bold"}))
    assert "&lt;b&gt;<mark>bold</mark>&lt;/b&gt;" in shown
    fragments = re.sub(r"</?mark>", "", shown).split(" … ")
    assert all(html.unescape(fragment).strip(" .…") in long_text for fragment in fragments)
    assert not re.search(r"<(?!/?mark>)", shown), "only <mark> tags are added"


def test_the_inspection_page_shows_the_markup_as_text(client, finding):
    response = client.get(reverse("inspection-detail", args=[finding.inspection_id]))
    assert shown_text(response) == ESCAPED
    assert "<script>alert" not in response.content.decode()


def test_the_filters_and_tags_show_authority_and_theme_names_as_text(client):
    authority = AuthorityFactory(short_name='Bath & "North" <East>', slug="bath")
    theme = ThemeFactory(slug="care", name="Care <b>leavers</b> & more")
    finding = FindingFactory(inspection=InspectionFactory(authority=authority))
    FindingTheme.objects.create(finding=finding, theme=theme, matched="<i>care</i> & leavers")
    page = client.get(reverse("finding-search"), {"authority": "bath"}).content.decode()
    assert (
        '<input type="checkbox" id="f-authority-bath" name="authority" value="bath" checked>\n'
        '<label for="f-authority-bath">Bath &amp; &quot;North&quot; &lt;East&gt; '
        '<span class="count">(1)</span></label>'
    ) in page
    assert (
        '<input type="checkbox" id="f-theme-care" name="theme" value="care">\n'
        '<label for="f-theme-care">Care &lt;b&gt;leavers&lt;/b&gt; &amp; more <span class="count">(1)</span>'
    ) in page
    # and the finding's own tag, with the words it matched
    assert (
        '>Care &lt;b&gt;leavers&lt;/b&gt; &amp; more</a> <span class="matched">matched '
        "“&lt;i&gt;care&lt;/i&gt; &amp; leavers”</span>"
    ) in page
    assert "<East>" not in page and "<b>leavers" not in page and "<i>care" not in page


def test_the_csv_and_json_carry_the_text_exactly(client, finding):
    csv_response = client.get(reverse("finding-csv"))
    rows = list(csv.DictReader(io.StringIO(b"".join(csv_response.streaming_content).decode("utf-8-sig"))))
    assert [row["text"] for row in rows] == [TEXT]
    api_response = client.get(reverse("api-findings"), {"q": "bold"})
    assert api_response["Content-Type"] == "application/json"
    assert [result["text"] for result in json.loads(api_response.content)["results"]] == [TEXT]


@given(
    st.lists(
        st.one_of(
            st.none(),
            st.integers(),
            st.text(alphabet=st.sampled_from(["a", " ", ",", '"', "\n", "\r", "é", "=", "\t", "\x00"])),
            st.text(),
        ),
        min_size=2,
    )
)
def test_csv_lines_are_what_the_csv_module_writes(values):
    buffer = io.StringIO()
    csv.writer(buffer).writerow(values)
    assert csv_line(values) == buffer.getvalue()
