"""Authorities side by side (/compare/?authority=leeds&authority=bradford), and a finding's similar
findings in other authorities: thin views over compare.py and similar.py."""

from collections import defaultdict

from django.shortcuts import get_object_or_404, render

from . import charts
from .choices import Region
from .compare import (
    MAX_COMPARED,
    chosen_authorities,
    grade_series,
    grade_years,
    graded_inspections,
    improvement_themes,
)
from .models import Authority, Finding
from .similar import SIMILAR_AT_MOST, similar_findings

# The chart's lines: twelve, each its own colour and dash (compare.css), never the authority page's.
COMPARE_STYLES = [f"compare-{n}" for n in range(1, MAX_COMPARED + 1)]


def _regions_to_pick(chosen: set[int]) -> list[tuple[str, list[Authority], bool]]:
    """Every current authority by region, for the picker (those chosen are ticked, and their regions
    open)."""
    by_region: dict[str, list[Authority]] = defaultdict(list)
    for authority in Authority.objects.current().only("slug", "short_name", "region"):
        authority.chosen = authority.pk in chosen
        by_region[authority.region].append(authority)
    return [
        (label, members, any(authority.chosen for authority in members))
        for value, label in Region.choices
        if (members := by_region[value])
    ]


def compare(request):
    chosen = chosen_authorities(request.GET.getlist("authority"))
    authorities = chosen.authorities
    context = {
        "chosen": chosen,
        "authorities": authorities,
        "max_compared": MAX_COMPARED,
        "regions": _regions_to_pick({authority.pk for authority in authorities}),
    }
    if authorities:
        graded = graded_inspections(authorities)
        for authority, style in zip(authorities, COMPARE_STYLES, strict=False):
            authority.chart_style = style
        context |= {
            "years": grade_years(authorities, graded),
            "chart": charts.grade_lines(grade_series(authorities, graded), styles=COMPARE_STYLES),
            "theme_rows": improvement_themes(authorities),
        }
    return render(request, "compare/compare.html", context)


def finding_similar(request, pk):
    finding = get_object_or_404(
        Finding.objects.select_related("inspection__authority").defer("inspection__text"), pk=pk
    )
    context = {"finding": finding, "similar": similar_findings(finding.pk), "at_most": SIMILAR_AT_MOST}
    return render(request, "compare/similar.html", context)
