"""Staff uploading reports in the admin: preview, corrections, publishing, refusals and limits, and the
re-parse action; the whole flow once more in a real browser."""

import datetime
import os
import re
import time

import pytest
from django.contrib.admin.models import ADDITION, CHANGE, LogEntry
from django.contrib.auth.models import Permission, User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from inspections import parsing, uploads
from inspections.admin import InspectionAdmin
from inspections.choices import FindingKind, Grade, InspectionKind
from inspections.models import (
    Authority,
    Finding,
    FindingTheme,
    Inspection,
    Judgement,
    SearchWord,
    StagedReport,
    Theme,
)
from inspections.services import report_ingest, sha256_of

from .browser import CHROMIUM, CHROMIUM_MISSING, axe_violations, screenshot
from .conftest import SEEDS
from .documents import png_image, text_pdf
from .factories import InspectionFactory

UPLOAD = reverse("admin:inspections_inspection_upload")
PREVIEW = reverse("admin:inspections_inspection_upload_preview")
CHANGELIST = reverse("admin:inspections_inspection_changelist")
RUTLAND = (SEEDS / "rutland-2011-contact-referral-assessment.txt").read_text()
CORNWALL = (SEEDS / "cornwall-2011-contact-referral-assessment.txt").read_text()
# The Rutland letter as if about an authority the archive does not know.
GOTHAM = RUTLAND.replace("Rutland County Council", "Gotham County Council").replace("Rutland", "Gotham")
PASSWORD = "a-long-test-password-1"


def make_staff(*permissions: str, username: str = "editor") -> User:
    user = User.objects.create_user(username, password=PASSWORD, is_staff=True)
    user.user_permissions.set(Permission.objects.filter(codename__in=permissions))
    return user


@pytest.fixture
def editor(db):
    return make_staff("add_inspection", "change_inspection", "view_inspection")


@pytest.fixture
def staff_client(client, editor):
    client.force_login(editor)
    return client


@pytest.fixture
def parses(monkeypatch):
    """The name of each file the real parser reads, however it is called: parse_report reads every file
    through parsing.read_document, so this counts each parse, refused ones included."""
    names = []
    read_document = parsing.read_document

    def counted(data, filename):
        names.append(filename)
        return read_document(data, filename)

    monkeypatch.setattr(parsing, "read_document", counted)
    return names


def upload(client, *files: tuple[str, bytes | str]):
    """Upload the files; return the preview page (followed from the redirect)."""
    chosen = [
        SimpleUploadedFile(name, data.encode() if isinstance(data, str) else data) for name, data in files
    ]
    return client.post(UPLOAD, {"files": chosen}, follow=True)


def form_data(response, **changes) -> dict:
    """The preview's correction forms as they stand (what a browser would post), with `changes` by
    filename: {"gotham.txt": {"authority": pk}}."""
    data = {}
    for entry in response.context["entries"]:
        if not entry.ready:
            continue
        for field in entry.form:
            value = field.value()
            data[field.html_name] = "" if value is None else str(getattr(value, "pk", value))
        for name, value in changes.get(entry.filename, {}).items():
            data[entry.form[name].html_name] = "" if value is None else str(value)
    return data


def entry(response, filename: str):
    return next(entry for entry in response.context["entries"] if entry.filename == filename)


def text_of(response) -> str:
    """The page's HTML with runs of white space as one space (a no-break space as a space)."""
    return re.sub(r"\s+", " ", response.content.decode())


def stored_files(media_root, folder: str) -> list:
    return (
        [path for path in (media_root / folder).rglob("*") if path.is_file()] if media_root.exists() else []
    )


# Who may upload -----------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_signed_out_visitors_are_sent_to_the_login_page(client):
    for response in (client.get(UPLOAD), client.post(UPLOAD, {"files": [SimpleUploadedFile("a.txt", b"x")]})):
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("admin:login"))
    assert not Inspection.objects.exists()


@pytest.mark.django_db
def test_staff_without_the_add_permission_are_refused(client, media_root):
    client.force_login(make_staff("view_inspection", "change_inspection"))
    assert client.get(UPLOAD).status_code == 403
    response = client.post(UPLOAD, {"files": [SimpleUploadedFile("rutland.txt", RUTLAND.encode())]})
    assert response.status_code == 403
    assert client.get(PREVIEW).status_code == 403
    assert "Upload reports" not in client.get(CHANGELIST).content.decode()
    assert not stored_files(media_root, "staging")


@pytest.mark.django_db
def test_non_staff_users_with_the_permission_are_sent_to_the_login_page(client):
    user = make_staff("add_inspection")
    user.is_staff = False
    user.save()
    client.force_login(user)
    assert client.get(UPLOAD)["Location"].startswith(reverse("admin:login"))


@pytest.mark.django_db
def test_uploads_and_publishing_need_the_csrf_token(editor, media_root):
    client = Client(enforce_csrf_checks=True)
    client.force_login(editor)
    response = client.post(UPLOAD, {"files": [SimpleUploadedFile("rutland.txt", RUTLAND.encode())]})
    assert response.status_code == 403
    assert not stored_files(media_root, "staging")
    # With the token from the form, the same upload goes through; publishing without it does not.
    client.get(UPLOAD)
    token = client.cookies["csrftoken"].value
    preview = client.post(
        UPLOAD,
        {"files": [SimpleUploadedFile("rutland.txt", RUTLAND.encode())], "csrfmiddlewaretoken": token},
        follow=True,
    )
    assert preview.status_code == 200 and entry(preview, "rutland.txt").ready
    publish = {**form_data(preview), "publish": "all"}
    assert client.post(preview.request["PATH_INFO"], publish).status_code == 403
    assert not Inspection.objects.exists()


