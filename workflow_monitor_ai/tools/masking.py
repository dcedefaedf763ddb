# Copyright 2026 Workflow Monitor
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

"""Masking of personal data before text leaves Odoo for an outside AI provider.

Emails, phone numbers, IBANs, street addresses and the names (and streets) of the
partners known to Odoo are replaced by placeholders such as ``[EMAIL_1]``. The same value
gets the same placeholder within one text, so the provider can still tell two people
apart without knowing who they are.
"""

import re

# The lookbehinds start a match only where a run of word characters starts: with \b or
# no anchor, a long run (a pasted log line) was scanned again from each of its positions,
# quadratic time (minutes of CPU for 100 kB) in a worker or the suggestion cron.
EMAIL_RE = re.compile(r"(?<![\w.+%-])[\w.+%-]+@[\w-]+(?:\.[\w-]+)+", re.UNICODE)
IBAN_RE = re.compile(r"\b[A-Z]{2}\d{2}(?:[ ]?[A-Z0-9]{4}){2,7}(?:[ ]?[A-Z0-9]{1,4})?\b")
# International or national numbers: at least 7 digits, with spaces, dots, dashes or
# brackets between groups; an optional +CC or 00CC prefix.
PHONE_RE = re.compile(r"(?<![\w/])(?:\+|00)?\(?\d{1,4}\)?(?:[\s.\-]?\(?\d{1,5}\)?){2,6}(?![\w/])")
STREET_WORDS = (
    r"street|st|avenue|ave|road|rd|boulevard|blvd|lane|ln|drive|dr|way|place|pl|court|ct|"
    r"square|sq|highway|hwy|parkway|pkwy|terrace|rue|chemin|allée|allee|strasse|straße|"
    r"weg|platz|via|calle|plaza"
)
# "12 Baker Street", "221B Baker St.", "5 rue de la Paix", "Hauptstraße 12"
ADDRESS_RE = re.compile(
    r"\b\d{1,5}[A-Za-z]?,?\s+(?:[\w'’.-]+\s+){0,4}?(?:" + STREET_WORDS + r")\b"
    r"|\b(?:" + STREET_WORDS + r")\s+(?:[\w'’-]+\s+){0,4}?\d{1,5}[A-Za-z]?\b"
    r"|(?<![\wäöüß-])[\wäöüß-]+(?:strasse|straße|weg|platz)\s+\d{1,5}[A-Za-z]?\b",
    re.IGNORECASE | re.UNICODE,
)
# "5 rue de la Paix", "12 avenue des Champs Elysées": the street word comes first
STREET_FIRST_RE = re.compile(
    r"\b\d{1,5}(?:\s?(?:bis|ter))?,?\s+"
    r"(?i:rue|avenue|av\.|boulevard|bd|chemin|allée|allee|place|impasse|quai|cours|route|via|calle)"
    r"\s+(?:(?:de|du|des|la|le|les|l'|d')\s*)*[A-ZÀ-Ý][\w'’-]*(?:\s+[A-ZÀ-Ý][\w'’-]*){0,2}",
    re.UNICODE,
)
POSTCODE_CITY_RE = re.compile(r"\b\d{4,5}\s+[A-Z][a-zà-ÿ]+(?:[\s-][A-Z][a-zà-ÿ]+)*\b")


def _digits(value):
    return sum(ch.isdigit() for ch in value)


def mask_text(text, partner_names=(), partner_streets=()):
    """Return (masked text, {placeholder: kind}) for ``text``.

    :param partner_names: names of partners found in the text (masked as PARTNER)
    :param partner_streets: street lines of partners found in the text (ADDRESS)
    """
    if not text:
        return text or "", {}
    placeholders = {}
    counters = {}

    def placeholder(kind, value):
        key = (kind, value.strip().lower())
        if key not in placeholders:
            counters[kind] = counters.get(kind, 0) + 1
            placeholders[key] = f"[{kind}_{counters[kind]}]"
        return placeholders[key]

    def replace_literal(text, values, kind):
        # longest first, so "ACME Corp, John Smith" goes before "ACME Corp"
        for value in sorted(
            {v for v in values if v and len(v.strip()) >= 3}, key=len, reverse=True
        ):
            pattern = re.compile(r"(?<!\w)" + re.escape(value.strip()) + r"(?!\w)", re.IGNORECASE)
            text = pattern.sub(lambda m, kind=kind: placeholder(kind, m.group(0)), text)
        return text

    text = EMAIL_RE.sub(lambda m: placeholder("EMAIL", m.group(0)), text)
    text = IBAN_RE.sub(lambda m: placeholder("IBAN", m.group(0)), text)
    text = replace_literal(text, partner_streets, "ADDRESS")
    text = STREET_FIRST_RE.sub(lambda m: placeholder("ADDRESS", m.group(0)), text)
    text = ADDRESS_RE.sub(lambda m: placeholder("ADDRESS", m.group(0)), text)
    text = POSTCODE_CITY_RE.sub(lambda m: placeholder("ADDRESS", m.group(0)), text)
    text = replace_literal(text, partner_names, "PARTNER")

    def phone(match):
        value = match.group(0)
        suffix = ""
        if value.endswith(")") and value.count(")") > value.count("("):
            value, suffix = value[:-1], ")"
        if _digits(value) < 7 or re.fullmatch(r"\d{4}-\d{2}-\d{2}", value.strip()):
            return value  # a date, a quantity or a reference, not a phone number
        return placeholder("PHONE", value) + suffix

    text = PHONE_RE.sub(phone, text)
    return text, {ph: kind for (kind, _value), ph in placeholders.items()}
