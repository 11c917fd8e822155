"""Theme tagging: the rules, set-based (re)tagging, the admin's validation and action, the scorer, and
the committed rules' accuracy on the labelled findings."""

import importlib
import json
import re
from collections import Counter
from io import StringIO

import pytest
from django.apps import apps as django_apps
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import IntegrityError, transaction
from django.urls import reverse

from inspections.management.commands.score_themes import SHARED_LABELS, read_labels
from inspections.management.commands.train_themes import SMALLEST_WEIGHT, TRAINING
from inspections.models import Finding, FindingTheme, Theme, rule_lines
from inspections.services import report_ingest
from inspections.theme_model import MODEL_PATH
from inspections.themes import (
    label_split,
    matches_for_texts,
    retag_archive,
    rule_problems,
    score_tagging,
    tag_findings,
)

from .conftest import SEEDS
from .factories import FindingFactory, ThemeFactory

pytestmark = pytest.mark.django_db

FIXTURE = settings.BASE_DIR / "fixtures" / "themes.json"
LABELLED = settings.BASE_DIR / "tests" / "themes_labelled.json"
THEMES_MD = settings.BASE_DIR.parent / "shared" / "THEMES.md"
HELD_OUT_MICRO_F1 = 0.88  # issue #15's target on the held-out half of the shared labels
HELD_OUT_MICRO_F1_NOW = (
    0.85  # what the rules and the shipped model reach there (0.853; 0.848 before, 0.80 before that)
)
HELD_OUT_PRECISION_NOW = (
    0.865  # 0.871 (0.88 before: the model now trades a little precision for recall, 0.81 -> 0.84)
)
HELD_OUT_RULES_MICRO_F1_NOW = 0.81  # the rules alone


@pytest.fixture
def rules_only(settings):
    """Tagging by the themes' rules alone, without the learned model: what the rules' own tests test."""
    settings.THEME_MODEL_PATH = None


@pytest.fixture
def themes_and_model():
    call_command("loaddata", FIXTURE, verbosity=0)
    return {theme.slug: theme for theme in Theme.objects.all()}


@pytest.fixture
def themes(rules_only, themes_and_model):
    return themes_and_model


def tags(finding) -> dict[str, str]:
    return dict(FindingTheme.objects.filter(finding=finding).values_list("theme__slug", "matched"))


# The committed rules ---------------------------------------------------------------------------------


def test_the_fixture_holds_the_28_themes_of_the_contract_with_sound_rules(themes):
    assert len(themes) == 28
    if THEMES_MD.exists():
        assert set(themes) == set(re.findall(r"^\| `([a-z0-9-]+)` \|", THEMES_MD.read_text(), re.M))
    for theme in themes.values():
        assert theme.phrase_list, theme.slug
        assert rule_problems(theme.phrases, theme.exclusions, theme.supporting_phrases) == {}, theme.slug


def test_loading_the_fixture_again_updates_the_themes_by_slug(themes):
    Theme.objects.filter(slug="neglect").update(name="Old name", phrases="old")
    call_command("loaddata", FIXTURE, verbosity=0)
    assert Theme.objects.count() == 28
    assert Theme.objects.get(slug="neglect").name == "Neglect"


def test_the_rules_meet_the_target_on_the_labelled_findings(themes):
    findings = json.loads(LABELLED.read_text())["findings"]
    assert len(findings) >= 200
    assert {finding["kind"] for finding in findings} == {
        "strength",
        "meets_requirements",
        "area_for_improvement",
        "priority_action",
        "recommendation",
        "narrative",
    }
    matched = matches_for_texts([finding["text"] for finding in findings])
    scores = score_tagging([finding["themes"] for finding in findings], [m.keys() for m in matched], themes)
    assert min(score.support for score in scores.themes) >= 5
    assert scores.micro.f1 >= 0.85
    assert min(score.recall for score in scores.themes) >= 0.6


