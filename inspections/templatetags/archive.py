from django import template

from inspections.choices import Grade

register = template.Library()
GRADE_LABELS = dict(Grade.choices)


@register.filter
def grade_label(grade: str | None) -> str:
    return GRADE_LABELS.get(grade or "", "")


@register.filter
def get_item(mapping: dict, key):
    return mapping.get(key)
