from html import escape

from django import template
from django.template.defaultfilters import date as date_filter
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe

from inspections.choices import Grade
from inspections.citations import finding_citation
from inspections.grades import no_overall_grade_label

register = template.Library()
GRADE_LABELS = dict(Grade.choices)


@register.filter
def grade_label(grade: str | None) -> str:
    return GRADE_LABELS.get(grade or "", "")


# A judgement grade as a coloured label, on every row of an authority's inspections (hundreds at
# Ofsted-wide scale) and of the authorities' list: an include each cost most of those pages' rendering.
GRADE = '<span class="grade grade-{}">{}</span>'
NO_GRADE = mark_safe('<span class="muted">–</span>')


@register.simple_tag
def grade(value: str | None) -> str:
    """A grade's label in its colour, or a dash for none."""
    return format_html(GRADE, value, grade_label(value)) if value else NO_GRADE


# An authority's latest overall grade with the date of the inspection that gave it, linked.
GRADED_ON = '{} <a class="graded-on" href="{}">{}</a>'
NO_OVERALL = '<span class="no-overall">{}</span>'


@register.simple_tag
def latest_grade(authority) -> str:
    """The overall grade of the authority's latest graded inspection, dated by that inspection (never
    the latest one's); where it gave none (a 2026 ILACS), that, never an older grade (grades.py)."""
    if not authority.latest_overall_grade_inspection_id:
        return NO_GRADE
    when = authority.latest_overall_grade_date
    return format_html(
        GRADED_ON,
        grade(authority.latest_overall_grade)
        if authority.latest_overall_grade
        else format_html(NO_OVERALL, no_overall_grade_label(authority.latest_graded_kind)),
        reverse("inspection-detail", args=[authority.latest_overall_grade_inspection_id]),
        f"{when:%b %Y}" if when else "undated",
    )


@register.filter
def get_item(mapping: dict, key):
    return mapping.get(key)


@register.filter
def quoted(text) -> str:
    """Text in curly quotes; a search already in straight quotes has them curled, not doubled."""
    text = str(text)
    if len(text) > 1 and text[0] == text[-1] == '"' and text.count('"') == 2:
        text = text[1:-1]
    return f"“{text}”"


# Beyond this many options a facet's list scrolls in a box of its own (the authorities, the themes):
# a box above it narrows it as one types (js/finder.js), and its ticked options come first, so that
# none is out of sight below the box's edge.
LONG_FACET = 12


@register.filter
def long_facet(facet) -> bool:
    return len(facet.options) > LONG_FACET


def options_shown(facet) -> list:
    """A facet's options in the order the page lists them: a long one's ticked options first."""
    if not long_facet(facet):
        return facet.options
    return sorted(facet.options, key=lambda option: not option.selected)


# Every facet option of a search page (150 or more), written by one tag a facet: the template
# language's loop and a tag for each option cost most of the page's rendering (a third of a page
# browsing one authority at the archive's real size), and format_html escaped each part twice.
# `escape` is the standard library's, which Django's wraps for lazy text (a third of the tag's time).
FACET_OPTION = """<div class="option">
<input type="checkbox" id="f-{name}-{value}" name="{name}" value="{value}"{checked}>
<label for="f-{name}-{value}">{label} <span class="count">({count})</span></label>
</div>"""
ABOUT = '<span aria-hidden="true">~</span><span class="visually-hidden">about </span>'


@register.simple_tag
def facet_options(facet, approximate: bool) -> str:
    """Every option of a facet, in the order the page lists them: its checkbox, its label and how
    many findings it would give ("few": in the results shown, but too rare in the sample to estimate)."""
    about = ABOUT if approximate else ""
    name = escape(facet.name)
    return mark_safe(
        "\n".join(
            FACET_OPTION.format(
                name=name,
                value=escape(str(option.value)),
                checked=" checked" if option.selected else "",
                label=escape(str(option.label)),
                count="few" if option.count is None else f"{about}{option.count:,}",
            )
            for option in options_shown(facet)
        )
    )


