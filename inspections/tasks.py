"""Work done away from the request, as Django tasks (django.tasks). The backend is settings.TASKS:
the immediate one runs a task as it is enqueued (development, and production without a worker); a
worker backend runs it in the worker instead (README, "Email alerts")."""

import dataclasses

from django.tasks import task

from . import alerts


@task
def send_confirmation(confirmation_id: int) -> bool:
    """Mail the confirmation link of an alert request (alerts.confirmation_send)."""
    return alerts.confirmation_send(confirmation_id)


@task
def send_alerts(frequency: str | None = None) -> dict:
    """Send the alerts due, as `manage.py send_alerts` does (alerts.alerts_send); what it did."""
    return dataclasses.asdict(alerts.alerts_send(frequency=frequency))
