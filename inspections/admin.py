from django.contrib import admin

from .models import Authority, Finding, FindingTheme, Inspection, Judgement, Theme


@admin.register(Authority)
class AuthorityAdmin(admin.ModelAdmin):
    list_display = ["short_name", "name", "gss_code", "dfe_code", "ofsted_urn", "region", "type", "end_date"]
    list_filter = ["region", "type", ("end_date", admin.EmptyFieldListFilter)]
    search_fields = ["name", "short_name", "gss_code", "former_gss_codes", "alternative_names", "dfe_code"]
    prepopulated_fields = {"slug": ["short_name"]}
    filter_horizontal = ["statistical_neighbours", "replaced_by"]


class JudgementInline(admin.TabularInline):
    model = Judgement
    extra = 0


@admin.register(Inspection)
class InspectionAdmin(admin.ModelAdmin):
    list_display = ["authority", "kind", "date", "end_date", "lead_inspector", "page_count", "parser_version"]
    list_filter = ["kind", "authority__region", "parser_version"]
    list_select_related = ["authority"]
    search_fields = ["title", "authority__name", "authority__short_name", "lead_inspector", "sha256"]
    date_hierarchy = "date"
    autocomplete_fields = ["authority"]
    readonly_fields = ["sha256", "page_count", "parsed_at", "parser_version", "created_at"]
    inlines = [JudgementInline]


@admin.register(Judgement)
class JudgementAdmin(admin.ModelAdmin):
    list_display = ["inspection", "area", "grade"]
    list_filter = ["area", "grade", "inspection__kind"]
    list_select_related = ["inspection__authority"]
    search_fields = ["inspection__authority__short_name"]
    date_hierarchy = "inspection__date"
    raw_id_fields = ["inspection"]


class FindingThemeInline(admin.TabularInline):
    model = FindingTheme
    extra = 0
    autocomplete_fields = ["theme"]


@admin.register(Finding)
class FindingAdmin(admin.ModelAdmin):
    list_display = ["short_text", "kind", "section", "area", "inspection", "order", "page"]
    list_filter = ["kind", "area", "inspection__kind", "themes"]
    list_select_related = ["inspection__authority"]
    search_fields = ["text", "section", "inspection__authority__short_name"]
    date_hierarchy = "inspection__date"
    raw_id_fields = ["inspection"]
    inlines = [FindingThemeInline]

    @admin.display(description="Text")
    def short_text(self, finding):
        return finding.text[:120] + ("…" if len(finding.text) > 120 else "")


@admin.register(Theme)
class ThemeAdmin(admin.ModelAdmin):
    list_display = ["name", "slug"]
    search_fields = ["name", "slug", "description"]
