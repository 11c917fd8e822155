"""The archive's fixed vocabularies, exactly as in the data contract (CONTRACT.md).

The database, the search filters, the exports and ``parse_report`` all use these slugs.
"""

from django.db import models


class InspectionKind(models.TextChoices):
    CRA_UNANNOUNCED = "cra_unannounced", "Unannounced inspection of contact, referral and assessment"
    SLAC = "slac", "Inspection of safeguarding and looked after children services"
    LAC_2012 = "lac_2012", "Inspection of looked after children services (2012-2013)"
    CHILD_PROTECTION_2012 = "child_protection_2012", "Inspection of child protection arrangements (2012-2013)"
    SIF = "sif", "Single inspection framework (2013-2018)"
    ILACS = "ilacs", "Inspection of local authority children's services (ILACS)"
    FOCUSED_VISIT = "focused_visit", "Focused visit"
    MONITORING_VISIT = "monitoring_visit", "Monitoring visit"
    JTAI = "jtai", "Joint targeted area inspection"
    OTHER = "other", "Other inspection document"


class JudgementArea(models.TextChoices):
    OVERALL_EFFECTIVENESS = "overall_effectiveness", "Overall effectiveness"
    IMPACT_OF_LEADERS = "impact_of_leaders", "Impact of leaders on practice"
    HELP_AND_PROTECTION = "help_and_protection", "Children who need help and protection"
    IN_CARE_AND_CARE_LEAVERS = "in_care_and_care_leavers", "Children in care and care leavers"
    IN_CARE = "in_care", "Children in care"
    CARE_LEAVERS = "care_leavers", "Care leavers"
    ADOPTION = "adoption", "Adoption performance"
    LEADERSHIP = "leadership", "Leadership, management and governance"
    LSCB = "lscb", "Local Safeguarding Children Board"
    CAPACITY_TO_IMPROVE = "capacity_to_improve", "Capacity to improve"
    SAFEGUARDING = "safeguarding", "Overall effectiveness of safeguarding services"


class Grade(models.TextChoices):
    OUTSTANDING = "outstanding", "Outstanding"
    GOOD = "good", "Good"
    ADEQUATE = "adequate", "Adequate"
    REQUIRES_IMPROVEMENT = "requires_improvement", "Requires improvement to be good"
    INADEQUATE = "inadequate", "Inadequate"


class FindingKind(models.TextChoices):
    STRENGTH = "strength", "Strength"
    MEETS_REQUIREMENTS = "meets_requirements", "Meets statutory requirements"
    AREA_FOR_IMPROVEMENT = "area_for_improvement", "Area for improvement"
    PRIORITY_ACTION = "priority_action", "Priority action"
    RECOMMENDATION = "recommendation", "Recommendation"
    NARRATIVE = "narrative", "Narrative finding"


# Each generation of report names its improvement points differently: letters' areas for
# development and ILACS' areas for improvement are both area_for_improvement, SIF and earlier
# reports' recommendations are recommendation, and priority action the most urgent of them.
IMPROVEMENT_KINDS = (
    FindingKind.AREA_FOR_IMPROVEMENT,
    FindingKind.PRIORITY_ACTION,
    FindingKind.RECOMMENDATION,
)

# The finding-type filter's choices: every kind, after one choice for all the improvement points.
FindingKindFilter = models.TextChoices(
    "FindingKindFilter",
    [("IMPROVEMENT", ("improvement", "All improvement points"))]
    + [(kind.name, (kind.value, kind.label)) for kind in FindingKind],
)

# What each finding type is, and which reports have it (the search page explains its filter).
FINDING_KIND_HINTS = {
    "improvement": "Areas for improvement, priority actions and recommendations together: what every "
    "generation of report asks the council to improve, whatever it calls it.",
    FindingKind.STRENGTH.value: "What a report says the council does well.",
    FindingKind.MEETS_REQUIREMENTS.value: "Older inspections' statements that a service meets its "
    "statutory requirements.",
    FindingKind.AREA_FOR_IMPROVEMENT.value: "ILACS reports' areas for improvement, letters' areas for "
    "development, and SIF reports' “what needs to improve”.",
    FindingKind.PRIORITY_ACTION.value: "What the inspectors ask the council to act on at once.",
    FindingKind.RECOMMENDATION.value: "Single inspection framework (SIF) reports' recommendations.",
    FindingKind.NARRATIVE.value: "The report's account of practice, neither a strength nor a point to improve.",
}


class Region(models.TextChoices):
    NORTH_EAST = "north_east", "North East"
    NORTH_WEST = "north_west", "North West"
    YORKSHIRE_AND_THE_HUMBER = "yorkshire_and_the_humber", "Yorkshire and the Humber"
    EAST_MIDLANDS = "east_midlands", "East Midlands"
    WEST_MIDLANDS = "west_midlands", "West Midlands"
    EAST_OF_ENGLAND = "east_of_england", "East of England"
    LONDON = "london", "London"
    SOUTH_EAST = "south_east", "South East"
    SOUTH_WEST = "south_west", "South West"


class AuthorityType(models.TextChoices):
    COUNTY = "county", "County council"
    METROPOLITAN_DISTRICT = "metropolitan_district", "Metropolitan district"
    LONDON_BOROUGH = "london_borough", "London borough"
    UNITARY = "unitary", "Unitary authority"
    CITY_CORPORATION = "city_corporation", "City corporation"


def choice_values(choices: type[models.TextChoices]) -> list[str]:
    return [value for value, _ in choices.choices]
