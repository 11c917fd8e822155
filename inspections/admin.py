import logging
import time
from functools import partial

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.shortcuts import redirect
from django.template.defaultfilters import pluralize
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.decorators import method_decorator
from django.utils.html import format_html
from django.views.decorators.csrf import csrf_exempt, csrf_protect

from . import uploads
from .models import (
    Authority,
    Finding,
    FindingTheme,
    Inspection,
    Judgement,
    StagedReport,
    Theme,
    rule_lines,
)
from .parsing import PARSER_VERSION, ReportRefused
from .services import AlreadyIngested
from .themes import retag_archive, rule_problems

logger = logging.getLogger(__name__)


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
    # The source file is set by publishing an upload (checked and parsed), never replaced by hand.
    exclude = ["source_file"]
    readonly_fields = ["source_download", "sha256", "page_count", "parsed_at", "parser_version", "created_at"]
    inlines = [JudgementInline]
    actions = ["reparse_sources"]

    @admin.display(description="Source file")
    def source_download(self, inspection):
        if not inspection.source_file:
            return "–"
        url = reverse("inspection-source", args=[inspection.pk])
        return format_html('<a href="{}">Download {}</a>', url, inspection.source_filename)

    def get_urls(self):
        name = f"{self.opts.app_label}_{self.opts.model_name}"
        return [
            path("upload/", self.admin_site.admin_view(self.upload_view), name=f"{name}_upload"),
            path(
                "upload/staged/",
                self.admin_site.admin_view(self.upload_preview_view),
                name=f"{name}_upload_preview",
            ),
            *super().get_urls(),
        ]

    def _context(self, request, title, **context):
        return {**self.admin_site.each_context(request), "opts": self.opts, "title": title, **context}

    @method_decorator(csrf_exempt)  # CSRF is checked below, once the upload handlers are set
    def upload_view(self, request):
        if not self.has_add_permission(request):
            raise PermissionDenied
        request.upload_handlers = uploads.upload_handlers(request)
        return csrf_protect(self._upload)(request)

    def _upload(self, request):
        form = uploads.UploadForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            notes = uploads.receive(
                form.cleaned_data["files"], uploader=request.user, max_bytes=settings.REPORT_MAX_UPLOAD_BYTES
            )
            for note in notes:
                self.message_user(request, note, messages.INFO)
            return redirect("admin:inspections_inspection_upload_preview")
        context = self._context(
            request,
            "Upload reports",
            form=form,
            max_bytes=settings.REPORT_MAX_UPLOAD_BYTES,
            waiting=StagedReport.objects.filter(uploader=request.user).waiting().count(),
        )
        return TemplateResponse(request, "admin/inspections/inspection/upload.html", context)

    def upload_preview_view(self, request):
        """The files this staff member has uploaded, as read on receipt, to check, correct and publish."""
        if not self.has_add_permission(request):
            raise PermissionDenied
        if request.method != "POST":
            uploads.remove_stale_staging()
            entries = uploads.entries(request.user)
            if not entries:
                self.message_user(
                    request,
                    "You have no uploaded files waiting. Upload the reports to publish.",
                    messages.INFO,
                )
                return redirect("admin:inspections_inspection_upload")
            return self._render_preview(request, entries)

        if "discard" in request.POST:
            staged = uploads.discard(request.user, request.POST["discard"])
            if staged:
                self.message_user(request, f"Removed {staged.filename} from the list.")
            return redirect(request.path)

        entries = uploads.entries(request.user, data=request.POST)
        target = request.POST.get("publish")
        unfixed = unkept = False
        for entry in entries:
            if not entry.ready:
                continue
            if entry.form.is_valid():
                uploads.keep_corrections(entry)
            else:
                unkept = True  # shown again with its errors, never dropped on the way
            if target in ("all", str(entry.staged.pk)):
                unfixed |= not self._publish(request, entry)
        if unfixed:
            self.message_user(request, "Correct the errors shown below, then publish again.", messages.ERROR)
        elif unkept:
            self.message_user(
                request, "Some corrections were not kept: correct the errors shown below.", messages.ERROR
            )
        if unfixed or unkept:
            return self._render_preview(request, uploads.entries(request.user, data=request.POST))
        return redirect(request.path)

    def _publish(self, request, entry) -> bool:
        """Publish one file, reporting the outcome; False when its corrections need fixing first."""
        if not entry.form.is_valid():
            return False
        name = entry.filename
        try:
            inspection = uploads.publish(
                entry,
                log=lambda inspection: self.log_addition(
                    request, inspection, uploads.publish_message(entry, inspection)
                ),
            )
        except uploads.AlreadyPublished as published:
            self.message_user(request, f"Not published: {published}", messages.ERROR)
            return False
        except uploads.NoLongerWaiting as gone:
            self.message_user(request, f"Not published: {gone}", messages.WARNING)
        except AlreadyIngested as duplicate:
            uploads.mark_duplicate(entry.staged, duplicate.inspection)
            self.message_user(
                request, f"Not published again: {name} is already in the archive.", messages.WARNING
            )
        except ReportRefused as refusal:
            uploads.refuse(entry.staged, str(refusal))
            self.message_user(request, f"Refused {name}: {refusal}", messages.ERROR)
        except OSError as error:
            logger.exception("Storing the uploaded file %s failed", name)
            self.message_user(
                request,
                f"Could not publish {name}: the original file could not be stored "
                f"({error.strerror or error}); the storage may be full or not writable. Nothing of it was "
                "saved: try again once the storage is fixed.",
                messages.ERROR,
            )
        except Exception:
            logger.exception("Publishing the uploaded file %s failed", name)
            self.message_user(
                request,
                f"Could not publish {name}: an error on the server stopped it, and nothing of it was "
                "saved. Try again, and tell the developers if it happens again.",
                messages.ERROR,
            )
        else:
            self.message_user(
                request,
                format_html(
                    "Published {} as <a href='{}'>{}</a> with {} findings.",
                    name,
                    reverse("admin:inspections_inspection_change", args=[inspection.pk]),
                    inspection,
                    len(entry.report.findings),
                ),
                messages.SUCCESS,
            )
        return True

    def _render_preview(self, request, entries):
        context = self._context(
            request,
            "Check and publish the uploaded reports",
            entries=entries,
            ready_count=sum(entry.ready for entry in entries),
        )
        return TemplateResponse(request, "admin/inspections/inspection/upload_preview.html", context)

    @admin.action(
        description="Re-parse the stored source files with the current parser", permissions=["change"]
    )
    def reparse_sources(self, request, queryset):
        unchanged = 0
        for inspection in queryset.select_related("authority"):
            if not inspection.source_file:
                self.message_user(
                    request, f"{inspection}: no stored source file to re-read.", messages.WARNING
                )
                continue
            try:
                changes = uploads.reparse(inspection, log=partial(self._log_reparse, request))
            except (ReportRefused, OSError) as error:
                self.message_user(request, f"{inspection}: not re-parsed: {error}", messages.ERROR)
                continue
            if changes:
                self.message_user(request, f"{inspection}: {'; '.join(changes)}.", messages.SUCCESS)
            else:
                unchanged += 1
        if unchanged:
            message = f"{unchanged} inspection{pluralize(unchanged)} re-parsed with no change."
            self.message_user(request, message, messages.INFO)

    def _log_reparse(self, request, inspection, changes):
        summary = "; ".join(changes) if changes else "no change"
        self.log_change(request, inspection, f"Re-parsed with parser version {PARSER_VERSION}: {summary}.")