# Tagging chosen findings ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Social workers receive regular reflective supervision and their caseloads are manageable.",
            {"supervision": "supervision", "workforce": "caseload"},
        ),
        # "supervised" counts for staff, not in "supervised contact" or a "supervision order"
        ("Staff are well supervised by their managers.", {"supervision": "supervision"}),
        ("Supervised contact with parents is well managed.", {}),
        ("The court made a supervision order.", {"legal-proceedings": "court, supervision order"}),
        # stemming: "missing" and "return home interviews" in other forms; not "missing education"
        (
            "Return home interviews are offered to all children who go missing from home.",
            {"exploitation-missing": "return home interview, missing"},
        ),
        ("The system for tracking children who are missing from education.", {}),
        # a phrase's words must be together: "children in care" is not "children's social care"
        (
            "Children's social care and the police share information well.",
            {"multi-agency": "police, shared information"},
        ),
        (
            "Care leavers have personal advisers and up-to-date pathway plans.",
            {"care-leavers": "care leavers, personal adviser, pathway plan", "planning": "pathway plans"},
        ),
        (
            "The local authority designated officer responds to allegations.",
            {"allegations": "designated officer"},
        ),
        ("The out-of-hours service responds well.", {"out-of-hours": "out-of-hours, out of hours service"}),
        ("Children are seen within 24 hours of the referral.", {"child-voice": "children are seen"}),
        # "culture" alone is too common to say a finding is about equality and diversity
        ("A culture of robust supervision.", {"supervision": "supervision"}),
        (
            "Diversity, religion and culture are considered in assessments.",
            {"equality-diversity": "diversity, religion, culture", "assessment": "assessment"},
        ),
        # supporting phrases ("referral", "screening", "leaders") tag only with a second mention
        ("Referrals are screened within a day.", {"front-door": "referral, screening"}),
        ("School leaders are investing in services.", {}),
        ("Leaders agreed to review escalation; leaders have since acted.", {"leadership": "leaders"}),
        # a mention inside a longer one neither counts twice nor shows twice
        ("Senior leaders know their services well.", {"leadership": "senior leaders"}),
    ],
)
def test_findings_are_tagged_with_the_themes_their_words_match(themes, text, expected):
    finding = FindingFactory(text=text)
    tag_findings([finding])
    assert tags(finding) == expected


def test_stored_findings_are_tagged_exactly_as_parse_report_tags_texts(themes):
    texts = [finding["text"] for finding in json.loads(LABELLED.read_text())["findings"][:60]]
    findings = [FindingFactory(text=text) for text in texts]
    tag_findings(Finding.objects.filter(pk__in=[finding.pk for finding in findings]))
    assert [tags(finding) for finding in findings] == matches_for_texts(texts)


def test_the_section_heading_does_not_tag_a_finding(themes):
    finding = FindingFactory(
        section="Experiences and progress of care leavers", text="Most are in good homes."
    )
    tag_findings([finding])
    assert tags(finding) == {}


def test_a_supporting_phrase_tags_a_finding_under_a_heading_on_its_theme(themes):
    under = FindingFactory(
        section="The experiences and progress of children in care", text="Carers are well supported."
    )
    elsewhere = FindingFactory(section="Leadership", text="Carers are well supported.")
    tag_findings([under, elsewhere])
    assert tags(under) == {"children-in-care": "carers (under the heading ‘children in care’)"}
    assert tags(elsewhere) == {}
    assert matches_for_texts(["Carers are well supported."], ["Children in care"]) == [
        {"children-in-care": "carers (under the heading ‘children in care’)"}
    ]


def test_ingest_tags_every_finding_of_a_report(themes):
    path = SEEDS / "rutland-2016-single-inspection.txt"
    inspection = report_ingest(data=path.read_bytes(), filename=path.name)
    tagged = FindingTheme.objects.filter(finding__inspection=inspection)
    assert tagged.filter(theme__slug="care-leavers").exists()
    assert tagged.filter(theme__slug="permanence").exists()
    assert set(tagged.values_list("finding", flat=True)) == set(
        inspection.findings.filter(themes__isnull=False).values_list("pk", flat=True)
    )
    supervision = tagged.filter(theme__slug="supervision").select_related("finding")
    assert supervision
    assert all(re.search("supervis|reflective practice", tag.finding.text, re.I) for tag in supervision)


