import json
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from inspections.models import Theme
from inspections.themes import Scores, label_split, matches_for_texts, score_tagging

SHARED_LABELS = settings.BASE_DIR.parent / "shared" / "labels" / "dev_theme_labels.json"
SPLITS = ("all", "tune", "holdout")


def read_labels(path: Path) -> list[dict]:
    """The labelled findings, each with `both` (themes it must get), `either` (themes it may get) and
    `split` ("tune" or "holdout").

    The shared labels (two readers: `both`, `either`, the report's `file`) are split by report with
    label_split; a set with one reader's `themes` uses them for both and keeps its own `split`."""
    findings = json.loads(path.read_text())["findings"]
    labelled = []
    for finding in findings:
        both = finding.get("both", finding.get("themes"))
        either = finding.get("either", both)
        split = label_split(finding["file"]) if "file" in finding else finding.get("split", "tune")
        labelled.append({**finding, "both": both, "either": either, "split": split})
    return labelled


class Command(BaseCommand):
    help = (
        "Measure theme tagging against findings labelled by two independent readers "
        "(../shared/labels/dev_theme_labels.json): a theme tagged is right if either reader gave it, and "
        "missed if both gave it and it is not tagged. Prints precision, recall and F1 per theme and micro "
        "and macro totals for the tuning half and the held-out half (split by report), using the themes' "
        "rules as they are in the database now."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--labelled",
            type=Path,
            default=SHARED_LABELS,
            help="The labelled findings (JSON; default: the shared labels). tests/themes_labelled.json, "
            "one reader's themes per finding, also works.",
        )
        parser.add_argument(
            "--split",
            choices=SPLITS,
            action="append",
            help="Which labelled findings to score (repeatable; default: tune, then holdout).",
        )
        parser.add_argument(
            "--errors",
            action="store_true",
            help="List each finding of the tuning half tagged wrongly, with the words that matched (never "
            "the held-out half: its errors must not steer the rules).",
        )

    def handle(self, *args, labelled: Path, split: list[str] | None, errors: bool, **options):
        slugs = list(Theme.objects.order_by("slug").values_list("slug", flat=True))
        if not slugs:
            raise CommandError("There are no themes in the database: load them with 'loaddata themes.json'.")
        try:
            findings = read_labels(labelled)
        except (OSError, ValueError, KeyError, TypeError) as error:
            raise CommandError(f"Cannot read the labelled findings in {labelled}: {error}") from error
        unknown = {slug for finding in findings for slug in finding["either"]} - set(slugs)
        if unknown:
            raise CommandError(f"The labelled findings use themes not in the database: {sorted(unknown)}")

        matches = matches_for_texts(
            [finding["text"] for finding in findings],
            [finding.get("section", "") for finding in findings],
            [finding.get("kind") for finding in findings],
        )
        for part in split or ["tune", "holdout"]:
            chosen = [i for i, finding in enumerate(findings) if part in ("all", finding["split"])]
            scores = score_tagging(
                [findings[i]["both"] for i in chosen],
                [matches[i].keys() for i in chosen],
                slugs,
                accepted=[findings[i]["either"] for i in chosen],
            )
            self._table(f"{part}: {len(chosen)} labelled findings", scores)
        if errors:
            shown = [i for i, finding in enumerate(findings) if finding["split"] == "tune"]
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
            missed = sorted(set(finding["both"]) - matched.keys())
            wrong = {slug: words for slug, words in matched.items() if slug not in finding["either"]}
            if missed or wrong:
                write(
                    f"\n#{finding['id']} [{finding['kind']}] ({finding.get('section', '')}) {finding['text']}"
                )
                for slug in missed:
                    write(f"  missed {slug}")
                for slug, words in sorted(wrong.items()):
                    write(f"  wrongly {slug} (matched: {words})")
