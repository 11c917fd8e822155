from django.core.management.base import BaseCommand

from inspections.alerts import alerts_send
from inspections.models import AlertFrequency


class Command(BaseCommand):
    help = (
        "Send the email alerts due: each confirmed alert whose day or week has not been checked gets one "
        "mail of the findings published since its last, if there are any; mails that failed before are "
        "tried again. Safe to run as often as wanted, and twice at once. Run it daily (cron, or the "
        "send_alerts task where a worker runs)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--frequency",
            choices=AlertFrequency.values,
            help="Check only the alerts of this frequency (default: both). Mails waiting are sent either way.",
        )

    def handle(self, *args, frequency: str | None, **options):
        report = alerts_send(frequency=frequency)
        self.stdout.write(str(report))
        if report.failed or report.given_up:
            self.stderr.write(
                f"{report.failed + report.given_up} mail(s) refused by the mail server: see the log, and "
                "AlertDelivery.last_error. Those not given up are tried again by the next run."
            )