# A finding's theme tags, on every finding a search or an inspection's page lists (hundreds on a long
# report's page): an include per finding cost more than the rest of the finding together, and
# format_html's escaping a third of what is left (as for the facets' options above).
THEME_TAG = '<li><a href="{url}">{name}</a>{matched}</li>'
MATCHED = ' <span class="matched">matched “{}”</span>'


@register.simple_tag
def theme_tags(tags) -> str:
    """The themes a finding is tagged with, each linked to its page, with the words that matched."""
    if not tags:
        return ""
    items = "\n".join(
        THEME_TAG.format(
            url=escape(tag.url),
            name=escape(str(tag.name)),
            matched=MATCHED.format(escape(tag.matched)) if tag.matched else "",
        )
        for tag in tags
    )
    return mark_safe(f'<ul class="theme-tags" aria-label="Themes">\n{items}\n</ul>')


# The rows of an authority's inspections and the cells of its grade chart: one of each per inspection
# (over a hundred at Ofsted-wide scale), where the template language spent most of the page's time.
INSPECTION_ROW = """<tr>
<td class="date">{date}</td>
<th scope="row"><a href="{url}">{kind}</a>{other}</th>
<td>{judgements}</td>
</tr>"""
JUDGEMENT = "<div>{}: {}</div>"
NOT_GRADED = mark_safe('<span class="muted">Not graded</span>')


@register.simple_tag
def inspection_row(inspection, authority) -> str:
    """An inspection in an authority's list: its date, kind (linked) and graded judgements; the
    authority it was of, if another (a predecessor)."""
    judgements = format_html_join(
        "",
        JUDGEMENT,
        ((judgement.get_area_display(), grade(judgement.grade)) for judgement in inspection.judgements.all()),
    )
    return format_html(
        INSPECTION_ROW,
        date=date_filter(inspection.date, "j M Y") or "undated",
        url=inspection.get_absolute_url(),
        kind=inspection.get_kind_display(),
        other=format_html(' <span class="muted">({})</span>', inspection.authority.name)
        if inspection.authority_id != authority.pk
        else "",
        judgements=judgements or NOT_GRADED,
    )


# Each grade chart row's cells: a grade's initials where the columns are many (the key says which).
GRADE_INITIALS = {
    Grade.OUTSTANDING: "O",
    Grade.GOOD: "G",
    Grade.ADEQUATE: "A",
    Grade.REQUIRES_IMPROVEMENT: "RI",
    Grade.INADEQUATE: "I",
}
INITIALS = '<span class="grade grade-{}"><span aria-hidden="true">{}</span><span class="visually-hidden">{}</span></span>'
NOT_JUDGED = mark_safe('<span aria-hidden="true">–</span><span class="visually-hidden">not judged</span>')


@register.simple_tag
def grade_chart_cells(grades, compact: bool) -> str:
    """A judgement area's row of the grade chart (charts.grade_chart): its grade at each inspection."""

    def cell(value):
        if not value:
            return NOT_JUDGED
        return (
            format_html(INITIALS, value, GRADE_INITIALS[value], grade_label(value))
            if compact
            else grade(value)
        )

    return format_html_join("", "<td>{}</td>", ((cell(value),) for value in grades))


@register.simple_tag
def grade_key() -> str:
    """What the grade chart's initials stand for."""
    return format_html_join(
        "",
        '<li><span class="grade grade-{}" aria-hidden="true">{}</span> {}</li>',
        ((value, initials, grade_label(value)) for value, initials in GRADE_INITIALS.items()),
    )


@register.simple_tag
def citation(inspection, finding, page_url: str) -> str:
    """The finding's citation (citations.py), its permalink on this page's absolute address."""
    url = f"{page_url}#finding-{finding.order}"
    return finding_citation(inspection, number=finding.number, page=finding.page, url=url)