def test_the_inspection_list_links_to_the_upload_page(staff_client):
    assert f'href="{UPLOAD}"' in staff_client.get(CHANGELIST).content.decode()
    page = staff_client.get(UPLOAD).content.decode()
    assert 'type="file"' in page and "multiple" in page and 'enctype="multipart/form-data"' in page


# The preview ----------------------------------------------------------------------------------------------


def test_the_preview_shows_what_was_read_and_publishes_nothing(staff_client, media_root):
    response = upload(
        staff_client, ("rutland.txt", RUTLAND), ("gotham.txt", GOTHAM), ("picture.pdf", png_image())
    )
    page = text_of(response)
    rutland = entry(response, "rutland.txt")
    assert rutland.ready and rutland.matched.slug == "rutland"
    assert 'Rutland County Council <span class="quiet">(read as ‘Rutland County Council’)' in page
    assert "Annual unannounced inspection of contact, referral and assessment arrangements" in page
    assert "10 May 2011 to 11 May 2011" in page and "Wendy Ghaffar" in page
    assert dict(rutland.finding_kinds) == {
        FindingKind.MEETS_REQUIREMENTS.label: 13,
        FindingKind.AREA_FOR_IMPROVEMENT.label: 5,
        FindingKind.NARRATIVE.label: 2,
    }
    assert "No graded judgements were read." in page
    assert "not matched: read as ‘Gotham County Council’" in page
    assert entry(response, "gotham.txt").form["authority"].value() is None
    assert "Refused: This file is a PNG image" in page
    assert "Publish all 2 ready files" in page
    assert not Inspection.objects.exists()
    assert len(stored_files(media_root, "staging")) == 2 and not stored_files(media_root, "reports")


def test_the_preview_shows_the_judgement_grid_and_theme_counts(staff_client, monkeypatch):
    Theme.objects.create(slug="assessment", name="Assessment", description="Assessing children's needs.")
    # Theme matching is themes.py's business; the preview shows whatever it says.
    monkeypatch.setattr(
        uploads.themes,
        "themes_for_texts",
        lambda findings: [["assessment"] if "assess" in finding.text else [] for finding in findings],
    )
    response = upload(staff_client, ("sif.txt", (SEEDS / "rutland-2016-single-inspection.txt").read_text()))
    sif = entry(response, "sif.txt")
    assessing = sum("assess" in finding.text for finding in sif.report.findings)
    assert len(sif.judgements) == 7
    assert sif.judgements[0] == ("Overall effectiveness", Grade.REQUIRES_IMPROVEMENT.label)
    assert assessing and sif.finding_themes == [("Assessment", assessing)]
    assert f"<td>Assessment</td><td>{assessing}</td>" in text_of(response)


def test_an_empty_theme_table_shows_no_themes(staff_client):
    Theme.objects.all().delete()
    response = upload(staff_client, ("rutland.txt", RUTLAND))
    assert entry(response, "rutland.txt").finding_themes == []
    assert "No themes matched." in text_of(response)


def test_the_preview_warns_of_the_same_inspection_published_from_another_file(staff_client):
    rutland = Authority.objects.get(slug="rutland")
    earlier = InspectionFactory(
        authority=rutland,
        kind="cra_unannounced",
        start_date=datetime.date(2011, 5, 10),
        end_date=datetime.date(2011, 5, 11),
        source_filename="rutland-letter.pdf",
    )
    response = upload(staff_client, ("rutland.txt", RUTLAND), ("again.txt", RUTLAND + "\n\n"))
    warnings = " ".join(entry(response, "rutland.txt").warnings)
    assert "from another file (rutland-letter.pdf)" in warnings
    assert earlier.get_absolute_url() in warnings
    assert "The same inspection as rutland.txt, above." in entry(response, "again.txt").warnings


def test_the_same_inspection_from_another_file_is_published_only_in_place_of_the_first(
    staff_client, editor, media_root
):
    first = upload(staff_client, ("rutland-letter.txt", RUTLAND))
    staff_client.post(first.request["PATH_INFO"], {**form_data(first), "publish": "all"}, follow=True)
    earlier = Inspection.objects.get(source_filename="rutland-letter.txt")
    earlier_findings = set(earlier.findings.values_list("pk", flat=True))

    # the same inspection in another file (a re-saved copy): shown as already published, and refused
    response = upload(staff_client, ("rutland-again.txt", RUTLAND + "\n\n"))
    again = entry(response, "rutland-again.txt")
    assert "Already published" in " ".join(again.warnings)
    assert "replace_existing" in again.form.fields
    preview_url = response.request["PATH_INFO"]
    refused = staff_client.post(preview_url, {**form_data(response), "publish": "all"}, follow=True)
    said = " ".join(message.message for message in refused.context["messages"])
    assert "is already published from another file (rutland-letter.txt)" in said
    assert list(Inspection.objects.values_list("source_filename", flat=True)) == ["rutland-letter.txt"]

    # replaced on request: one step, the old inspection's rows and file gone, the swap logged
    data = form_data(refused, **{"rutland-again.txt": {"replace_existing": "on"}})
    replaced = staff_client.post(preview_url, {**data, "publish": "all"}, follow=True)
    assert "Published rutland-again.txt as" in text_of(replaced)
    now = Inspection.objects.get()
    assert now.source_filename == "rutland-again.txt" and now.pk != earlier.pk
    assert not Finding.objects.filter(pk__in=earlier_findings).exists()
    assert now.findings.count() == 20
    assert [path.name for path in stored_files(media_root, "reports")] == ["rutland-again.txt"]
    log = LogEntry.objects.get(object_id=str(now.pk))
    assert f"replacing {earlier} (#{earlier.pk}, from rutland-letter.txt)" in log.change_message