@admin.register(StagedReport)
class StagedReportAdmin(admin.ModelAdmin):
    """What staff have uploaded and not yet published, or did in the last two days (uploads.py sweeps
    older rows): read only, since files are staged, corrected and published from Upload reports."""

    list_display = ["filename", "uploader", "status", "created_at", "updated_at", "published_as", "reason"]
    list_filter = ["status", "uploader"]
    list_select_related = ["uploader", "inspection__authority"]
    search_fields = ["filename", "sha256", "uploader__username"]
    date_hierarchy = "created_at"
    fields = [
        "filename",
        "size",
        "sha256",
        "uploader",
        "status",
        "reason",
        "reading",
        "corrections",
        "parser_version",
        "published_as",
        "created_at",
        "updated_at",
    ]
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).defer("text")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description="Inspection")
    def published_as(self, staged):
        if staged.inspection is None:
            return "–"
        url = reverse("admin:inspections_inspection_change", args=[staged.inspection.pk])
        return format_html('<a href="{}">{}</a>', url, staged.inspection)

    @admin.display(description="What was read")
    def reading(self, staged):
        if not staged.contract:
            return "–"
        inspection = staged.contract["inspection"]
        return (
            f"{inspection['title']}; authority read as ‘{staged.printed_authority}’; "
            f"{len(staged.contract['judgements'])} judgements, {len(staged.contract['findings'])} findings"
        )


