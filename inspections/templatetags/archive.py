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


@register.filter
def quoted(text) -> str:
    """Text in curly quotes; a search already in straight quotes has them curled, not doubled."""
    text = str(text)
    if len(text) > 1 and text[0] == text[-1] == '"' and text.count('"') == 2:
        text = text[1:-1]
    return f"“{text}”"