def test_parse_report_json_gives_each_finding_its_themes(themes):
    out = StringIO()
    call_command(
        "parse_report", SEEDS / "cornwall-2011-contact-referral-assessment.txt", json=True, stdout=out
    )
    findings = json.loads(out.getvalue())["findings"]
    assert all(set(finding["themes"]) <= set(themes) for finding in findings)
    supervision = [finding for finding in findings if finding["text"].startswith("Supervision is regular")]
    assert supervision and supervision[0]["themes"] == ["supervision"]


# Re-tagging after an edit ----------------------------------------------------------------------------


def test_retag_after_a_rule_edit_changes_exactly_the_affected_findings(themes):
    oversight = FindingFactory(text="Management oversight is evident on every child's record.")
    both = FindingFactory(text="Supervision and management oversight are regular.")
    neither = FindingFactory(text="Care leavers live in suitable accommodation.")
    retag_archive()
    before = {(tag.finding_id, tag.theme_id): (tag.pk, tag.matched) for tag in FindingTheme.objects.all()}

    supervision = themes["supervision"]
    supervision.phrases += "\nmanagement oversight"
    supervision.save()
    counts = retag_archive()

    after = {(tag.finding_id, tag.theme_id): (tag.pk, tag.matched) for tag in FindingTheme.objects.all()}
    changed = {key for key in before.keys() | after.keys() if before.get(key) != after.get(key)}
    assert changed == {(oversight.pk, supervision.pk), (both.pk, supervision.pk)}
    assert after[(oversight.pk, supervision.pk)][1] == "management oversight"
    assert after[(both.pk, supervision.pk)][1] == "supervision, management oversight"
    assert (counts.added, counts.removed, counts.changed) == (1, 0, 1)
    assert tags(neither) == {"care-leavers": "care leavers, suitable accommodation"}

    supervision.phrases = "reflective supervision"
    supervision.save()
    counts = retag_archive(themes=Theme.objects.filter(slug="supervision"))
    assert (counts.added, counts.removed, counts.changed) == (0, 2, 0)
    assert "supervision" not in tags(both)
    assert tags(both)["management-oversight"] == "management oversight"


def test_tagging_again_with_unchanged_rules_writes_nothing(themes):
    FindingFactory.create_batch(3, text="Drift and delay in plans for children.")
    assert retag_archive().added == 6
    assert (retag_archive().added, retag_archive().removed, retag_archive().changed) == (0, 0, 0)


def test_retag_command_reports_what_changed(themes):
    FindingFactory(text="Neglect is recognised early.")
    out = StringIO()
    call_command("retag", stdout=out)
    assert "1 tags added, 0 removed" in out.getvalue()
    call_command("retag", "--theme", "neglect", stdout=out)
    with pytest.raises(CommandError, match="no-such-theme"):
        call_command("retag", "--theme", "no-such-theme")


# Rules, in the admin and in the database -------------------------------------------------------------


def change_form(theme, **changes):
    return {
        "name": theme.name,
        "slug": theme.slug,
        "description": theme.description,
        "phrases": theme.phrases,
        "supporting_phrases": theme.supporting_phrases,
        "exclusions": theme.exclusions,
        **changes,
    }


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"phrases": "supervision OR supervise"}, "phrases", "one plain phrase per line"),
        ({"phrases": "supervision\nthe"}, "phrases", "no words that can be searched for"),
        ({"phrases": "supervision\nout of hours"}, "phrases", "would match every mention of “hour”"),
        ({"phrases": "supervision\nsupervised"}, "phrases", "matches exactly what “supervision” matches"),
        ({"exclusions": "foster carers"}, "exclusions", "contains none of the phrases"),
        ({"phrases": "", "exclusions": "supervised contact"}, "exclusions", "add phrases first"),
        ({"supporting_phrases": "supervisor\nsupervisors"}, "supporting_phrases", "matches exactly what"),
        ({"supporting_phrases": "-supervisor"}, "supporting_phrases", "one plain phrase per line"),
    ],
)
def test_the_admin_refuses_a_broken_rule_with_a_clear_message(admin_client, themes, changes, field, message):
    theme = themes["supervision"]
    url = reverse("admin:inspections_theme_change", args=[theme.pk])
    response = admin_client.post(url, change_form(theme, **changes))
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert any(message in error for error in errors[field]), errors
    theme.refresh_from_db()
    assert theme.phrases == themes["supervision"].phrases