def test_an_unmatched_authority_name_offers_the_closest_names(staff_client):
    misspelt = RUTLAND.replace("Rutland County Council", "Rutlan County Council").replace("Rutland", "Rutlan")
    response = upload(staff_client, ("rutlan.txt", misspelt))
    assert [a.short_name for a in entry(response, "rutlan.txt").suggestions][:1] == ["Rutland"]
    assert "did you mean Rutland" in text_of(response)


def test_a_file_with_no_published_twin_is_not_offered_a_replacement(staff_client):
    response = upload(staff_client, ("rutland.txt", RUTLAND))
    assert "replace_existing" not in entry(response, "rutland.txt").form.fields


def test_the_preview_warns_of_missing_grades_and_dates_as_corrected(staff_client):
    response = upload(staff_client, ("rutland.txt", RUTLAND))
    assert not any("No graded judgements" in warning for warning in entry(response, "rutland.txt").warnings)
    data = form_data(response, **{"rutland.txt": {"kind": "ilacs", "start_date": None}})
    response = staff_client.post(response.request["PATH_INFO"], {**data, "update": "1"}, follow=True)
    warnings = entry(response, "rutland.txt").warnings
    assert (
        f"No graded judgements were read, though {InspectionKind.ILACS.label} reports normally have them."
        in warnings
    )
    assert any("No start date" in warning for warning in warnings)
    assert entry(response, "rutland.txt").form["kind"].value() == "ilacs"  # the correction is kept
    assert not Inspection.objects.exists()


def test_an_end_date_before_the_start_date_is_not_published(staff_client):
    response = upload(staff_client, ("rutland.txt", RUTLAND))
    data = form_data(response, **{"rutland.txt": {"end_date": "2011-05-01"}})
    response = staff_client.post(response.request["PATH_INFO"], {**data, "publish": "all"})
    assert response.status_code == 200
    assert "The last day cannot be before the first day." in text_of(response)
    assert not Inspection.objects.exists()


def test_a_correction_in_error_is_shown_again_with_its_error_not_dropped(staff_client):
    response = upload(staff_client, ("rutland.txt", RUTLAND))
    data = form_data(response, **{"rutland.txt": {"kind": "ilacs", "end_date": "2011-05-01"}})
    response = staff_client.post(response.request["PATH_INFO"], {**data, "update": "1"})
    assert response.status_code == 200  # the preview again, not a redirect that forgets what was typed
    text = text_of(response)
    assert "Some corrections were not kept: correct the errors shown below." in text
    assert "The last day cannot be before the first day." in text
    form = entry(response, "rutland.txt").form
    assert (form["kind"].value(), str(form["end_date"].value())) == ("ilacs", "2011-05-01")
    assert StagedReport.objects.get().corrections is None  # nothing in error is stored
    assert not Inspection.objects.exists()


# Publishing ---------------------------------------------------------------------------------------------


def test_publishing_the_batch_with_a_corrected_authority(staff_client, editor, media_root):
    response = upload(staff_client, ("rutland.txt", RUTLAND), ("gotham.txt", GOTHAM), ("empty.pdf", b""))
    assert "Refused: The file is empty." in text_of(response)
    leeds = Authority.objects.get(slug="leeds")
    preview_url = response.request["PATH_INFO"]
    data = form_data(response, **{"gotham.txt": {"authority": leeds.pk}})
    response = staff_client.post(preview_url, {**data, "publish": "all"}, follow=True)

    page = text_of(response)
    assert "Published rutland.txt as" in page and "Published gotham.txt as" in page
    rutland = Inspection.objects.get(source_filename="rutland.txt")
    gotham = Inspection.objects.get(source_filename="gotham.txt")
    assert rutland.authority.slug == "rutland" and gotham.authority == leeds
    assert gotham.findings.count() == 20 and rutland.findings.count() == 20
    assert {e.status for e in response.context["entries"]} == {"published", "refused"}
    # The originals are kept in media storage; nothing is left staged.
    assert sorted(path.name for path in stored_files(media_root, "reports")) == ["gotham.txt", "rutland.txt"]
    assert gotham.source_file.read() == GOTHAM.encode()
    assert not stored_files(media_root, "staging")
    # The admin log says who published what, and what they corrected.
    entries = LogEntry.objects.filter(action_flag=ADDITION).order_by("object_id")
    assert [(e.user, e.object_id) for e in entries] == [(editor, str(rutland.pk)), (editor, str(gotham.pk))]
    gotham_log = LogEntry.objects.get(object_id=str(gotham.pk))
    assert "Uploaded from gotham.txt" in gotham_log.change_message
    assert "authority set to Leeds (read as 'Gotham County Council')" in gotham_log.change_message


