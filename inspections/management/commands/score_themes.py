import json
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from inspections.models import Theme
from inspections.themes import Scores, matches_for_texts, score_tagging

LABELLED = settings.BASE_DIR / "tests" / "themes_labelled.json"
SPLITS = ("all", "tune", "holdout")


class Command(BaseCommand):
    help = (
        "Measure theme tagging against the labelled findings (tests/themes_labelled.json): precision, "
        "recall and F1 per theme, and micro and macro totals, using the themes' rules as they are in the "
        "database now."
    )

    def add_arguments(self, parser):
        parser.add_argument("--labelled", type=Path, default=LABELLED, help="The labelled findings (JSON).")
        parser.add_argument(
            "--split",
            choices=SPLITS,
            action="append",
            help="Which labelled findings to score (repeatable; default: all, then the held-out part).",
        )
        parser.add_argument(
            "--first-reading",
            action="store_true",
            help="Score against the labels as first written, before disagreements were re-read.",
        )
        parser.add_argument(
            "--errors",
            action="store_true",
            help="List each finding (of the first split) tagged wrongly, with the words that matched.",
        )

    def handle(
        self, *args, labelled: Path, split: list[str] | None, first_reading: bool, errors: bool, **options
    ):
        slugs = list(Theme.objects.order_by("slug").values_list("slug", flat=True))
        if not slugs:
            raise CommandError("There are no themes in the database: load them with 'loaddata themes.json'.")
        try:
            findings = json.loads(labelled.read_text())["findings"]
        except (OSError, ValueError, KeyError) as error:
            raise CommandError(f"Cannot read the labelled findings in {labelled}: {error}") from error
        if first_reading:
            findings = [
                {**finding, "themes": finding.get("first_reading", finding["themes"])} for finding in findings
            ]
        unknown = {slug for finding in findings for slug in finding["themes"]} - set(slugs)
        if unknown:
            raise CommandError(f"The labelled findings use themes not in the database: {sorted(unknown)}")

        matches = matches_for_texts([finding["text"] for finding in findings])
        parts = split or ["all", "holdout"]
        for part in parts:
            chosen = [i for i, finding in enumerate(findings) if part in ("all", finding.get("split"))]
            scores = score_tagging(
                [findings[i]["themes"] for i in chosen], [matches[i].keys() for i in chosen], slugs
            )
            self._table(f"{part}: {len(chosen)} labelled findings", scores)
        if errors:
            shown = [i for i, finding in enumerate(findings) if parts[0] in ("all", finding.get("split"))]
            self._errors([findings[i] for i in shown], [matches[i] for i in shown])

    def _table(self, title: str, scores: Scores):
        write = self.stdout.write
        write(f"\n{title}")
        write(f"{'theme':<24} {'P':>6} {'R':>6} {'F1':>6} {'labelled':>9} {'TP':>4} {'FP':>4} {'FN':>4}")
        for score in scores.themes:
            write(
                f"{score.slug:<24} {score.precision:6.2f} {score.recall:6.2f} {score.f1:6.2f} "
                f"{score.support:9d} {score.true_positives:4d} {score.false_positives:4d} "
                f"{score.false_negatives:4d}"
            )
        micro = scores.micro
        write(
            f"{'micro':<24} {micro.precision:6.2f} {micro.recall:6.2f} {micro.f1:6.2f} {micro.support:9d} "
            f"{micro.true_positives:4d} {micro.false_positives:4d} {micro.false_negatives:4d}"
        )
        write(
            f"{'macro':<24} {scores.macro_precision:6.2f} {scores.macro_recall:6.2f} {scores.macro_f1:6.2f}"
        )
        worst = sorted(scores.themes, key=lambda score: score.f1)[:3]
        write("lowest F1: " + ", ".join(f"{score.slug} {score.f1:.2f}" for score in worst))

    def _errors(self, findings, matches):
        write = self.stdout.write
        for finding, matched in zip(findings, matches, strict=True):
            missed = sorted(set(finding["themes"]) - matched.keys())
            wrong = {slug: words for slug, words in matched.items() if slug not in finding["themes"]}
            if missed or wrong:
                write(f"\n#{finding['id']} [{finding['kind']}] {finding['text']}")
                for slug in missed:
                    write(f"  missed {slug}")
                for slug, words in sorted(wrong.items()):
                    write(f"  wrongly {slug} (matched: {words})")
