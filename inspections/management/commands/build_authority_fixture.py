"""Rebuild fixtures/authorities.json from the reference lists in ../shared/reference.

The 153 children's services authorities come from the Ofsted provider lookup (URN, DfE code, current
GSS code, region, statistical neighbours); names, alternative names, former codes, dates and
reorganisations come from mySociety's register of local authorities. Upper-tier councils that were
abolished (Northamptonshire, Cumbria, Bournemouth, Poole, ...) are added too, marked as replaced,
because older reports name them.
"""

import csv
import json
import re
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils.text import slugify

from inspections.choices import AuthorityType, Region

REFERENCE = settings.BASE_DIR.parent / "shared" / "reference"
OUTPUT = settings.BASE_DIR / "fixtures" / "authorities.json"

# mySociety's local-authority-type codes for councils with children's services duties.
TYPES = {
    "CTY": AuthorityType.COUNTY,
    "MD": AuthorityType.METROPOLITAN_DISTRICT,
    "LBO": AuthorityType.LONDON_BOROUGH,
    "UA": AuthorityType.UNITARY,
    "CC": AuthorityType.CITY_CORPORATION,
}
# A name made only of these words ("city of") names no authority in particular.
GENERIC_WORDS = re.compile(
    r"\b(city|of|the|council|borough|county|metropolitan|district|royal|london|and|ua)\b|[^a-z ]"
)
REGIONS = {choice.label.lower(): choice.value for choice in Region}


class Command(BaseCommand):
    help = "Rebuild fixtures/authorities.json from the reference CSVs (see ../shared/reference/README.md)."

    def add_arguments(self, parser):
        parser.add_argument("--reference", type=Path, default=REFERENCE, help="Folder of reference CSVs.")
        parser.add_argument("--output", type=Path, default=OUTPUT, help="Fixture file to write.")

    def handle(self, *args, reference: Path, output: Path, **options):
        if not reference.is_dir():
            raise CommandError(f"No reference folder at {reference}.")
        records = build_records(reference)
        output.write_text(json.dumps(records, indent=1, ensure_ascii=False) + "\n")
        current = sum(1 for record in records if not record["fields"]["end_date"])
        self.stdout.write(f"Wrote {len(records)} authorities ({current} current) to {output}.")


def read_csv(path: Path) -> list[dict]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def split_list(value: str) -> list[str]:
    return [item.strip() for item in value.strip("[]").split(",") if item.strip()]


def build_records(reference: Path) -> list[dict]:
    register = [
        row for row in read_csv(reference / "uk_local_authorities_current.csv") if row["nation"] == "England"
    ]
    by_code = {row["local-authority-code"]: row for row in register}
    by_gss = {}
    for row in register:
        for code in [row["gss-code"], *split_list(row["former-gss-codes"])]:
            by_gss.setdefault(code, row)
    name_to_code = {
        row["la-name"].lower(): row["local-authority-code"]
        for row in read_csv(reference / "lookup_name_to_registry.csv")
    }
    extra_names: dict[str, set[str]] = {}
    for name, code in name_to_code.items():
        extra_names.setdefault(code, set()).add(name)

    ofsted = read_csv(reference / "ofsted_provider_lookup.csv")
    records: dict[str, dict] = {}
    for row in ofsted:
        gss = row["la_code_new"]
        entry = by_gss.get(gss) or by_code.get(name_to_code.get(row["local_authority_ons_name"].lower(), ""))
        if entry is None:
            raise CommandError(f"No register entry for {row['local_authority_ons_name']} ({gss}).")
        record = register_record(entry, extra_names)
        record.update(
            gss_code=gss,
            former_gss_codes=sorted({*record["former_gss_codes"], entry["gss-code"]} - {gss}),
            ofsted_urn=int(row["urn"]),
            dfe_code=row["la_code"],
            region=REGIONS[row["region_name"].lower()],
            neighbours=split_list(row["stat_neighbours_la_code"]),
        )
        record["alternative_names"] = sorted(
            {*record["alternative_names"], *(name.lower() for name in split_list(row["also_known_as"]))}
            | {row["local_authority_ons_name"].lower()}
        )
        records[entry["local-authority-code"]] = record

    # Abolished upper-tier councils that older reports name, with their successors.
    for code, entry in by_code.items():
        if entry["end-date"] and entry["local-authority-type"] in TYPES and code not in records:
            records[code] = register_record(entry, extra_names)

    for record in records.values():
        if not record["region"]:  # the register leaves some abolished councils' region blank
            record["region"] = next(records[c]["region"] for c in record["successors"] if c in records)

    gss_by_register_code = {code: record["gss_code"] for code, record in records.items()}
    known_codes = {
        code: record["gss_code"]
        for record in records.values()
        for code in [record["gss_code"], *record["former_gss_codes"]]
    }
    fixture = []
    for record in sorted(records.values(), key=lambda record: record["gss_code"]):
        neighbours = [known_codes[gss] for gss in record.pop("neighbours") if gss in known_codes]
        successors = [gss_by_register_code[c] for c in record.pop("successors") if c in gss_by_register_code]
        fields = {
            **record,
            "statistical_neighbours": [[gss] for gss in neighbours],
            "replaced_by": [[gss] for gss in successors],
        }
        fixture.append({"model": "inspections.authority", "fields": fields})
    assign_slugs(fixture)
    return fixture


def register_record(entry: dict, extra_names: dict[str, set[str]]) -> dict:
    code = entry["local-authority-code"]
    names = {name.lower() for name in split_list(entry["alt-names"])} | extra_names.get(code, set())
    names |= {entry["official-name"].lower(), entry["nice-name"].lower()}
    names = {name for name in names if GENERIC_WORDS.sub("", name).strip()}
    return {
        "name": entry["official-name"],
        "short_name": short_name(entry),
        "gss_code": entry["gss-code"],
        "former_gss_codes": sorted(set(split_list(entry["former-gss-codes"])) - {entry["gss-code"]}),
        "ofsted_urn": None,
        "dfe_code": "",
        "region": REGIONS.get(entry["region"].lower(), ""),
        "type": TYPES[entry["local-authority-type"]].value,
        "alternative_names": sorted(names),
        "start_date": entry["start-date"] or None,
        "end_date": entry["end-date"] or None,
        "neighbours": [],
        "successors": split_list(entry["replaced-by"]),
    }


def short_name(entry: dict) -> str:
    """'Dorset Council' is 'Dorset' to its readers; the register's nice name keeps 'Council' only
    to tell it from the old county."""
    name = entry["nice-name"]
    if entry["end-date"] == "" and name.endswith(" Council"):
        name = name.removesuffix(" Council")
    return name


def assign_slugs(fixture: list[dict]) -> None:
    taken: set[str] = set()
    # Current authorities first, so they get the plain slug ("dorset") and abolished ones the longer one.
    for record in sorted(
        fixture, key=lambda item: (item["fields"]["end_date"] is not None, item["fields"]["gss_code"])
    ):
        fields = record["fields"]
        slug = slugify(fields["short_name"])
        if slug in taken:
            slug = slugify(re.sub(r"\s+Council$", "", fields["name"]))
        fields["slug"] = slug
        taken.add(slug)