def test_publishing_all_publishes_what_is_ready_and_asks_for_the_missing_authority(staff_client):
    response = upload(staff_client, ("rutland.txt", RUTLAND), ("gotham.txt", GOTHAM))
    response = staff_client.post(response.request["PATH_INFO"], {**form_data(response), "publish": "all"})
    assert response.status_code == 200
    page = text_of(response)
    assert "Published rutland.txt as" in page and "Choose the authority this report is about." in page
    assert list(Inspection.objects.values_list("source_filename", flat=True)) == ["rutland.txt"]
    assert entry(response, "gotham.txt").ready


def test_publishing_one_file_keeps_the_others_and_their_corrections(staff_client):
    response = upload(staff_client, ("rutland.txt", RUTLAND), ("cornwall.txt", CORNWALL))
    data = form_data(
        response,
        **{"cornwall.txt": {"kind": "other", "start_date": "2011-12-06"}, "rutland.txt": {"end_date": None}},
    )
    rutland = entry(response, "rutland.txt").staged.pk
    response = staff_client.post(response.request["PATH_INFO"], {**data, "publish": rutland}, follow=True)
    assert list(Inspection.objects.values_list("source_filename", flat=True)) == ["rutland.txt"]
    # An emptied date is published empty, not refilled with the one read.
    assert Inspection.objects.get().end_date is None
    cornwall = entry(response, "cornwall.txt")
    assert cornwall.ready
    assert cornwall.form["kind"].value() == "other" and cornwall.form["start_date"].value() == "2011-12-06"

    response = staff_client.post(
        response.request["PATH_INFO"], {**form_data(response), "publish": cornwall.staged.pk}, follow=True
    )
    published = Inspection.objects.get(source_filename="cornwall.txt")
    assert published.kind == "other" and published.start_date == datetime.date(2011, 12, 6)
    assert "type set to" in LogEntry.objects.get(object_id=str(published.pk)).change_message


def test_a_file_can_be_removed_from_the_batch(staff_client, media_root):
    response = upload(staff_client, ("rutland.txt", RUTLAND), ("cornwall.txt", CORNWALL))
    cornwall = entry(response, "cornwall.txt").staged
    response = staff_client.post(response.request["PATH_INFO"], {"discard": cornwall.pk}, follow=True)
    assert [e.filename for e in response.context["entries"]] == ["rutland.txt"]
    cornwall.refresh_from_db()
    assert cornwall.status == "discarded" and not cornwall.file
    assert [path.name for path in stored_files(media_root, "staging")] == [
        entry(response, "rutland.txt").sha256
    ]


def test_the_same_file_again_is_reported_as_already_published(staff_client, media_root):
    inspection = report_ingest(data=RUTLAND.encode(), filename="rutland.txt")
    response = upload(staff_client, ("copy-of-rutland.txt", RUTLAND), ("cornwall.txt", CORNWALL))
    copy = entry(response, "copy-of-rutland.txt")
    assert copy.status == "duplicate" and copy.inspection == inspection
    page = text_of(response)
    assert "This file is already published as" in page
    assert reverse("admin:inspections_inspection_change", args=[inspection.pk]) in page
    assert entry(response, "cornwall.txt").ready
    assert Inspection.objects.count() == 1 and len(stored_files(media_root, "staging")) == 1


def test_the_same_file_twice_in_one_upload_is_previewed_once(staff_client, parses):
    response = upload(staff_client, ("rutland.txt", RUTLAND), ("rutland-copy.txt", RUTLAND))
    assert [e.filename for e in response.context["entries"]] == ["rutland.txt"]
    assert entry(response, "rutland.txt").ready
    said = [message.message for message in response.context["messages"]]
    assert "rutland-copy.txt is the same file as rutland.txt, above: it is shown once." in said
    assert parses == ["rutland.txt"]


def test_a_file_published_meanwhile_elsewhere_is_not_published_twice(staff_client):
    response = upload(staff_client, ("rutland.txt", RUTLAND))
    data = {**form_data(response), "publish": "all"}
    report_ingest(data=RUTLAND.encode(), filename="by-someone-else.txt")
    response = staff_client.post(response.request["PATH_INFO"], data, follow=True)
    assert entry(response, "rutland.txt").status == "duplicate"
    assert Inspection.objects.count() == 1


# Read once, kept in the database ---------------------------------------------------------------------------


SIF = (SEEDS / "rutland-2016-single-inspection.txt").read_text()


def test_each_file_is_parsed_once_from_upload_to_publishing(staff_client, parses):
    """Before StagedReport, a file was parsed on receipt, again for each view of the preview and again
    for each post of it: three times from upload to publishing at the least, five with one round of
    corrections, and every file waiting was parsed again whenever any one of them was published."""
    response = upload(
        staff_client, ("sif.txt", SIF), ("cornwall.pdf", text_pdf(CORNWALL)), ("picture.pdf", png_image())
    )
    data = form_data(response, **{"cornwall.pdf": {"kind": "other"}})
    response = staff_client.post(PREVIEW, {**data, "update": "1"}, follow=True)
    staff_client.get(PREVIEW)
    sif = entry(response, "sif.txt").staged.pk
    response = staff_client.post(PREVIEW, {**form_data(response), "publish": sif}, follow=True)
    data = form_data(response, **{"cornwall.pdf": {"end_date": "2011-12-01"}})  # before the first day
    response = staff_client.post(PREVIEW, {**data, "publish": "all"})
    assert "The last day cannot be before the first day." in text_of(response)
    data = form_data(response, **{"cornwall.pdf": {"end_date": "2011-12-08"}})
    staff_client.post(PREVIEW, {**data, "publish": "all"}, follow=True)

    assert Inspection.objects.get(source_filename="cornwall.pdf").kind == "other"
    assert Inspection.objects.count() == 2
    assert sorted(parses) == ["cornwall.pdf", "picture.pdf", "sif.txt"]


