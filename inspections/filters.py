"""The FilterSets: one definition of each filter, shared by the pages, the CSV export and the JSON API."""

import django_filters
from django import forms
from django.contrib.postgres.search import SearchQuery
from django.db.models import Exists, OuterRef, Value
from django.db.models.functions import Coalesce

from .choices import AuthorityType, FindingKind, Grade, InspectionKind, JudgementArea, Region
from .models import Authority, Finding, FindingTheme, Inspection, Judgement, Theme

SEARCH_CONFIG = "english"
MAX_QUERY_LENGTH = 200


def search_query(text: str) -> SearchQuery:
    """Websearch syntax: "a phrase", either OR other, -excluded; never a syntax error."""
    return SearchQuery(text, search_type="websearch", config=SEARCH_CONFIG)


def effective_grade_judgements():
    """Judgements that grade a finding: its own area's, or the overall one where it has no area."""
    return Judgement.objects.filter(
        inspection=OuterRef("inspection"),
        area=Coalesce(OuterRef("area"), Value(JudgementArea.OVERALL_EFFECTIVENESS.value)),
    )


class FindingFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(
        method="filter_search",
        label="Search the findings",
        max_length=MAX_QUERY_LENGTH,
        help_text='Use "quotes" for a phrase, OR for either word, and - to leave a word out.',
    )
    authority = django_filters.ModelMultipleChoiceFilter(
        field_name="inspection__authority__slug",
        to_field_name="slug",
        queryset=Authority.objects.only("slug", "short_name"),
        label="Authority",
    )
    region = django_filters.MultipleChoiceFilter(
        field_name="inspection__authority__region", choices=Region.choices, label="Region"
    )
    inspection_kind = django_filters.MultipleChoiceFilter(
        field_name="inspection__kind", choices=InspectionKind.choices, label="Inspection type"
    )
    date_from = django_filters.DateFilter(
        field_name="inspection__date",
        lookup_expr="gte",
        label="Inspected from",
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    date_to = django_filters.DateFilter(
        field_name="inspection__date",
        lookup_expr="lte",
        label="Inspected to",
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    theme = django_filters.ModelMultipleChoiceFilter(
        method="filter_theme",
        to_field_name="slug",
        queryset=Theme.objects.only("slug", "name"),
        label="Theme",
    )
    kind = django_filters.MultipleChoiceFilter(choices=FindingKind.choices, label="Finding type")
    grade = django_filters.MultipleChoiceFilter(
        method="filter_grade", choices=Grade.choices, label="Judgement grade"
    )

    class Meta:
        model = Finding
        fields = []

    def filter_search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(search_vector=search_query(value))

    def filter_theme(self, queryset, name, themes):
        if not themes:
            return queryset
        tagged = FindingTheme.objects.filter(finding=OuterRef("pk"), theme__in=themes)
        return queryset.filter(Exists(tagged))

    def filter_grade(self, queryset, name, grades):
        if not grades:
            return queryset
        return queryset.filter(Exists(effective_grade_judgements().filter(grade__in=grades)))

    @property
    def search_text(self) -> str:
        return (self.form.cleaned_data.get("q") or "").strip() if self.is_bound and self.is_valid() else ""


class AuthorityFilterSet(django_filters.FilterSet):
    # Checkboxes: the authorities page renders each choice as its own labelled control.
    region = django_filters.MultipleChoiceFilter(
        choices=Region.choices, label="Region", widget=forms.CheckboxSelectMultiple
    )
    type = django_filters.MultipleChoiceFilter(
        choices=AuthorityType.choices, label="Type of council", widget=forms.CheckboxSelectMultiple
    )
    overall_grade = django_filters.MultipleChoiceFilter(
        method="filter_overall_grade",
        choices=Grade.choices,
        label="Latest overall grade",
        widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = Authority
        fields = []

    def filter_overall_grade(self, queryset, name, grades):
        if not grades:
            return queryset
        return queryset.filter(latest_overall_grade__in=grades)


class InspectionFilterSet(django_filters.FilterSet):
    authority = django_filters.ModelMultipleChoiceFilter(
        field_name="authority__slug",
        to_field_name="slug",
        queryset=Authority.objects.only("slug", "short_name"),
        label="Authority",
    )
    kind = django_filters.MultipleChoiceFilter(choices=InspectionKind.choices, label="Inspection type")
    date_from = django_filters.DateFilter(field_name="date", lookup_expr="gte", label="Inspected from")
    date_to = django_filters.DateFilter(field_name="date", lookup_expr="lte", label="Inspected to")

    class Meta:
        model = Inspection
        fields = []
