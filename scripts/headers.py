#!/usr/bin/env python3
# Copyright 2026 Workflow Monitor
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Copyright and license headers of the suite's source files, in the OCA style.

    python scripts/headers.py --check [FILE ...]   # exit 1, listing the files without one
    python scripts/headers.py --fix [FILE ...]     # add the missing headers (idempotent)

Without FILE, every file of the scope below that git knows (tracked, or new and not
ignored); with FILE (pre-commit passes the changed ones), those of them in the scope.

Scope: ``workflow_monitor_*/**/*.{py,xml,js,css,scss}`` (models, views, data, demo,
security, wizards, migrations, OWL templates, tours), the test addon under
``tests/addons``, ``tests/**/*.py``, ``bench/*.py`` and ``scripts/*.py``. Not in the
scope: CSV (Odoo reads the first line as the column names), ``i18n/*.pot`` (written by
Odoo's exporter), ``static/description``, Markdown and data formats.

The header, as in the OCA repositories (e.g. OCA/server-ux), names the year the file was
added (git; the current year for a new file), the ``author`` and the ``license`` of the
manifest of the module the file belongs to (``workflow_monitor_base`` for the files
outside the modules)::

    # Copyright 2026 Workflow Monitor
    # License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

XML gets it as a comment after the ``<?xml ...?>`` declaration, JS/CSS/SCSS as a
``/* */`` comment (after ``/** @odoo-module **/`` or ``@charset`` when present), Python
after the shebang and the PEP 263 encoding line. A file whose first lines already say
``Copyright <year>`` is left as it is; one whose header names another license than its
manifest is reported by both modes (a license is changed by a person, not by this script).
"""

import argparse
import ast
import datetime
import fnmatch
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DEFAULT_MODULE = "workflow_monitor_base"
SCOPE = (
    "workflow_monitor_*/**.py",
    "workflow_monitor_*/**.xml",
    "workflow_monitor_*/static/**.js",
    "workflow_monitor_*/static/**.css",
    "workflow_monitor_*/static/**.scss",
    "tests/**.py",
    "tests/addons/**.xml",
    "bench/*.py",
    "scripts/*.py",
)
EXCLUDED = ("*/static/description/*", "*/static/lib/*")
# Manifest license key -> the text of the header, as OCA writes it
LICENSES = {
    "LGPL-3": "LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl)",
    "AGPL-3": "AGPL-3.0 or later (https://www.gnu.org/licenses/agpl)",
    "GPL-3": "GPL-3.0 or later (https://www.gnu.org/licenses/gpl)",
    "GPL-3 or any later version": "GPL-3.0 or later (https://www.gnu.org/licenses/gpl)",
    "OPL-1": "OPL-1 (https://www.odoo.com/documentation/18.0/legal/licenses.html)",
}
HEADER_ZONE = 8  # a header is looked for in the first lines only
COPYRIGHT_RE = re.compile(r"\bCopyright (?:\(C\) )?\d{4}\b")
LICENSE_RE = re.compile(r"\bLicense ([A-Z]+-\d(?:\.\d)?)")
PY_ENCODING_RE = re.compile(r"^[ \t\f]*#.*?coding[:=][ \t]*[-\w.]+")


@dataclass(frozen=True)
class Owner:
    """What the header of a file says: the module's manifest author and license."""

    author: str
    license: str  # the header text, e.g. "LGPL-3.0 or later (https://...)"


def _scope_match(path):
    """Whether the repository-relative posix path is one the headers apply to."""
    # fnmatch's "*" also matches "/": "**" and "*" differ only for bench/ and scripts/
    if any(fnmatch.fnmatch(path, pattern) for pattern in EXCLUDED):
        return False
    for pattern in SCOPE:
        if "**" in pattern:
            if fnmatch.fnmatch(path, pattern.replace("**", "*")):
                return True
        elif fnmatch.fnmatch(path, pattern) and path.count("/") == pattern.count("/"):
            return True
    return False


def _git(*args):
    return subprocess.run(
        ["git", "-C", str(REPO), *args], check=True, capture_output=True, text=True
    ).stdout


def _candidate_files(paths):
    """Repository-relative posix paths of the files to look at."""
    if paths:
        rel = []
        for p in paths:
            full = Path(p).resolve()
            if full.is_file() and full.is_relative_to(REPO):
                rel.append(full.relative_to(REPO).as_posix())
    else:
        rel = _git("ls-files", "--cached", "--others", "--exclude-standard").splitlines()
    return sorted(p for p in set(rel) if _scope_match(p) and (REPO / p).is_file())