def stored(inspection: Inspection) -> dict:
    """Everything the archive keeps of an inspection but its row's id and times, and its file's name."""
    fields = [field.name for field in Inspection._meta.concrete_fields]
    fields = [name for name in fields if name not in {"id", "created_at", "parsed_at", "source_file"}]
    findings = inspection.findings.order_by("order")
    return {
        "inspection": Inspection.objects.values(*fields).get(pk=inspection.pk),
        "file": inspection.source_file.read(),
        "judgements": sorted(inspection.judgements.values_list("area", "grade")),
        "findings": list(findings.values_list(*[f.name for f in Finding._meta.concrete_fields][2:])),
        "themes": sorted(
            FindingTheme.objects.filter(finding__inspection=inspection).values_list(
                "finding__order", "theme__slug", "matched"
            )
        ),
    }


def test_publishing_from_the_stored_reading_stores_what_ingest_stores(staff_client):
    call_command("loaddata", SEEDS.parent / "themes.json", verbosity=0)
    files = {"sif.txt": SIF.encode(), "cornwall.pdf": text_pdf(CORNWALL)}
    response = upload(staff_client, *files.items())
    assert entry(response, "sif.txt").finding_themes  # as tagged on receipt
    staff_client.post(PREVIEW, {**form_data(response), "publish": "all"})
    published = {inspection.source_filename: stored(inspection) for inspection in Inspection.objects.all()}
    assert len(published["sif.txt"]["judgements"]) == 7 and published["sif.txt"]["themes"]
    words = set(SearchWord.objects.values_list("word", flat=True))
    assert {"energetic", "accessible", "leadership"} <= words
    Inspection.objects.all().delete()

    ingested = {name: stored(report_ingest(data=data, filename=name)) for name, data in files.items()}
    assert published == ingested


def test_the_preview_survives_signing_out_and_in_again(client, editor):
    login = reverse("admin:login")
    client.post(login, {"username": "editor", "password": PASSWORD})
    response = upload(client, ("rutland.txt", RUTLAND), ("gotham.txt", GOTHAM))
    leeds = Authority.objects.get(slug="leeds")
    data = form_data(response, **{"gotham.txt": {"authority": leeds.pk, "start_date": "2011-05-09"}})
    client.post(PREVIEW, {**data, "update": "1"})
    client.post(reverse("admin:logout"))
    assert client.get(PREVIEW)["Location"].startswith(login)

    browser = Client()  # signing in again, in another browser: a new session
    browser.post(login, {"username": "editor", "password": PASSWORD})
    assert "2 uploaded files waiting to be checked and published" in text_of(browser.get(UPLOAD))
    response = browser.get(PREVIEW)
    assert [e.filename for e in response.context["entries"]] == ["rutland.txt", "gotham.txt"]
    gotham = entry(response, "gotham.txt")
    assert gotham.form["authority"].value() == leeds.pk
    assert gotham.form["start_date"].value() == "2011-05-09"
    browser.post(PREVIEW, {**form_data(response), "publish": "all"})
    assert Inspection.objects.get(source_filename="gotham.txt").authority == leeds
    assert Inspection.objects.count() == 2


def test_staff_see_and_publish_only_their_own_uploads(staff_client, media_root):
    response = upload(staff_client, ("rutland.txt", RUTLAND))
    mine = entry(response, "rutland.txt").staged
    client = Client()
    client.force_login(make_staff("add_inspection", "view_inspection", username="another"))
    assert client.get(PREVIEW)["Location"] == UPLOAD  # nothing of theirs is waiting
    client.post(PREVIEW, {**form_data(response), "publish": mine.pk})
    client.post(PREVIEW, {"discard": mine.pk})
    mine.refresh_from_db()
    assert mine.ready and not Inspection.objects.exists()

    # The same file uploaded by them is theirs to publish; for the first uploader it is then published.
    theirs = upload(client, ("rutland-too.txt", RUTLAND))
    assert entry(theirs, "rutland-too.txt").staged.pk != mine.pk
    assert len(stored_files(media_root, "staging")) == 2
    client.post(PREVIEW, {**form_data(theirs), "publish": "all"})
    response = staff_client.get(PREVIEW)
    assert entry(response, "rutland.txt").status == "duplicate"
    assert entry(response, "rutland.txt").inspection == Inspection.objects.get()
    assert not stored_files(media_root, "staging")