def test_the_admin_saves_sound_rules_and_shows_them_in_words(admin_client, themes):
    theme = themes["supervision"]
    url = reverse("admin:inspections_theme_change", args=[theme.pk])
    response = admin_client.post(url, change_form(theme, phrases="supervision\r\nsupervisor\r\n"))
    assert response.status_code == 302
    theme.refresh_from_db()
    assert theme.phrase_list == ["supervision", "supervisor"]
    page = admin_client.get(url).content.decode()
    assert (
        "A finding is tagged Supervision when its text mentions any of: “supervision” or “supervisor”" in page
    )


def test_the_admin_saves_supporting_phrases_and_tagging_uses_them(admin_client, themes):
    theme = themes["supervision"]
    url = reverse("admin:inspections_theme_change", args=[theme.pk])
    response = admin_client.post(url, change_form(theme, supporting_phrases="supervisor\r\n"))
    assert response.status_code == 302
    theme.refresh_from_db()
    assert theme.supporting_list == ["supervisor"]
    assert "tags it only together with another of these" in admin_client.get(url).content.decode()
    once, twice = (
        FindingFactory(text="The supervisor is new."),
        FindingFactory(text="Supervisors give supervision."),
    )
    retag_archive(themes=[theme])
    assert tags(once) == {}
    assert tags(twice)["supervision"] == "supervisor, supervision"


def test_the_admin_action_retags_the_archive_with_the_selected_themes(admin_client, themes):
    finding = FindingFactory(text="Reflective supervision is regular; neglect is recognised.")
    response = admin_client.post(
        reverse("admin:inspections_theme_changelist"),
        {"action": "retag_with_selected", "_selected_action": [themes["supervision"].pk]},
        follow=True,
    )
    assert "Re-tagged the archive with 1 theme in" in response.content.decode()
    assert tags(finding) == {"supervision": "supervision"}


def test_the_database_refuses_malformed_themes():
    with pytest.raises(IntegrityError), transaction.atomic():
        ThemeFactory(slug="Not A Slug")
    with pytest.raises(IntegrityError), transaction.atomic():
        ThemeFactory(phrases="", exclusions="supervised contact")


def test_rules_in_words():
    theme = Theme(
        name="Supervision", phrases="supervision\nreflective practice\n", exclusions="supervision order"
    )
    assert theme.rules_in_words == (
        "A finding is tagged Supervision when its text mentions any of: “supervision” or “reflective "
        "practice”. Each word also counts in its other forms (“assessment” also matches “assessed” and "
        "“assessing”). A mention inside “supervision order” does not count."
    )
    theme.supporting_phrases = "supervisor\nmanagers"
    assert "Any of “supervisor” or “managers” tags it only together with another of these" in (
        theme.rules_in_words
    )
    assert Theme(name="Neglect").rules_in_words == "No rules yet: no finding is tagged Neglect."


# The scorer ------------------------------------------------------------------------------------------


def test_the_scorer_gives_a_perfect_tagging_full_marks():
    gold = [["neglect"], ["neglect", "supervision"], []]
    scores = score_tagging(gold, gold, ["neglect", "supervision"])
    assert [(s.precision, s.recall, s.f1) for s in scores.themes] == [(1, 1, 1), (1, 1, 1)]
    assert (scores.micro.f1, scores.macro_f1) == (1, 1)


