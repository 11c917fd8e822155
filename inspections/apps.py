from django.apps import AppConfig


class InspectionsConfig(AppConfig):
    name = "inspections"
    verbose_name = "Inspection archive"
    default_auto_field = "django.db.models.BigAutoField"
