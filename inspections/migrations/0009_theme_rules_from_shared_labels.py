"""The theme rules tuned against the shared two-reader labels (score_themes), carried to existing
databases: each theme whose rules are still the ones shipped before (not edited by staff) gets the new
rules, then the whole archive is re-tagged, since the matching itself changed too (supporting phrases,
the heading as context). Themes staff have edited keep their rules; the re-tag applies the new matching
to them as well. A database with no themes yet gets the rules from fixtures/themes.json instead."""

from django.db import migrations

from inspections.models import rule_lines
from inspections.themes import retag_archive

FIELDS = ("phrases", "supporting_phrases", "exclusions")

# The rules shipped in fixtures/themes.json before this migration, by slug.
PREVIOUS = {
    "allegations": {
        "exclusions": "",
        "phrases": "designated officer\n"
        "LADO\n"
        "allegations against professionals\n"
        "allegations against staff\n"
        "managing allegations\n"
        "position of trust",
    },
    "assessment": {
        "exclusions": "analysis of data",
        "phrases": "quality of assessments\n"
        "assessments of need\n"
        "assessment of risk\n"
        "initial assessment\n"
        "core assessment\n"
        "single assessment\n"
        "parenting assessment\n"
        "pre-birth assessment\n"
        "assessments and plans\n"
        "analysis\n"
        "risk and protective factors\n"
        "historical factors\n"
        "family history",
    },
    "care-leavers": {
        "exclusions": "",
        "phrases": "care leavers\n"
        "leaving care\n"
        "pathway plan\n"
        "pathway review\n"
        "personal adviser\n"
        "personal advisor\n"
        "staying put\n"
        "staying close\n"
        "local offer\n"
        "care experienced\n"
        "independent living\n"
        "semi-independent\n"
        "NEET",
    },
    "child-protection": {
        "exclusions": "child protection chair\nchild protection conference chair",
        "phrases": "child protection\n"
        "section 47\n"
        "s47\n"
        "strategy discussion\n"
        "strategy meeting\n"
        "core group\n"
        "significant harm\n"
        "CP plan\n"
        "CP conference\n"
        "case conference",
    },
    "child-voice": {
        "exclusions": "",
        "phrases": "voice\n"
        "views\n"
        "wishes\n"
        "seen alone\n"
        "children seen\n"
        "direct work\n"
        "participation\n"
        "advocacy\n"
        "advocate\n"
        "children in care council\n"
        "youth council\n"
        "lived experience\n"
        "listened\n"
        "co-produced\n"
        "involvement of children\n"
        "feedback from children",
    },
    "children-in-care": {
        "exclusions": "adoption placement\n"
        "foster to adopt placements\n"
        "placement order\n"
        "private fostering\n"
        "private foster carers\n"
        "foster to adopt\n"
        "children placed for adoption\n"
        "children are placed for adoption",
        "phrases": "placement\n"
        "foster carers\n"
        "fostering\n"
        "residential\n"
        "children's homes\n"
        "childrens homes\n"
        "unregistered\n"
        "unregulated\n"
        "sufficiency strategy\n"
        "placement sufficiency\n"
        "come into care\n"
        "came into care\n"
        "enter care\n"
        "edge of care\n"
        "placed outside\n"
        "placed out of the borough\n"
        "close to home\n"
        "children placed\n"
        "children are placed\n"
        "looked after review\n"
        "looked after children review\n"
        "reviews for children looked after\n"
        "connected carers\n"
        "kinship",
    },
    "disabled-children": {
        "exclusions": "",
        "phrases": "disabled\nspecial educational needs\neducation, health and care plan\nEHCP",
    },
    "domestic-abuse": {
        "exclusions": "",
        "phrases": "domestic abuse\n"
        "domestic violence\n"
        "MARAC\n"
        "risk assessment conference\n"
        "coercive control\n"
        "perpetrator\n"
        "IDVA",
    },
    "early-help": {
        "exclusions": "",
        "phrases": "early help\n"
        "early intervention\n"
        "CAF\n"
        "common assessment framework\n"
        "family support\n"
        "step-down\n"
        "team around the family\n"
        "preventative services\n"
        "children's centres\n"
        "family hubs\n"
        "early support\n"
        "troubled families",
    },
    "equality-diversity": {
        "exclusions": "organisational culture\n"
        "learning culture\n"
        "practice culture\n"
        "practice and culture\n"
        "collective culture\n"
        "positive culture",
        "phrases": "diversity\n"
        "equality\n"
        "ethnicity\n"
        "culture\n"
        "religion\n"
        "religious\n"
        "faith\n"
        "interpreter\n"
        "identity\n"
        "unaccompanied\n"
        "asylum\n"
        "racism\n"
        "anti-racist\n"
        "heritage\n"
        "protected characteristics",
    },
    "exploitation-missing": {
        "exclusions": "missing from education",
        "phrases": "exploitation\n"
        "CSE\n"
        "CCE\n"
        "county lines\n"
        "trafficking\n"
        "missing\n"
        "return home interview\n"
        "contextual safeguarding\n"
        "radicalisation\n"
        "extremism\n"
        "extremist\n"
        "gangs\n"
        "serious youth violence\n"
        "complex safeguarding\n"
        "weapons",
    },
    "front-door": {
        "exclusions": "contact, referral and assessment\nemergency duty team",
        "phrases": "front door\n"
        "MASH\n"
        "multi-agency safeguarding hub\n"
        "single referral unit\n"
        "referral\n"
        "re-referral\n"
        "contact and referral\n"
        "threshold\n"
        "duty team\n"
        "duty and assessment\n"
        "duty and advice\n"
        "initial response\n"
        "screening\n"
        "step-up\n"
        "consent",
    },
    "health-education": {
        "exclusions": "",
        "phrases": "health assessment\n"
        "health needs\n"
        "health services\n"
        "mental health\n"
        "emotional health\n"
        "emotional wellbeing\n"
        "emotional well-being\n"
        "CAMHS\n"
        "personal education plan\n"
        "PEP\n"
        "virtual school\n"
        "attainment\n"
        "educational progress\n"
        "educational needs\n"
        "school attendance\n"
        "health and education\n"
        "education of children\n"
        "education and health\n"
        "therapy\n"
        "dental\n"
        "immunisation\n"
        "strengths and difficulties questionnaire",
    },
    "leadership": {
        "exclusions": "team leaders",
        "phrases": "leaders\n"
        "leadership\n"
        "director of children's services\n"
        "DCS\n"
        "elected members\n"
        "councillors\n"
        "lead member\n"
        "chief executive\n"
        "corporate parenting\n"
        "political\n"
        "improvement plan\n"
        "improvement board\n"
        "self-awareness\n"
        "investment\n"
        "budget\n"
        "commissioning",
    },
    "legal-proceedings": {
        "exclusions": "",
        "phrases": "pre-proceedings\n"
        "proceedings\n"
        "Public Law Outline\n"
        "PLO\n"
        "court\n"
        "Cafcass\n"
        "judiciary\n"
        "care order\n"
        "supervision order\n"
        "placement order\n"
        "legal",
    },
    "management-oversight": {
        "exclusions": "",
        "phrases": "oversight\n"
        "decision making\n"
        "rationale\n"
        "independent reviewing officer\n"
        "IRO\n"
        "child protection chair\n"
        "conference chair\n"
        "management challenge\n"
        "case direction\n"
        "management grip\n"
        "monitored by managers\n"
        "management decisions",
    },
    "multi-agency": {
        "exclusions": "agency staff\n"
        "agency workers\n"
        "agency social workers\n"
        "single-agency\n"
        "adoption agency\n"
        "agency decision maker\n"
        "virtual school\n"
        "improvement board\n"
        "corporate parenting board",
        "phrases": "multi-agency\n"
        "partner agencies\n"
        "partners\n"
        "partnership\n"
        "police\n"
        "health partners\n"
        "health visitors\n"
        "health professionals\n"
        "schools\n"
        "information sharing\n"
        "LSCB\n"
        "safeguarding children board\n"
        "safeguarding partnership\n"
        "agencies\n"
        "interagency\n"
        "joint working\n"
        "board\n"
        "work well together\n"
        "multidisciplinary\n"
        "shared information",
    },
    "neglect": {"exclusions": "", "phrases": "neglect\ncumulative harm\ngraded care profile"},
    "out-of-hours": {
        "exclusions": "",
        "phrases": "out-of-hours\n"
        "out of hours service\n"
        "out of hours arrangements\n"
        "out of hours team\n"
        "out of hours duty\n"
        "emergency duty\n"
        "EDT\n"
        "outside office hours\n"
        "evenings and weekends",
    },
    "permanence": {
        "exclusions": "permanent staff\n"
        "permanent social workers\n"
        "permanent posts\n"
        "permanent workforce\n"
        "permanent exclusions",
        "phrases": "permanence\n"
        "adoption\n"
        "special guardianship\n"
        "SGO\n"
        "life story\n"
        "later life letter\n"
        "reunification\n"
        "re-unification\n"
        "long-term fostering\n"
        "parallel planning",
    },
    "planning": {
        "exclusions": "subject to child protection plans\n"
        "subject to child in need and child protection plans",
        "phrases": "care plan\n"
        "children's plans\n"
        "childrens plans\n"
        "child's plan\n"
        "childs plan\n"
        "plans for children\n"
        "written plans\n"
        "contingency plan\n"
        "quality of plans\n"
        "assessments and plans\n"
        "progress of plans\n"
        "SMART\n"
        "placement plans\n"
        "child in need plans\n"
        "child protection plans\n"
        "pathway plans\n"
        "safety plan\n"
        "transition plans\n"
        "outcome-focused",
    },
    "private-fostering": {"exclusions": "", "phrases": "private fostering"},
    "quality-assurance": {
        "exclusions": "",
        "phrases": "quality assurance\n"
        "audit\n"
        "performance information\n"
        "performance data\n"
        "performance management\n"
        "management information\n"
        "data\n"
        "self-evaluation\n"
        "self assessment\n"
        "moderation\n"
        "dataset",
    },
    "recording": {
        "exclusions": "",
        "phrases": "recording\ncase records\nchronology\ncase file\nelectronic\ndocumented",
    },
    "supervision": {
        "exclusions": "supervised contact\nsupervised family time\nsupervision order",
        "phrases": "supervision\nreflective practice",
    },
    "timeliness": {
        "exclusions": "",
        "phrases": "timeliness\n"
        "timescale\n"
        "delay\n"
        "drift\n"
        "prompt\n"
        "timely manner\n"
        "timely way\n"
        "timely fashion\n"
        "timely decisions\n"
        "timely response\n"
        "timely completion\n"
        "timely access\n"
        "timely action\n"
        "timely support\n"
        "timely progress\n"
        "swiftly\n"
        "quickly\n"
        "waiting\n"
        "frequency of visits\n"
        "overdue\n"
        "soon enough",
    },
    "workforce": {
        "exclusions": "recruitment of foster carers\n"
        "foster carer recruitment\n"
        "recruit and retain foster carers\n"
        "retain foster carers\n"
        "recruitment of adopters\n"
        "employment or training\n"
        "training and employment\n"
        "education and training",
        "phrases": "workforce\n"
        "caseload\n"
        "workload\n"
        "recruitment\n"
        "retention\n"
        "retain\n"
        "agency staff\n"
        "agency workers\n"
        "agency social workers\n"
        "newly qualified\n"
        "ASYE\n"
        "training\n"
        "morale\n"
        "turnover\n"
        "changes of social worker\n"
        "staffing\n"
        "vacancies\n"
        "professional development\n"
        "induction\n"
        "unallocated",
    },
    "young-carers-16plus": {"exclusions": "", "phrases": "young carers\nhomeless\njoint protocol"},
}