def test_the_scorer_marks_a_poor_tagging_down():
    gold = [["neglect"], ["neglect", "supervision"], [], ["supervision"]]
    predicted = [[], ["supervision"], ["neglect", "supervision"], []]
    scores = score_tagging(gold, predicted, ["neglect", "supervision"])
    neglect, supervision = scores.themes
    assert (neglect.true_positives, neglect.false_positives, neglect.false_negatives) == (0, 1, 2)
    assert (neglect.precision, neglect.recall, neglect.f1) == (0, 0, 0)
    assert (supervision.precision, supervision.recall) == (0.5, 0.5)
    assert scores.micro.precision == pytest.approx(1 / 3)
    assert scores.micro.recall == pytest.approx(1 / 4)
    assert scores.macro_f1 == pytest.approx(0.25)
    with pytest.raises(ValueError):
        score_tagging(gold, predicted[:2], ["neglect"])


def test_the_scorer_counts_a_theme_either_reader_gave_as_right_and_one_both_gave_as_missed():
    both = [["neglect"], [], ["neglect"]]
    either = [["neglect", "supervision"], ["supervision"], ["neglect"]]
    predicted = [["supervision"], [], ["neglect", "supervision"]]
    neglect, supervision = score_tagging(both, predicted, ["neglect", "supervision"], accepted=either).themes
    # neglect: found once, missed once; supervision: right once (only one reader gave it), wrong once,
    # and never missed (no finding had it from both readers)
    assert (neglect.true_positives, neglect.false_positives, neglect.false_negatives) == (1, 0, 1)
    assert (neglect.precision, neglect.recall) == (1, 0.5)
    assert (supervision.true_positives, supervision.false_positives, supervision.false_negatives) == (1, 1, 0)
    assert (supervision.precision, supervision.recall, supervision.support) == (0.5, 1, 0)


def test_the_labelled_findings_are_split_by_report_the_same_way_every_time():
    assert label_split("80500_havering/children's services inspection - 09 december 2016.pdf") == "holdout"
    assert (
        label_split("80431_blackpool/joint area child protection inspection - 31 january 2025.pdf") == "tune"
    )
    names = [f"{number}_authority/report.pdf" for number in range(400)]
    splits = [label_split(name) for name in names]
    assert splits == [label_split(name) for name in names]
    assert 150 < splits.count("tune") < 250


def test_the_shared_labels_fall_into_two_halves_whole_reports_apiece():
    if not SHARED_LABELS.exists():
        pytest.skip(f"the shared labels are not here ({SHARED_LABELS})")
    findings = read_labels(SHARED_LABELS)
    halves = {}
    for finding in findings:
        halves.setdefault(finding["file"], set()).add(finding["split"])
    assert all(len(splits) == 1 for splits in halves.values())
    counts = Counter(finding["split"] for finding in findings)
    assert counts["tune"] > 150 and counts["holdout"] > 150


def held_out_scores(themes):
    findings = [finding for finding in read_labels(SHARED_LABELS) if finding["split"] == "holdout"]
    matched = matches_for_texts(
        [f["text"] for f in findings], [f["section"] for f in findings], [f["kind"] for f in findings]
    )
    return score_tagging(
        [f["both"] for f in findings],
        [m.keys() for m in matched],
        sorted(themes),
        accepted=[f["either"] for f in findings],
    )


@pytest.mark.xfail(
    strict=True,
    reason="issue #15's targets are not met yet: held-out micro-F1 is 0.85 with the model (0.82 with the "
    "rules alone, 0.80 before); see README, Themes",
)
def test_tagging_meets_the_targets_on_the_held_out_half_of_the_shared_labels(themes_and_model):
    if not SHARED_LABELS.exists():
        pytest.skip(f"the shared labels are not here ({SHARED_LABELS})")
    scores = held_out_scores(themes_and_model)
    assert scores.micro.f1 >= HELD_OUT_MICRO_F1
    for score in scores.themes:
        if score.support >= 5:
            assert score.precision >= 0.75 and score.recall >= 0.65, score


def test_tagging_does_no_worse_on_the_held_out_half_than_it_does_now(themes_and_model):
    if not SHARED_LABELS.exists():
        pytest.skip(f"the shared labels are not here ({SHARED_LABELS})")
    scores = held_out_scores(themes_and_model)
    assert scores.micro.f1 >= HELD_OUT_MICRO_F1_NOW
    assert scores.micro.precision >= HELD_OUT_PRECISION_NOW


