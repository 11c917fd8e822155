"""How a finding is cited: who said it, in which report, where in it, and its address here."""


def finding_citation(inspection, *, number: int | None, page: int | None, url: str) -> str:
    """E.g. "Ofsted, Inspection of Leeds local authority children's services, 6 March 2023,
    paragraph 14 (page 5), https://…/inspections/12/#finding-14". The report's title names the
    authority and the inspection as printed; where it does not, the archive's names are added."""
    authority = inspection.authority
    source = inspection.title or inspection.get_kind_display()
    if authority.short_name.lower() not in source.lower():
        source = f"{source}, {authority.name}"
    when = f"{inspection.date.day} {inspection.date:%B %Y}" if inspection.date else "undated"
    if number and page:
        place = f"paragraph {number} (page {page})"
    elif number:
        place = f"paragraph {number}"
    else:
        place = f"page {page}" if page else ""
    return ", ".join(part for part in ("Ofsted", source, when, place, url) if part)