def _years_added():
    """{path: year the file was added}, from one `git log` over the repository."""
    years, year = {}, None
    out = _git("log", "--diff-filter=A", "--format=@%ad", "--date=format:%Y", "--name-only")
    for line in out.splitlines():
        if line.startswith("@"):
            year = line[1:]
        elif line:
            years[line] = year  # log is newest first: the last one seen is the oldest
    return years


def _owners():
    """{module folder (repository-relative): Owner} from the manifests."""
    owners = {}
    manifests = [*REPO.glob("workflow_monitor_*/__manifest__.py")]
    manifests += REPO.glob("tests/addons/*/__manifest__.py")
    for manifest in manifests:
        data = ast.literal_eval(manifest.read_text(encoding="utf-8"))
        author = data.get("author", "").replace(", Odoo Community Association (OCA)", "")
        license_key = data.get("license", "LGPL-3")
        if license_key not in LICENSES:
            sys.exit(f"{manifest}: license {license_key!r} is not one of {sorted(LICENSES)}")
        owners[manifest.parent.relative_to(REPO).as_posix()] = Owner(
            author.strip(), LICENSES[license_key]
        )
    return owners


def _owner_of(path, owners):
    for folder, owner in owners.items():
        if path.startswith(folder + "/"):
            return owner
    return owners[DEFAULT_MODULE]


def _header_lines(kind, year, owner):
    copyright_line = f"Copyright {year} {owner.author}"
    license_line = f"License {owner.license}."
    if kind == "py":
        return [f"# {copyright_line}", f"# {license_line}"]
    if kind == "xml":
        return [f"<!-- {copyright_line}", f"     {license_line} -->"]
    return [f"/* {copyright_line}", f" * {license_line} */"]  # js, css, scss


def _insert_at(kind, lines):
    """Index of the first line the header goes before (what must stay first stays)."""
    index = 0
    if kind == "py":
        if lines and lines[0].startswith("#!"):
            index = 1
        if len(lines) > index and index < 2 and PY_ENCODING_RE.match(lines[index]):
            index += 1
    elif kind == "xml":
        if lines and lines[0].lstrip("\ufeff").startswith("<?xml"):
            index = 1
    elif lines and (lines[0].startswith("/** @odoo-module") or lines[0].startswith("@charset")):
        index = 1
    return index


def _with_header(kind, text, header):
    """The text with the header lines inserted."""
    lines = text.splitlines()
    index = _insert_at(kind, lines)
    rest = lines[index:]
    separator = [""] if kind != "xml" and rest and rest[0].strip() else []
    return "\n".join([*lines[:index], *header, *separator, *rest]) + "\n"


def _problem(text, owner):
    """None when the header is there and right, else what is wrong with it."""
    zone = "\n".join(text.splitlines()[:HEADER_ZONE])
    if not COPYRIGHT_RE.search(zone):
        return "no copyright header"
    found = LICENSE_RE.search(zone)
    expected = owner.license.split(" ", 1)[0]
    if not found:
        return f"no 'License {expected}' line in the header"
    if found.group(1) != expected:
        return f"header says License {found.group(1)}, the manifest says {expected}"
    return None


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    mode = parser.add_mutually_exclusive_group(required=True)
    mode.add_argument("--check", action="store_true", help="list files without a header")
    mode.add_argument("--fix", action="store_true", help="add the missing headers")
    parser.add_argument("files", nargs="*", help="only these files (default: all)")
    args = parser.parse_args(argv)

    owners = _owners()
    years = _years_added() if args.fix else {}
    this_year = str(datetime.date.today().year)
    offenders, fixed = [], []
    for path in _candidate_files(args.files):
        file = REPO / path
        text = file.read_text(encoding="utf-8")
        owner = _owner_of(path, owners)
        problem = _problem(text, owner)
        if problem == "no copyright header" and args.fix:
            kind = file.suffix.lstrip(".")
            header = _header_lines(kind, years.get(path) or this_year, owner)
            file.write_text(_with_header(kind, text, header), encoding="utf-8")
            fixed.append(path)
        elif problem:
            offenders.append(f"{path}: {problem}")
    if fixed:
        print(f"headers.py: added a header to {len(fixed)} file(s)")
    if offenders:
        print(f"headers.py: {len(offenders)} file(s) without a right copyright/license header")
        print("\n".join(f"  {line}" for line in offenders))
        if args.check:
            print("Fix: python scripts/headers.py --fix (then review and commit)")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
