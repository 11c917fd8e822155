import time

from django.core.management.base import BaseCommand, CommandError

from inspections.perf.synthetic import drop_synthetic, synthesise, synthetic_summary


class Command(BaseCommand):
    help = (
        "Add a synthetic archive on top of the real one, for measuring at scale (see `bench`): real "
        "finding sentences recombined over the real authorities, inspection kinds, dates, grades, finding "
        "kinds and themes. The same seed over the same real archive makes the same rows. --drop removes "
        "only what this command made."
    )

    def add_arguments(self, parser):
        parser.add_argument("--findings", type=int, default=0, help="How many synthetic findings to add.")
        parser.add_argument("--seed", type=int, default=1, help="Random seed (default 1).")
        parser.add_argument(
            "--drop",
            action="store_true",
            help="Remove every synthetic row first (alone: just remove them). Real rows are never touched.",
        )

    def handle(self, *args, findings: int, seed: int, drop: bool, **options):
        if findings < 0 or (not findings and not drop):
            raise CommandError("Give --findings N (N > 0), --drop, or both.")
        started = time.perf_counter()
        log = self.stdout.write if options["verbosity"] else (lambda message: None)
        if drop:
            drop_synthetic(log=log)
        elif findings and synthetic_summary()["inspections"]:
            existing = synthetic_summary()
            raise CommandError(
                f"The archive already holds {existing['findings']} synthetic findings: add --drop to "
                "replace them."
            )
        if findings:
            counts = synthesise(findings=findings, seed=seed, log=log)
            log(
                f"Added {counts.inspections} inspections, {counts.judgements} judgements, "
                f"{counts.findings} findings and {counts.tags} theme tags "
                f"in {time.perf_counter() - started:.0f} s."
            )