def test_the_rules_alone_do_no_worse_on_the_held_out_half_than_they_do_now(themes):
    if not SHARED_LABELS.exists():
        pytest.skip(f"the shared labels are not here ({SHARED_LABELS})")
    assert held_out_scores(themes).micro.f1 >= HELD_OUT_RULES_MICRO_F1_NOW


# The learned model ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "section", "kind", "expected"),
    [
        # "culture" in passing is not equality and diversity
        ("A culture of robust supervision supports staff.", "", "narrative", {"supervision"}),
        (
            "Care leavers live in suitable accommodation and their personal advisers keep in touch.",
            "The experiences and progress of care leavers",
            "narrative",
            {"care-leavers"},
        ),
        ("Strategy meetings are held promptly when children are at risk of harm.", "", "narrative",
         {"child-protection"}),
    ],
)  # fmt: skip
def test_the_model_tags_what_a_finding_is_about(themes_and_model, text, section, kind, expected):
    tagged = matches_for_texts([text], [section], [kind])[0]
    assert expected <= set(tagged)
    assert "equality-diversity" not in tagged


def test_each_tag_says_why_with_the_phrases_words_and_probability(themes_and_model):
    why = matches_for_texts(["Social workers receive regular reflective supervision."], [""], ["strength"])[0]
    assert why["supervision"].startswith("supervision")  # the rule's phrase first
    assert "words:" in why["supervision"] and why["supervision"].endswith("%")


def test_a_theme_the_model_does_not_know_is_tagged_by_its_rules(themes_and_model):
    ThemeFactory(slug="new-theme", name="New theme", phrases="kinship care")
    tagged = matches_for_texts(["Kinship care assessments are thorough."], [""], ["narrative"])[0]
    assert tagged["new-theme"] == "kinship care"


def test_stored_tags_match_the_tags_of_the_same_texts(themes_and_model):
    finding = FindingFactory(
        text="Managers' oversight of supervision is not recorded.", section="Leadership", kind="narrative"
    )
    tag_findings([finding])
    assert tags(finding) == matches_for_texts([finding.text], [finding.section], [finding.kind])[0]


# How far a weight written to four decimals may move between releases of NumPy and scikit-learn
# (their floating point, not the training: 1,020 of the weights moved by 0.0001-0.0002 from the
# releases the model was trained with to NumPy 2.5.5 and scikit-learn 1.9.1).
WEIGHT_TOLERANCE = 0.0005


def model_differences(shipped: dict, trained: dict) -> list[str]:
    """How a model trained here differs from the shipped one, beyond the last digits of its weights
    (a weight written on one side only is at the cutoff on the other: no larger than SMALLEST_WEIGHT
    and the tolerance). Empty: the training reproduces the shipped model."""
    differences = [
        f"{key}: {shipped.get(key)!r} != {trained.get(key)!r}"
        for key in sorted(set(shipped) | set(trained))
        if key != "themes" and shipped.get(key) != trained.get(key)
    ]
    if shipped["themes"].keys() != trained["themes"].keys():
        return [*differences, f"themes: {sorted(shipped['themes'])} != {sorted(trained['themes'])}"]
    for slug, theme in shipped["themes"].items():
        other = trained["themes"][slug]
        differences += [
            f"{slug} {key}: {theme[key]!r} != {other.get(key)!r}"
            for key in theme
            if key not in ("weights", "intercept") and theme[key] != other.get(key)
        ]
        if abs(theme["intercept"] - other["intercept"]) > WEIGHT_TOLERANCE:
            differences.append(f"{slug} intercept: {theme['intercept']} != {other['intercept']}")
        weights, others = theme["weights"], other["weights"]
        for feature in sorted(weights.keys() | others.keys()):
            ours, theirs = weights.get(feature), others.get(feature)
            if ours is None or theirs is None:
                present = ours if theirs is None else theirs
                apart = abs(present) >= SMALLEST_WEIGHT + WEIGHT_TOLERANCE
            else:
                apart = abs(ours - theirs) > WEIGHT_TOLERANCE
            if apart:
                differences.append(f"{slug} weight {feature}: {ours} != {theirs}")
    return differences


