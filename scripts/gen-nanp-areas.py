#!/usr/bin/env python3
"""Generate the NANP area code table of the domain crate.

Reads the data of the PyPI package `phonenumbers` (the Python port of
Google's libphonenumber), pinned at version 9.0.43:

- number metadata: which +1 area codes (NPA, 200-999) have valid numbers,
  their region (`region_code_for_number`) and number types;
- the English geocoding data (`phonenumbers.geodata`), for the state or
  province of an area code;
- the time zone prefix map (`phonenumbers.tzdata`), for the IANA time zones
  an area code spans.

and prints either the Rust source of `domain/src/nanp/table.rs` (default) or
a Markdown listing for `docs/nanp-area-codes.md` (`--markdown`):

    python3 -m venv /tmp/v && /tmp/v/bin/pip install phonenumbers==9.0.43
    /tmp/v/bin/python scripts/gen-nanp-areas.py > domain/src/nanp/table.rs
    /tmp/v/bin/python scripts/gen-nanp-areas.py --markdown  # paste into docs/nanp-area-codes.md

It takes about half a minute (it checks every exchange of every area code).

Rules (see docs/nanp-area-codes.md):

- An area code is listed when libphonenumber has geographic numbers in it
  (fixed line or mobile) and time zones for it. Non-geographic codes (toll
  free 8XX, personal 5XX, premium 900, Canadian 600/622/633) are left out:
  for the domain a missing entry means "state and zones unknown".
- country: the region of its numbers (US, CA, PR, GU, JM, ...).
- subdivision: for US and CA, the two-letter postal code of the state,
  DC, province or territory named by the area-code-level description
  ("1NPA"); when that entry is missing, it is derived from the finer
  entries, only if they all name the same one. "" when there is no single
  one (902 "Nova Scotia/Prince Edward Island", 867 "Northwest
  Territories/Nunavut/Yukon"). For other
  regions (the territories and the Caribbean countries), the region code
  itself: for the US territories (PR, VI, GU, MP, AS) it is also their
  postal code.
- zones: the sorted union of the zones of the "1NPA" entry and of every
  finer entry under it.
"""

import re
import sys

import phonenumbers
from phonenumbers import PhoneNumber, PhoneNumberType
from phonenumbers.geodata import GEOCODE_DATA
from phonenumbers.tzdata import TIMEZONE_DATA

PINNED = "9.0.43"

US_STATES = {
    "Alabama": "AL", "Alaska": "AK", "Arizona": "AZ", "Arkansas": "AR",
    "California": "CA", "Colorado": "CO", "Connecticut": "CT",
    "Delaware": "DE", "Florida": "FL", "Georgia": "GA", "Hawaii": "HI",
    "Idaho": "ID", "Illinois": "IL", "Indiana": "IN", "Iowa": "IA",
    "Kansas": "KS", "Kentucky": "KY", "Louisiana": "LA", "Maine": "ME",
    "Maryland": "MD", "Massachusetts": "MA", "Michigan": "MI",
    "Minnesota": "MN", "Mississippi": "MS", "Missouri": "MO",
    "Montana": "MT", "Nebraska": "NE", "Nevada": "NV",
    "New Hampshire": "NH", "New Jersey": "NJ", "New Mexico": "NM",
    "New York": "NY", "North Carolina": "NC", "North Dakota": "ND",
    "Ohio": "OH", "Oklahoma": "OK", "Oregon": "OR", "Pennsylvania": "PA",
    "Rhode Island": "RI", "South Carolina": "SC", "South Dakota": "SD",
    "Tennessee": "TN", "Texas": "TX", "Utah": "UT", "Vermont": "VT",
    "Virginia": "VA", "Washington": "WA", "Washington State": "WA",
    "West Virginia": "WV", "Wisconsin": "WI", "Wyoming": "WY",
    "District of Columbia": "DC", "Washington D.C.": "DC",
    "Washington DC": "DC",
}

CA_PROVINCES = {
    "Alberta": "AB", "British Columbia": "BC",
    "British Colombia": "BC",  # sic, in libphonenumber's data
    "Manitoba": "MB", "New Brunswick": "NB",
    "Newfoundland and Labrador": "NL", "Newfoundland": "NL",
    "Nova Scotia": "NS", "Ontario": "ON", "Prince Edward Island": "PE",
    "Quebec": "QC", "Québec": "QC", "Saskatchewan": "SK",
    "Northwest Territories": "NT", "Nunavut": "NU", "Yukon": "YT",
}

NAMES = {"US": US_STATES, "CA": CA_PROVINCES}

GEOGRAPHIC = {
    PhoneNumberType.FIXED_LINE,
    PhoneNumberType.MOBILE,
    PhoneNumberType.FIXED_LINE_OR_MOBILE,
}


def subdivisions_named(country, description):
    """The set of postal codes a description names ("Florida",
    "Chicago, IL", "Nova Scotia/Prince Edward Island"); None when it names
    none that belongs to the country."""
    names = NAMES[country]
    codes = set(names.values())
    found = set()
    for part in description.split("/"):
        part = part.strip()
        if part in names:
            found.add(names[part])
            continue
        m = re.search(r",\s*([A-Z]{2})$", part)
        if m and m.group(1) in codes:
            found.add(m.group(1))
            continue
        return None
    return found or None