@admin.register(Judgement)
class JudgementAdmin(admin.ModelAdmin):
    list_display = ["inspection", "area", "grade"]
    list_filter = ["area", "grade", "inspection__kind"]
    list_select_related = ["inspection__authority"]
    search_fields = ["inspection__authority__short_name"]
    date_hierarchy = "inspection__date"
    raw_id_fields = ["inspection"]


class FindingThemeInline(admin.TabularInline):
    """Themes come from the rules (edit a theme's rules, then re-tag), so they are shown, not edited here:
    a hand-added tag would be undone by the next re-tag."""

    model = FindingTheme
    extra = 0
    fields = ["theme", "matched"]
    readonly_fields = ["theme", "matched"]
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


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


class ThemeForm(forms.ModelForm):
    class Meta:
        model = Theme
        fields = ["name", "slug", "description", "phrases", "supporting_phrases", "exclusions"]
        widgets = {
            "phrases": forms.Textarea(attrs={"rows": 16, "cols": 60}),
            "supporting_phrases": forms.Textarea(attrs={"rows": 8, "cols": 60}),
            "exclusions": forms.Textarea(attrs={"rows": 6, "cols": 60}),
        }

    def clean_phrases(self):
        return "\n".join(rule_lines(self.cleaned_data["phrases"]))

    def clean_supporting_phrases(self):
        return "\n".join(rule_lines(self.cleaned_data["supporting_phrases"]))

    def clean_exclusions(self):
        return "\n".join(rule_lines(self.cleaned_data["exclusions"]))

    def clean(self):
        cleaned = super().clean()
        if {"phrases", "supporting_phrases", "exclusions"} <= cleaned.keys():
            phrases, exclusions = cleaned["phrases"], cleaned["exclusions"]
            for field, errors in rule_problems(phrases, exclusions, cleaned["supporting_phrases"]).items():
                self.add_error(field, errors)
            if exclusions and not phrases:
                self.add_error("exclusions", "Exclusions only narrow the phrases: add phrases first.")
        return cleaned


@admin.register(Theme)
class ThemeAdmin(admin.ModelAdmin):
    form = ThemeForm
    list_display = ["name", "slug", "phrase_count", "tagged_findings"]
    search_fields = ["name", "slug", "description", "phrases"]
    readonly_fields = ["rules_in_words", "tagged_findings"]
    fieldsets = [
        (None, {"fields": ["name", "slug", "description"]}),
        (
            "Rules",
            {
                "fields": [
                    "phrases",
                    "supporting_phrases",
                    "exclusions",
                    "rules_in_words",
                    "tagged_findings",
                ],
                "description": "Edit the rules, save, then run the action “Re-tag the archive with the "
                "selected themes” from the list of themes (or manage.py retag) to apply them.",
            },
        ),
    ]
    actions = ["retag_with_selected"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(tagged=Count("findings"))

    @admin.display(description="Phrases")
    def phrase_count(self, theme):
        return len(theme.phrase_list)

    @admin.display(description="Findings tagged", ordering="tagged")
    def tagged_findings(self, theme):
        return getattr(theme, "tagged", 0)

    @admin.display(description="The rules in words")
    def rules_in_words(self, theme):
        return theme.rules_in_words

    @admin.action(description="Re-tag the archive with the selected themes")
    def retag_with_selected(self, request, queryset):
        started = time.perf_counter()
        counts = retag_archive(themes=queryset)
        count = queryset.count()
        self.message_user(
            request,
            f"Re-tagged the archive with {count} theme{pluralize(count)} in "
            f"{time.perf_counter() - started:.1f} s: {counts}.",
            messages.SUCCESS,
        )