def test_a_refused_file_is_recorded_with_its_reason_and_not_kept(staff_client, editor, media_root, parses):
    picture = png_image()
    upload(staff_client, ("picture.pdf", picture))
    refused = StagedReport.objects.get()
    assert (refused.status, refused.uploader, refused.filename, refused.size) == (
        "refused",
        editor,
        "picture.pdf",
        len(picture),
    )
    assert refused.reason.startswith("This file is a PNG image") and refused.sha256 == sha256_of(picture)
    assert not refused.file and refused.contract is None
    assert not stored_files(media_root, "staging")
    # Uploaded again: the same row, not read again.
    response = upload(staff_client, ("picture-again.pdf", picture))
    assert [e.staged for e in response.context["entries"]] == [refused]
    assert parses == ["picture.pdf"]
    said = [message.message for message in response.context["messages"]]
    assert (
        "picture-again.pdf was uploaded before as picture.pdf: it is shown below as it was read then." in said
    )
    # Removed from the list, it is gone from the preview but kept as a record until swept.
    response = staff_client.post(PREVIEW, {"discard": refused.pk}, follow=True)
    assert response.redirect_chain[-1][0] == UPLOAD
    refused.refresh_from_db()
    assert refused.status == "discarded"


def test_the_same_file_uploaded_again_is_the_row_staged_before(staff_client, parses):
    response = upload(staff_client, ("rutland.txt", RUTLAND))
    staged = entry(response, "rutland.txt").staged
    data = form_data(response, **{"rutland.txt": {"kind": "other"}})
    staff_client.post(PREVIEW, {**data, "update": "1"})
    response = upload(staff_client, ("rutland-again.txt", RUTLAND), ("cornwall.txt", CORNWALL))
    assert [e.filename for e in response.context["entries"]] == ["rutland.txt", "cornwall.txt"]
    assert entry(response, "rutland.txt").staged == staged
    assert entry(response, "rutland.txt").form["kind"].value() == "other"  # its corrections kept
    said = [message.message for message in response.context["messages"]]
    assert (
        "rutland-again.txt was uploaded before as rutland.txt: it is shown below as it was read then." in said
    )
    assert parses == ["rutland.txt", "cornwall.txt"]
    assert StagedReport.objects.count() == 2


def test_a_file_staged_by_an_older_parser_is_read_again_once(staff_client, parses):
    upload(staff_client, ("rutland.txt", RUTLAND))
    StagedReport.objects.update(parser_version="0")
    staff_client.get(PREVIEW)
    response = staff_client.get(PREVIEW)
    assert parses == ["rutland.txt", "rutland.txt"]
    assert entry(response, "rutland.txt").ready
    assert StagedReport.objects.get().parser_version == parsing.PARSER_VERSION


def test_the_staged_reports_are_listed_read_only_in_the_admin(staff_client, admin_client):
    upload(staff_client, ("rutland.txt", RUTLAND), ("picture.pdf", png_image()))
    page = text_of(admin_client.get(reverse("admin:inspections_stagedreport_changelist")))
    assert "rutland.txt" in page and "Ready to publish" in page and "editor" in page
    assert "picture.pdf" in page and "This file is a PNG image" in page
    staged = StagedReport.objects.get(filename="rutland.txt")
    change = text_of(admin_client.get(reverse("admin:inspections_stagedreport_change", args=[staged.pk])))
    assert "0 judgements, 20 findings" in change and 'name="filename"' not in change
    assert admin_client.get(reverse("admin:inspections_stagedreport_add")).status_code == 403


def _fail_tagging(monkeypatch):
    def fail(findings):
        raise RuntimeError("injected failure while tagging findings")

    monkeypatch.setattr("inspections.services.tag_findings", fail)


def _fail_logging(monkeypatch):
    def fail(self, request, obj, message):
        raise RuntimeError("injected failure while writing the admin log")

    monkeypatch.setattr(InspectionAdmin, "log_addition", fail)


@pytest.mark.parametrize("inject", [_fail_tagging, _fail_logging], ids=["in the ingest", "after it"])
def test_a_failure_while_publishing_leaves_nothing_behind(staff_client, media_root, monkeypatch, inject):
    response = upload(staff_client, ("rutland.txt", RUTLAND), ("cornwall.txt", CORNWALL))
    preview_url = response.request["PATH_INFO"]
    data = {**form_data(response), "publish": "all"}
    inject(monkeypatch)
    response = staff_client.post(preview_url, data, follow=True)

    assert "Could not publish rutland.txt: an error on the server stopped it" in text_of(response)
    assert "Could not publish cornwall.txt" in text_of(response)
    assert not Inspection.objects.exists()
    assert not Judgement.objects.exists() and not Finding.objects.exists()
    assert not LogEntry.objects.exists()
    assert not stored_files(media_root, "reports")
    # The staged files stay, so publishing can simply be tried again.
    assert len(stored_files(media_root, "staging")) == 2
    monkeypatch.undo()
    staff_client.force_login(User.objects.get(username="editor"))
    staff_client.post(preview_url, {**form_data(response), "publish": "all"})
    assert Inspection.objects.count() == 2 and len(stored_files(media_root, "reports")) == 2


def test_storage_that_cannot_be_written_gives_a_clear_error_and_publishes_nothing(staff_client, media_root):
    response = upload(staff_client, ("rutland.txt", RUTLAND))
    preview_url = response.request["PATH_INFO"]
    # A real failure of the file system, not a stand-in: the reports folder is a file, so no report
    # can be stored in it (as when a disk is full or a mount has gone read-only).
    (media_root / "reports").write_text("in the way")

    response = staff_client.post(preview_url, {**form_data(response), "publish": "all"}, follow=True)

    assert "Could not publish rutland.txt: the original file could not be stored" in text_of(response)
    assert "Nothing of it was saved" in text_of(response)
    assert not Inspection.objects.exists() and not Finding.objects.exists()
    assert not LogEntry.objects.exists()
    assert len(stored_files(media_root, "staging")) == 1  # still staged, ready to try again