# The rules shipped with this migration, by slug.
CURRENT = {
    "allegations": {
        "exclusions": "",
        "phrases": "designated officer\n"
        "LADO\n"
        "allegations against professionals\n"
        "allegations against staff\n"
        "managing allegations\n"
        "position of trust",
        "supporting_phrases": "",
    },
    "assessment": {
        "exclusions": "analysis of data\n"
        "health assessment\n"
        "initial health assessment\n"
        "review health assessment\n"
        "self-assessment\n"
        "self assessment\n"
        "joint strategic needs assessment\n"
        "needs assessment\n"
        "viability assessment\n"
        "assessment team\n"
        "assessment service\n"
        "referral and assessment\n"
        "common assessment framework\n"
        "foster carer assessment\n"
        "assessment of foster carers\n"
        "performance assessment\n"
        "referral, assessment and intervention",
        "phrases": "quality of assessments\n"
        "assessments of need\n"
        "assessment of risk\n"
        "core assessment\n"
        "single assessment\n"
        "parenting assessment\n"
        "pre-birth assessment\n"
        "assessments and plans\n"
        "risk and protective factors\n"
        "historical factors\n"
        "family history\n"
        "child and family assessment\n"
        "holistic assessment\n"
        "comprehensive assessment\n"
        "thorough assessment\n"
        "robust assessment\n"
        "assessment",
        "supporting_phrases": "analysis\n"
        "history\n"
        "chronology\n"
        "risk assessment\n"
        "social work assessment\n"
        "initial assessment",
    },
    "care-leavers": {
        "exclusions": "",
        "phrases": "pathway plan\n"
        "pathway review\n"
        "personal adviser\n"
        "personal advisor\n"
        "staying put\n"
        "staying close\n"
        "local offer\n"
        "independent living\n"
        "NEET\n"
        "care leavers",
        "supporting_phrases": "semi-independent\ncare experienced\nleaving care\nsuitable accommodation",
    },
    "child-protection": {
        "exclusions": "child protection chair\nchild protection conference chair",
        "phrases": "child protection\n"
        "section 47\n"
        "s47\n"
        "strategy discussion\n"
        "strategy meeting\n"
        "core group\n"
        "CP plan\n"
        "CP conference\n"
        "case conference",
        "supporting_phrases": "significant harm",
    },
    "child-voice": {
        "exclusions": "",
        "phrases": "seen alone\n"
        "children seen\n"
        "direct work\n"
        "children in care council\n"
        "youth council\n"
        "involvement of children\n"
        "feedback from children\n"
        "voice of the child\n"
        "wishes and feelings\n"
        "views of children\n"
        "children's views\n"
        "child's views\n"
        "young people's views\n"
        "views of the child\n"
        "voice of children\n"
        "children's voices\n"
        "child's voice\n"
        "seen regularly\n"
        "children are seen\n"
        "voice\n"
        "wishes\n"
        "co-produced\n"
        "participation\n"
        "advocacy\n"
        "views and experiences\n"
        "talking to children",
        "supporting_phrases": "views\n"
        "advocate\n"
        "listened\n"
        "lived experience\n"
        "consultation\n"
        "feedback\n"
        "influence\n"
        "children's experiences",
    },
    "children-in-care": {
        "exclusions": "adoption placement\n"
        "foster to adopt placements\n"
        "placement order\n"
        "private fostering\n"
        "private foster carers\n"
        "foster to adopt\n"
        "children placed for adoption\n"
        "children are placed for adoption\n"
        "stay with their foster carers\n"
        "remain with their foster carers",
        "phrases": "placement\n"
        "foster carers\n"
        "residential\n"
        "children's homes\n"
        "childrens homes\n"
        "unregistered\n"
        "unregulated\n"
        "sufficiency strategy\n"
        "placement sufficiency\n"
        "come into care\n"
        "came into care\n"
        "enter care\n"
        "edge of care\n"
        "placed outside\n"
        "placed out of the borough\n"
        "close to home\n"
        "children placed\n"
        "children are placed\n"
        "looked after review\n"
        "looked after children review\n"
        "reviews for children looked after\n"
        "connected carers\n"
        "kinship\n"
        "placement stability\n"
        "stable placements\n"
        "foster care\n"
        "fostering service\n"
        "foster placements\n"
        "become looked after\n"
        "taken into care\n"
        "placement choice\n"
        "placement moves\n"
        "residential care\n"
        "voluntarily accommodated\n"
        "accommodate children\n"
        "section 20",
        "supporting_phrases": "children in care\n"
        "carers\n"
        "care placement\n"
        "stability\n"
        "fostering\n"
        "IRO\n"
        "family time\n"
        "contact with family\n"
        "children looked after\n"
        "looked after children\n"
        "sufficiency",
    },
    "disabled-children": {
        "exclusions": "",
        "phrases": "special educational needs\n"
        "education, health and care plan\n"
        "EHCP\n"
        "disabled children\n"
        "children with disabilities\n"
        "disabled young people\n"
        "short breaks\n"
        "learning disabilities\n"
        "learning difficulties",
        "supporting_phrases": "disabled\nautism\nadditional needs",
    },
    "domestic-abuse": {
        "exclusions": "",
        "phrases": "domestic abuse\n"
        "domestic violence\n"
        "MARAC\n"
        "risk assessment conference\n"
        "coercive control\n"
        "perpetrator\n"
        "IDVA",
        "supporting_phrases": "",
    },
    "early-help": {
        "exclusions": "",
        "phrases": "early help\n"
        "early intervention\n"
        "CAF\n"
        "common assessment framework\n"
        "family support\n"
        "step-down\n"
        "team around the family\n"
        "preventative services\n"
        "children's centres\n"
        "family hubs\n"
        "early support\n"
        "troubled families",
        "supporting_phrases": "",
    },
    "equality-diversity": {
        "exclusions": "organisational culture\n"
        "learning culture\n"
        "practice culture\n"
        "practice and culture\n"
        "collective culture\n"
        "positive culture",
        "phrases": "diversity\n"
        "equality\n"
        "ethnicity\n"
        "religion\n"
        "religious\n"
        "interpreter\n"
        "identity\n"
        "unaccompanied\n"
        "asylum\n"
        "racism\n"
        "anti-racist\n"
        "protected characteristics",
        "supporting_phrases": "culture\nfaith\nheritage\nlanguage",
    },
    "exploitation-missing": {
        "exclusions": "missing from education",
        "phrases": "exploitation\n"
        "CSE\n"
        "CCE\n"
        "county lines\n"
        "trafficking\n"
        "missing\n"
        "return home interview\n"
        "contextual safeguarding\n"
        "radicalisation\n"
        "extremism\n"
        "extremist\n"
        "gangs\n"
        "serious youth violence\n"
        "complex safeguarding\n"
        "weapons",
        "supporting_phrases": "",
    },
    "front-door": {
        "exclusions": "contact, referral and assessment\nemergency duty team",
        "phrases": "front door\n"
        "MASH\n"
        "multi-agency safeguarding hub\n"
        "single referral unit\n"
        "re-referral\n"
        "contact and referral\n"
        "duty team\n"
        "duty and assessment\n"
        "duty and advice\n"
        "step-up\n"
        "threshold document\n"
        "application of thresholds\n"
        "thresholds are applied\n"
        "thresholds are understood\n"
        "threshold\n"
        "repeat referrals",
        "supporting_phrases": "referral\nscreening\nconsent\ninitial response\ncontacts\ntriage",
    },
    "health-education": {
        "exclusions": "",
        "phrases": "health assessment\n"
        "health needs\n"
        "health services\n"
        "emotional health\n"
        "emotional wellbeing\n"
        "emotional well-being\n"
        "CAMHS\n"
        "personal education plan\n"
        "PEP\n"
        "virtual school\n"
        "attainment\n"
        "educational progress\n"
        "educational needs\n"
        "school attendance\n"
        "education of children\n"
        "therapy\n"
        "dental\n"
        "immunisation\n"
        "strengths and difficulties questionnaire\n"
        "child and adolescent mental health\n"
        "children's mental health\n"
        "emotional and mental health\n"
        "health histories\n"
        "health information\n"
        "educational attainment\n"
        "mental health",
        "supporting_phrases": "health and education\neducation and health\nmedical",
    },
    "leadership": {
        "exclusions": "team leaders\nschool leaders",
        "phrases": "leadership\n"
        "director of children's services\n"
        "DCS\n"
        "elected members\n"
        "councillors\n"
        "lead member\n"
        "chief executive\n"
        "corporate parenting\n"
        "improvement plan\n"
        "improvement board\n"
        "self-awareness\n"
        "senior leaders\n"
        "corporate support\n"
        "political support\n"
        "strategic leadership\n"
        "leaders",
        "supporting_phrases": "investment\nbudget\ncommissioning\npolitical\nresources",
    },
    "legal-proceedings": {
        "exclusions": "",
        "phrases": "pre-proceedings\n"
        "Public Law Outline\n"
        "PLO\n"
        "Cafcass\n"
        "judiciary\n"
        "care order\n"
        "supervision order\n"
        "placement order\n"
        "care proceedings\n"
        "court proceedings\n"
        "legal proceedings\n"
        "public law proceedings\n"
        "court work\n"
        "family court\n"
        "legal advice\n"
        "legal planning meeting\n"
        "legal gateway\n"
        "court timescales\n"
        "26 weeks",
        "supporting_phrases": "proceedings\ncourt\nlegal",
    },
    "management-oversight": {
        "exclusions": "strategic oversight",
        "phrases": "independent reviewing officer\n"
        "IRO\n"
        "child protection chair\n"
        "conference chair\n"
        "management challenge\n"
        "case direction\n"
        "management grip\n"
        "monitored by managers\n"
        "management decisions\n"
        "management oversight\n"
        "managerial oversight\n"
        "oversight by managers\n"
        "senior management oversight\n"
        "rationale for decisions\n"
        "oversight\n"
        "management direction\n"
        "overseen by managers\n"
        "decision making",
        "supporting_phrases": "rationale\n"
        "challenge\n"
        "escalation\n"
        "decisions\n"
        "overseen\n"
        "oversee\n"
        "endorsed\n"
        "team managers\n"
        "senior managers\n"
        "practice managers\n"
        "managerial",
    },
    "multi-agency": {
        "exclusions": "agency staff\n"
        "agency workers\n"
        "agency social workers\n"
        "single-agency\n"
        "adoption agency\n"
        "agency decision maker\n"
        "virtual school\n"
        "improvement board\n"
        "corporate parenting board\n"
        "partnership with parents\n"
        "partnership with families\n"
        "fostering agencies",
        "phrases": "multi-agency\n"
        "partner agencies\n"
        "partners\n"
        "partnership\n"
        "police\n"
        "health partners\n"
        "health visitors\n"
        "health professionals\n"
        "information sharing\n"
        "LSCB\n"
        "safeguarding children board\n"
        "safeguarding partnership\n"
        "interagency\n"
        "joint working\n"
        "work well together\n"
        "multidisciplinary\n"
        "shared information\n"
        "agencies\n"
        "board\n"
        "health practitioners\n"
        "youth justice",
        "supporting_phrases": "schools\nprofessionals\npractitioners\nescalation",
    },
    "neglect": {
        "exclusions": "",
        "phrases": "neglect\ncumulative harm\ngraded care profile",
        "supporting_phrases": "",
    },
    "out-of-hours": {
        "exclusions": "",
        "phrases": "out-of-hours\n"
        "out of hours service\n"
        "out of hours arrangements\n"
        "out of hours team\n"
        "out of hours duty\n"
        "emergency duty\n"
        "EDT\n"
        "outside office hours\n"
        "evenings and weekends",
        "supporting_phrases": "",
    },
    "permanence": {
        "exclusions": "permanent staff\n"
        "permanent social workers\n"
        "permanent posts\n"
        "permanent workforce\n"
        "permanent exclusions\n"
        "permanently excluded\n"
        "permanent police\n"
        "return home interview",
        "phrases": "permanence\n"
        "adoption\n"
        "special guardianship\n"
        "SGO\n"
        "life story\n"
        "later life letter\n"
        "reunification\n"
        "re-unification\n"
        "long-term fostering\n"
        "parallel planning\n"
        "return home\n"
        "reunited\n"
        "return to their families\n"
        "return to the care of their parents\n"
        "permanence planning",
        "supporting_phrases": "extended family\nlong-term\nstability",
    },
    "planning": {
        "exclusions": "subject to child protection plans\n"
        "subject to child in need and child protection plans",
        "phrases": "care plan\n"
        "children's plans\n"
        "childrens plans\n"
        "child's plan\n"
        "childs plan\n"
        "plans for children\n"
        "written plans\n"
        "contingency plan\n"
        "quality of plans\n"
        "assessments and plans\n"
        "progress of plans\n"
        "placement plans\n"
        "child in need plans\n"
        "child protection plans\n"
        "pathway plans\n"
        "safety plan\n"
        "transition plans\n"
        "outcome-focused\n"
        "plans are reviewed\n"
        "review of plans\n"
        "plans are regularly reviewed\n"
        "plans are not reviewed\n"
        "plans are clear\n"
        "plans lack\n"
        "plans are detailed\n"
        "plans are specific",
        "supporting_phrases": "plan\ncontingency\nSMART\nreviews",
    },
    "private-fostering": {"exclusions": "", "phrases": "private fostering", "supporting_phrases": ""},
    "quality-assurance": {
        "exclusions": "",
        "phrases": "quality assurance\n"
        "audit\n"
        "performance information\n"
        "performance data\n"
        "performance management\n"
        "management information\n"
        "data\n"
        "self-evaluation\n"
        "self assessment\n"
        "moderation\n"
        "dataset\n"
        "dashboard\n"
        "scorecard\n"
        "needs analysis\n"
        "problem profile\n"
        "JSNA\n"
        "joint strategic needs assessment\n"
        "learning from audits\n"
        "learning from case reviews\n"
        "learning reviews\n"
        "performance reports\n"
        "key performance indicators\n"
        "evaluate the effectiveness",
        "supporting_phrases": "performance\nevaluate\nscrutiny\nlearning\ncase reviews\nanalysis",
    },
    "recording": {
        "exclusions": "",
        "phrases": "case records\n"
        "chronology\n"
        "case file\n"
        "quality of recording\n"
        "electronic records\n"
        "case management system\n"
        "recording",
        "supporting_phrases": "documented\nelectronic",
    },
    "supervision": {
        "exclusions": "supervised contact\nsupervised family time\nsupervision order",
        "phrases": "supervision\nreflective practice",
        "supporting_phrases": "",
    },
    "timeliness": {
        "exclusions": "",
        "phrases": "timeliness\n"
        "delay\n"
        "drift\n"
        "timely manner\n"
        "timely way\n"
        "timely fashion\n"
        "timely decisions\n"
        "timely response\n"
        "timely completion\n"
        "timely access\n"
        "timely action\n"
        "timely support\n"
        "timely progress\n"
        "frequency of visits\n"
        "overdue\n"
        "soon enough\n"
        "visited regularly\n"
        "regular visits\n"
        "within timescales\n"
        "without delay\n"
        "as a matter of priority\n"
        "child's timescale\n"
        "children's timescales\n"
        "timescale\n"
        "swiftly\n"
        "quickly\n"
        "prompt",
        "supporting_phrases": "waiting",
    },
    "workforce": {
        "exclusions": "recruitment of foster carers\n"
        "foster carer recruitment\n"
        "recruit and retain foster carers\n"
        "retain foster carers\n"
        "recruitment of adopters\n"
        "employment or training\n"
        "training and employment\n"
        "education and training\n"
        "training providers",
        "phrases": "workforce\n"
        "caseload\n"
        "workload\n"
        "recruitment\n"
        "retention\n"
        "retain\n"
        "agency staff\n"
        "agency workers\n"
        "agency social workers\n"
        "newly qualified\n"
        "ASYE\n"
        "training\n"
        "morale\n"
        "turnover\n"
        "changes of social worker\n"
        "staffing\n"
        "vacancies\n"
        "professional development\n"
        "induction\n"
        "unallocated\n"
        "suitably qualified\n"
        "qualified and experienced\n"
        "skilled social workers\n"
        "enough social workers\n"
        "sufficient social workers\n"
        "learning culture\n"
        "workforce development\n"
        "staff turnover\n"
        "stable workforce\n"
        "workforce stability\n"
        "continuity of social worker",
        "supporting_phrases": "capacity\nstaff\nexperienced social workers\npermanent",
    },
    "young-carers-16plus": {
        "exclusions": "",
        "phrases": "young carers\nhomeless\njoint protocol",
        "supporting_phrases": "",
    },
}


def _rules(theme) -> dict[str, str]:
    return {field: "\n".join(rule_lines(getattr(theme, field))) for field in FIELDS}


def _swap(apps, before: dict, after: dict) -> None:
    Theme = apps.get_model("inspections", "Theme")
    for theme in Theme.objects.filter(slug__in=after.keys() & before.keys()):
        shipped = {"supporting_phrases": "", **before[theme.slug]}
        if _rules(theme) == {field: "\n".join(rule_lines(shipped.get(field, ""))) for field in FIELDS}:
            for field in FIELDS:
                setattr(theme, field, after[theme.slug].get(field, ""))
            theme.save(update_fields=list(FIELDS))
    if Theme.objects.exists():
        retag_archive()


def forwards(apps, schema_editor):
    _swap(apps, PREVIOUS, CURRENT)


def backwards(apps, schema_editor):
    _swap(apps, CURRENT, PREVIOUS)


class Migration(migrations.Migration):
    dependencies = [("inspections", "0008_theme_supporting_phrases")]

    operations = [migrations.RunPython(forwards, backwards)]