def subdivision(country, npa):
    """(postal code or "", how it was found)."""
    prefix = "1%d" % npa
    top = GEOCODE_DATA.get(prefix, {}).get("en")
    if top:
        named = subdivisions_named(country, top)
        if named and len(named) == 1:
            return next(iter(named)), "area code"
        if named:
            return "", "area code entry names " + "/".join(sorted(named))
    finer = [
        v["en"]
        for k, v in GEOCODE_DATA.items()
        if k.startswith(prefix) and len(k) > len(prefix) and "en" in v
    ]
    union = set()
    for description in finer:
        named = subdivisions_named(country, description)
        if named is None:
            return "", "finer entry %r names no subdivision" % description
        union |= named
    if len(union) == 1:
        return next(iter(union)), "no area code entry; finer entries agree"
    if union:
        return "", "no area code entry; finer entries name " + "/".join(sorted(union))
    return "", "no geocoding data"


def zones(npa):
    prefix = "1%d" % npa
    found = set()
    for k, v in TIMEZONE_DATA.items():
        if k.startswith(prefix):
            found.update(v)
    return sorted(found)


def scan():
    """For each area code with valid numbers: its region and number types."""
    found = {}
    for npa in range(200, 1000):
        regions = set()
        types = set()
        for nxx in range(200, 1000):
            for line in (0, 4567):
                n = PhoneNumber(
                    country_code=1, national_number=(npa * 1000 + nxx) * 10000 + line
                )
                if phonenumbers.is_valid_number(n):
                    regions.add(phonenumbers.region_code_for_number(n))
                    types.add(phonenumbers.number_type(n))
        if regions:
            if len(regions) != 1:
                sys.exit("area code %d has numbers of several regions: %s" % (npa, sorted(regions)))
            found[npa] = (regions.pop(), types)
    return found


def build():
    """(entries, left out, notes): entries are (code, country, subdivision,
    zones); left out are (code, region, reason); notes are (code, text) for
    entries whose subdivision was not read from the area-code entry."""
    entries, left_out, notes = [], [], []
    for npa, (region, types) in sorted(scan().items()):
        if not types & GEOGRAPHIC:
            left_out.append((npa, region, "non-geographic"))
            continue
        tz = zones(npa)
        if not tz:
            left_out.append((npa, region, "no time zone data"))
            continue
        if region in NAMES:
            sub, how = subdivision(region, npa)
            if how != "area code":
                notes.append((npa, how))
        else:
            sub = region
        entries.append((npa, region, sub, tz))
    return entries, left_out, notes


def tz_variant(name):
    """chrono-tz's variant name of an IANA zone."""
    return "Tz::" + name.replace("/", "__").replace("-", "").replace("+", "Plus")


def wrap(lead, items, width=79):
    """Comma-separated items on lines of at most `width` characters."""
    lines, line = [], lead
    for i, item in enumerate(items):
        piece = item + ("," if i + 1 < len(items) else ".")
        if line != lead and len(line) + 1 + len(piece) > width:
            lines.append(line)
            line = lead
        line += ("" if line == lead else " ") + piece
    lines.append(line)
    return lines


def rust(entries, left_out, notes):
    out = [
        "// generated by scripts/gen-nanp-areas.py from phonenumbers %s; do not edit" % PINNED,
        "//",
        "// %d area codes. Left out (for the domain: state and zones unknown):" % len(entries),
    ]
    for reason in sorted({why for _, _, why in left_out}):
        out.append("// - %s:" % reason)
        out += wrap("//   ", ["%d (%s)" % (c, r) for c, r, why in left_out if why == reason])
    if notes:
        out.append("// Subdivision not read from the area-code entry:")
        out += ["// %d: %s" % (c, how) for c, how in notes]
    out += [
        "",
        "use chrono_tz::Tz;",
        "",
        "use super::AreaCode;",
        "",
        "pub(super) static AREA_CODES: &[AreaCode] = &[",
    ]
    for code, country, sub, tz in entries:
        out.append(
            '    AreaCode { code: %d, country: "%s", subdivision: "%s", zones: &[%s] },'
            % (code, country, sub, ", ".join(tz_variant(z) for z in tz))
        )
    out.append("];")
    return "\n".join(out) + "\n"


def markdown(entries, left_out, notes):
    out = [
        "<!-- generated by scripts/gen-nanp-areas.py --markdown from phonenumbers %s -->" % PINNED,
        "",
        "%d area codes." % len(entries),
        "",
        "| code | country | subdivision | zones |",
        "|---|---|---|---|",
    ]
    for code, country, sub, tz in entries:
        out.append("| %d | %s | %s | %s |" % (code, country, sub or "–", ", ".join(tz)))
    out += ["", "Left out (the domain knows neither state nor zones):", ""]
    for reason in sorted({why for _, _, why in left_out}):
        codes = ", ".join("%d (%s)" % (c, r) for c, r, why in left_out if why == reason)
        out.append("- %s: %s." % (reason, codes))
    if notes:
        out += ["", "Subdivision not read from the area-code entry:", ""]
        out += ["- %d: %s" % (c, how) for c, how in notes]
    return "\n".join(out) + "\n"


def main():
    if phonenumbers.__version__ != PINNED:
        sys.exit("phonenumbers %s is installed, this script is pinned to %s"
                 % (phonenumbers.__version__, PINNED))
    args = sys.argv[1:]
    if args not in ([], ["--markdown"]):
        sys.exit("usage: gen-nanp-areas.py [--markdown]")
    entries, left_out, notes = build()
    if args == ["--markdown"]:
        sys.stdout.write(markdown(entries, left_out, notes))
    else:
        sys.stdout.write(rust(entries, left_out, notes))


if __name__ == "__main__":
    main()