# Limits -----------------------------------------------------------------------------------------------


def test_a_file_over_the_size_limit_is_refused_before_it_is_parsed(
    staff_client, settings, monkeypatch, media_root
):
    settings.REPORT_MAX_UPLOAD_BYTES = len(RUTLAND.encode())
    parsed = []
    real_parse = uploads.parse_report
    monkeypatch.setattr(
        uploads, "parse_report", lambda data, name: parsed.append(name) or real_parse(data, name)
    )
    response = upload(staff_client, ("big.txt", RUTLAND + "\n"), ("at-the-limit.txt", RUTLAND))
    assert (
        "Refused: The file is 7,336 bytes, over the 7,335-byte limit for a report, so it was not read."
        in text_of(response)
    )
    assert "big.txt" not in parsed and "at-the-limit.txt" in parsed
    assert [path.name for path in stored_files(media_root, "staging")] == [
        entry(response, "at-the-limit.txt").sha256
    ]


def test_a_large_upload_is_refused_by_size_without_being_kept_whole(staff_client, settings, monkeypatch):
    """Past Django's in-memory threshold (5 MB) the upload streams to disk, capped at the limit."""
    settings.REPORT_MAX_UPLOAD_BYTES = 1024 * 1024
    written = []
    original = uploads.CappedUploadHandler.file_complete

    def file_complete(self, file_size):
        upload = original(self, file_size)
        written.append((file_size, upload.size, len(upload.read())))
        upload.seek(0)
        return upload

    monkeypatch.setattr(uploads.CappedUploadHandler, "file_complete", file_complete)
    response = upload(staff_client, ("huge.pdf", b"%PDF-1.7\n" + b"0" * (6 * 1024 * 1024)))
    assert "over the 1.0 MB limit for a report" in text_of(response)
    size = 6 * 1024 * 1024 + 9
    [(received, reported, kept)] = written
    assert received == reported == size and kept <= settings.REPORT_MAX_UPLOAD_BYTES


def test_content_is_sniffed_from_the_bytes_not_the_file_name(staff_client):
    response = upload(staff_client, ("cornwall.txt", text_pdf(CORNWALL)), ("report.pdf", png_image()))
    cornwall = entry(response, "cornwall.txt")
    assert cornwall.ready and cornwall.report.source.format == "pdf" and cornwall.matched.slug == "cornwall"
    assert entry(response, "report.pdf").staged.reason.startswith("This file is a PNG image")


def test_staged_files_are_never_served(staff_client):
    response = upload(staff_client, ("rutland.txt", RUTLAND))
    sha = entry(response, "rutland.txt").sha256
    assert staff_client.get(f"/media/staging/{sha}").status_code == 404
    assert staff_client.get(f"/staging/{sha}").status_code == 404


def test_stale_staged_reports_and_files_are_swept(staff_client, editor, media_root):
    # A file no row holds, left by a failure between storing it and its row.
    orphan = media_root / "staging" / ("0" * 64)
    orphan.parent.mkdir(parents=True)
    orphan.write_bytes(b"left behind")
    old = time.time() - uploads.STAGING_MAX_AGE.total_seconds() - 60
    os.utime(orphan, (old, old))
    # Rows untouched for longer than the limit, with their files: waiting, refused and published alike.
    upload(staff_client, ("cornwall.txt", CORNWALL), ("picture.pdf", png_image()))
    stale_file = media_root / StagedReport.objects.get(filename="cornwall.txt").file.name
    StagedReport.objects.update(updated_at=timezone.now() - uploads.STAGING_MAX_AGE - datetime.timedelta(1))

    upload(staff_client, ("rutland.txt", RUTLAND))

    assert not orphan.exists() and not stale_file.exists()
    assert list(StagedReport.objects.values_list("filename", flat=True)) == ["rutland.txt"]
    assert len(stored_files(media_root, "staging")) == 1


def test_a_file_staged_long_ago_but_uploaded_again_is_kept(staff_client, media_root):
    upload(staff_client, ("rutland.txt", RUTLAND))
    staged_file = media_root / StagedReport.objects.get().file.name
    old = time.time() - uploads.STAGING_MAX_AGE.total_seconds() - 60
    os.utime(staged_file, (old, old))  # the file is old, but its row was touched by the upload again
    upload(staff_client, ("rutland.txt", RUTLAND))
    assert staged_file.exists() and StagedReport.objects.get().ready


def test_an_empty_preview_goes_back_to_the_upload_page(staff_client):
    response = staff_client.get(PREVIEW, follow=True)
    assert response.redirect_chain[-1][0] == UPLOAD
    assert "You have no uploaded files waiting" in text_of(response)


# The inspection's stored source ----------------------------------------------------------------------------


def test_the_admin_and_public_pages_offer_the_original_as_a_download(staff_client):
    inspection = report_ingest(data=text_pdf(CORNWALL), filename="cornwall.pdf")
    source_url = reverse("inspection-source", args=[inspection.pk])
    change_page = staff_client.get(reverse("admin:inspections_inspection_change", args=[inspection.pk]))
    assert f'href="{source_url}"' in change_page.content.decode()
    assert 'type="file"' not in change_page.content.decode()  # never replaced by hand
    download = staff_client.get(source_url)
    assert download["Content-Disposition"].startswith("attachment")
    assert download["Content-Type"] == "application/pdf" and download["X-Content-Type-Options"] == "nosniff"