def test_a_model_differs_from_the_shipped_one_beyond_its_last_digits():
    shipped = json.loads(MODEL_PATH.read_text())
    same = json.loads(MODEL_PATH.read_text())
    slug, theme = next(iter(same["themes"].items()))
    feature = next(iter(theme["weights"]))
    theme["weights"][feature] = round(theme["weights"][feature] + 0.0002, 4)  # a release's rounding
    theme["weights"]["x:at-the-cutoff"] = -SMALLEST_WEIGHT
    assert model_differences(shipped, same) == []
    theme["weights"][feature] = round(theme["weights"][feature] + 0.01, 4)  # a different training
    theme["threshold"] = 0.5
    assert model_differences(shipped, same) == [
        f"{slug} threshold: {shipped['themes'][slug]['threshold']!r} != 0.5",
        f"{slug} weight {feature}: {shipped['themes'][slug]['weights'][feature]} != {theme['weights'][feature]}",
    ]


def test_training_reproduces_the_shipped_model(themes_and_model, tmp_path):
    """The shipped weights come from the training data and code here: the same themes, thresholds and
    features, and every weight to its last digits (model_differences); byte for byte on the releases
    it was trained with."""
    pytest.importorskip("sklearn", reason="training needs scikit-learn (the dev extra)")
    if not SHARED_LABELS.exists():
        pytest.skip(f"the shared labels are not here ({SHARED_LABELS})")
    output = tmp_path / "model.json"
    call_command("train_themes", output=output, stdout=StringIO())
    differences = model_differences(json.loads(MODEL_PATH.read_text()), json.loads(output.read_text()))
    assert not differences, f"{len(differences)} differences, the first: {differences[:10]}"


def test_the_training_set_shares_no_report_with_the_shared_labels():
    if not SHARED_LABELS.exists():
        pytest.skip(f"the shared labels are not here ({SHARED_LABELS})")
    training = json.loads(TRAINING.read_text())["findings"]
    labelled_texts = {finding["text"] for finding in read_labels(SHARED_LABELS)}
    assert len(training) > 4000
    assert not labelled_texts & {finding["text"] for finding in training}


def test_score_themes_prints_per_theme_and_total_figures(themes, tmp_path):
    labelled = tmp_path / "labelled.json"
    finding = {"kind": "strength", "section": "Strengths"}
    labelled.write_text(
        json.dumps(
            {
                "findings": [
                    # the first report's findings fall in the tuning half, the second's are held out
                    {
                        **finding,
                        "id": "a",
                        "file": "a.pdf",
                        "text": "Reflective supervision is regular.",
                        "both": ["supervision"],
                        "either": ["supervision"],
                    },
                    {
                        **finding,
                        "id": "b",
                        "file": "b.pdf",
                        "text": "Neglect is recognised early.",
                        "both": ["supervision"],
                        "either": ["supervision"],
                    },
                    {
                        **finding,
                        "id": "c",
                        "file": "a.pdf",
                        "text": "Neglect and supervision.",
                        "both": [],
                        "either": ["neglect"],
                    },
                ]
            }
        )
    )
    assert (label_split("a.pdf"), label_split("b.pdf")) == ("tune", "holdout")
    out = StringIO()
    call_command("score_themes", labelled=labelled, errors=True, stdout=out)
    report = out.getvalue()
    tune, holdout = report.split("holdout: ")
    assert "tune: 2 labelled findings" in tune
    assert re.search(r"supervision\s+0\.50\s+1\.00\s+0\.67\s+1\s+1\s+1\s+0", tune)
    assert re.search(r"neglect\s+1\.00\s+1\.00\s+1\.00\s+0\s+1\s+0\s+0", tune)
    assert re.search(r"micro\s+0\.67\s+1\.00\s+0\.80", tune)
    assert holdout.startswith("1 labelled findings")
    assert re.search(r"supervision\s+1\.00\s+0\.00\s+0\.00\s+1\s+0\s+0\s+1", holdout)
    # errors are listed for the tuning half only
    assert "wrongly supervision (matched: supervision)" in report
    assert "Neglect is recognised early" not in report


