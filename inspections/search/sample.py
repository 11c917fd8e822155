"""The sample broad searches estimate their counts from: one finding in SAMPLE_EVERY, those whose id
is a multiple of it. Ids are handed out in order, so the sample is spread evenly over every report,
authority and year; it has indexes of its own (models.Finding.Meta), each a small fraction of the
whole."""

from django.db.models import Q
from django.db.models.functions import Mod
from django.db.models.lookups import Exact

SAMPLE_EVERY = 32
IN_SAMPLE = Q(Exact(Mod("id", SAMPLE_EVERY), 0))