# Re-parsing -----------------------------------------------------------------------------------------------


def test_the_reparse_action_rereads_the_sources_and_says_what_changed(staff_client, editor):
    changed = report_ingest(data=RUTLAND.encode(), filename="rutland.txt")
    unchanged = report_ingest(data=CORNWALL.encode(), filename="cornwall.txt")
    sourceless = InspectionFactory(authority=Authority.objects.get(slug="leeds"))
    # As an older parser might have left it: two findings missing, a grade and a name misread.
    changed.findings.filter(order__in=[3, 4]).delete()
    Judgement.objects.create(inspection=changed, area="overall_effectiveness", grade="good")
    Inspection.objects.filter(pk=changed.pk).update(lead_inspector="W Ghaffar", parser_version="0")

    response = staff_client.post(
        CHANGELIST,
        {"action": "reparse_sources", "_selected_action": [changed.pk, unchanged.pk, sourceless.pk]},
        follow=True,
    )
    messages = [str(message) for message in response.context["messages"]]
    [about_changed] = [message for message in messages if message.startswith(str(changed))]
    assert "findings 18 → 20 (2 new or reworded, 0 no longer read)" in about_changed
    assert "Overall effectiveness: good → not graded" in about_changed
    assert "lead inspector: W Ghaffar → Wendy Ghaffar" in about_changed
    assert "1 inspection re-parsed with no change." in messages
    assert f"{sourceless}: no stored source file to re-read." in messages
    changed.refresh_from_db()
    assert changed.findings.count() == 20 and not changed.judgements.exists()
    log = LogEntry.objects.get(action_flag=CHANGE, object_id=str(changed.pk))
    assert log.user == editor and "findings 18 → 20" in log.change_message
    assert "no change" in LogEntry.objects.get(action_flag=CHANGE, object_id=str(unchanged.pk)).change_message


def test_the_reparse_action_needs_the_change_permission(client, db):
    inspection = report_ingest(data=RUTLAND.encode(), filename="rutland.txt")
    client.force_login(make_staff("view_inspection", "add_inspection"))
    client.post(CHANGELIST, {"action": "reparse_sources", "_selected_action": [inspection.pk]})
    assert not LogEntry.objects.filter(action_flag=CHANGE).exists()


# In a real browser ----------------------------------------------------------------------------------------


@pytest.mark.browser
@pytest.mark.skipif(not CHROMIUM.exists(), reason=CHROMIUM_MISSING)
# The live server reads only committed rows; `authorities` puts the table back if an earlier test took it.
@pytest.mark.django_db(transaction=True)
def test_staff_upload_check_correct_and_publish_in_the_browser(page, authorities, media_root):
    make_staff("add_inspection", "change_inspection", "view_inspection")
    page.goto(f"{reverse('admin:login')}?next={CHANGELIST}")
    page.get_by_label("Username").fill("editor")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()

    page.get_by_role("link", name="Upload reports").click()
    screenshot(page, "admin-upload")
    assert not axe_violations(page)
    page.get_by_label("Report files").set_input_files(
        [
            {"name": "cornwall.pdf", "mimeType": "application/pdf", "buffer": text_pdf(CORNWALL)},
            {"name": "gotham.txt", "mimeType": "text/plain", "buffer": GOTHAM.encode()},
            {"name": "picture.pdf", "mimeType": "application/pdf", "buffer": png_image()},
        ]
    )
    page.get_by_role("button", name="Upload and preview").click()

    cornwall = page.get_by_role("region", name="cornwall.pdf")
    gotham = page.get_by_role("region", name="gotham.txt")
    picture = page.get_by_role("region", name="picture.pdf")
    expect(cornwall).to_contain_text("Cornwall Council (read as ‘Cornwall Council’)")
    expect(cornwall).to_contain_text("7 December 2011 to 8 December 2011")
    expect(cornwall).to_contain_text("Chris Sands")
    expect(cornwall.get_by_role("table").filter(has_text="Findings by kind")).to_contain_text("Strength")
    expect(gotham).to_contain_text("not matched: read as ‘Gotham County Council’")
    expect(picture).to_contain_text("Refused: This file is a PNG image")
    screenshot(page, "admin-upload-preview")
    assert not axe_violations(page)
    assert not Inspection.objects.exists()

    gotham.get_by_label("Authority").select_option(label="Leeds")
    page.get_by_role("button", name="Publish all 2 ready files").click()
    expect(page.locator(".messagelist")).to_contain_text("Published cornwall.pdf as")
    expect(page.locator(".messagelist")).to_contain_text("Published gotham.txt as")
    expect(gotham).to_contain_text("Published as")
    assert Inspection.objects.get(source_filename="gotham.txt").authority.slug == "leeds"

    page.goto(f"{reverse('finding-search')}?q=%22common+assessment+framework%22&authority=leeds")
    expect(page.locator("#result-count")).to_contain_text("1 finding")
    expect(page.locator("main")).to_contain_text("co-location of the common assessment framework")
    page.goto(f"{reverse('finding-search')}?q=%22energetic+and+accessible+leadership%22")
    expect(page.locator("#result-count")).to_contain_text("1 finding")
    expect(page.locator("main")).to_contain_text("Cornwall")