def test_score_themes_reads_a_set_with_one_readers_themes(themes, tmp_path):
    labelled = tmp_path / "labelled.json"
    labelled.write_text(
        json.dumps(
            {
                "findings": [
                    {
                        "id": 1,
                        "kind": "strength",
                        "text": "Neglect is recognised.",
                        "themes": ["neglect"],
                        "split": "tune",
                    }
                ]
            }
        )
    )
    out = StringIO()
    call_command("score_themes", labelled=labelled, split=["all"], stdout=out)
    assert re.search(r"neglect\s+1\.00\s+1\.00\s+1\.00\s+1\s+1\s+0\s+0", out.getvalue())


# Carrying the rules to existing databases ------------------------------------------------------------


def test_the_migration_gives_unedited_themes_the_new_rules_and_retags(themes):
    migration = importlib.import_module("inspections.migrations.0009_theme_rules_from_shared_labels")
    later = importlib.import_module("inspections.migrations.0013_assessment_exclusion_and_retag")
    fixture = {theme["fields"]["slug"]: theme["fields"] for theme in json.loads(FIXTURE.read_text())}
    # the fixture's rules are 0009's, with 0013's exclusion added to the assessment theme
    shipped = {slug: dict(rules) for slug, rules in migration.CURRENT.items()}
    assert rule_lines(shipped[later.SLUG]["exclusions"]) == later.SHIPPED
    shipped[later.SLUG]["exclusions"] = "\n".join([*later.SHIPPED, later.ADDED])
    assert {
        slug: {field: fields[field] for field in ("phrases", "supporting_phrases", "exclusions")}
        for slug, fields in fixture.items()
    } == shipped
    # a database as it was: the rules shipped before, one theme edited by staff
    for theme in themes.values():
        Theme.objects.filter(pk=theme.pk).update(supporting_phrases="", **migration.PREVIOUS[theme.slug])
    edited = migration.PREVIOUS["leadership"]["phrases"] + "\ngovernance"
    Theme.objects.filter(slug="leadership").update(phrases=edited)
    finding = FindingFactory(text="A culture of robust supervision, leaders say.")
    retag_archive()
    assert set(tags(finding)) == {"equality-diversity", "supervision", "leadership"}

    migration.forwards(django_apps, None)
    equality = Theme.objects.get(slug="equality-diversity")
    assert equality.supporting_phrases == fixture["equality-diversity"]["supporting_phrases"]
    assert Theme.objects.get(slug="leadership").phrases == edited
    assert tags(finding) == {"supervision": "supervision", "leadership": "leaders"}

    migration.backwards(django_apps, None)
    assert Theme.objects.get(slug="equality-diversity").supporting_phrases == ""
    assert "equality-diversity" in tags(finding)


def test_the_assessment_exclusion_reaches_unedited_databases_and_retags(themes):
    later = importlib.import_module("inspections.migrations.0013_assessment_exclusion_and_retag")
    Theme.objects.filter(slug="assessment").update(exclusions="\n".join(later.SHIPPED))
    finding = FindingFactory(text="Children's assessed needs are met.", kind="strength")
    retag_archive()
    assert "assessment" in tags(finding)

    later.forwards(django_apps, None)
    assert rule_lines(Theme.objects.get(slug="assessment").exclusions)[-1] == "assessed need"
    assert "assessment" not in tags(finding)

    later.backwards(django_apps, None)
    assert rule_lines(Theme.objects.get(slug="assessment").exclusions) == later.SHIPPED
    # a theme staff have edited keeps its rules either way
    Theme.objects.filter(slug="assessment").update(exclusions="analysis of data")
    later.forwards(django_apps, None)
    assert Theme.objects.get(slug="assessment").exclusions == "analysis of data"
