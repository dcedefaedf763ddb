# Copyright 2026 Workflow Monitor
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

"""The translation templates ``<module>/i18n/<module>.pot`` are up to date with the code.

Every ``workflow_monitor_*`` module of the repository (not the test addon) has a template,
and it is byte for byte what Odoo's own exporter (``odoo.tools.translate.trans_export``,
what ``odoo-bin --i18n-export --modules=<module>`` calls) writes now, from this database,
for that module alone: a new or changed field label, selection value, view text, menu,
data record, ``_()`` term of the Python code or ``_t()`` term of the JS/OWL templates makes
``test_templates_are_up_to_date`` fail, naming the module and the fix, ``make i18n``
(``scripts/i18n.sh``), which writes the files with the same normalisation as
``template()`` below. The header lines that change at every export (POT-Creation-Date,
PO-Revision-Date) are not in the files nor compared, and the Odoo version in
Project-Id-Version is the series ("Odoo Server 18.0", as in OCA's templates), not the
build date of the Odoo source.

The exporter skips, logging an ERROR, a source file it cannot read (babel evaluates
every string argument of ``_()``: an f-string argument fails), and then every term of
that file is missing from the template: ``test_exporter_reads_every_source_file`` fails
on it.

The export reads the database (field labels, views, data records): the test runs on the
``make test`` database (every module and the test addon installed, with demo data) and
``make i18n`` exports from a fresh database with the same modules.
"""

import difflib
import io
import logging
import re
from pathlib import Path

from odoo import release
from odoo.modules.module import get_module_path
from odoo.tests import TransactionCase, tagged
from odoo.tools.translate import trans_export

SUITE_PREFIX = "workflow_monitor_"
TEST_ADDON = "workflow_monitor_test"  # tests/addons: test fixtures, not the product
REPO = Path(__file__).resolve().parent.parent
# Same normalisation as scripts/i18n.sh (keep the two in step)
VOLATILE = re.compile(rb'^"(?:POT-Creation-Date|PO-Revision-Date): .*\n', re.MULTILINE)
PROJECT = re.compile(rb'^"Project-Id-Version: .*\n', re.MULTILINE)
PROJECT_LINE = f'"Project-Id-Version: {release.description} {release.serie}\\n"\n'.encode()
DIFF_LINES = 40  # lines of the diff shown per stale template


def normalise(content):
    """The template without its volatile header lines, with the Odoo series only."""
    return PROJECT.sub(lambda _match: PROJECT_LINE, VOLATILE.sub(b"", content), count=1)


def template(cr, module):
    """(template of `module` as Odoo's exporter writes it now, exporter ERROR messages)."""
    errors = []
    handler = logging.Handler(logging.ERROR)
    handler.emit = lambda record: errors.append(record.getMessage())
    logger = logging.getLogger("odoo.tools.translate")
    logger.addHandler(handler)
    try:
        buffer = io.BytesIO()
        trans_export(None, [module], buffer, "po", cr)
    finally:
        logger.removeHandler(handler)
    return normalise(buffer.getvalue()), errors


def template_path(module):
    return Path(get_module_path(module)) / "i18n" / f"{module}.pot"


@tagged("post_install", "-at_install")
class TestI18nTemplates(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.modules = sorted(
            cls.env["ir.module.module"]
            .search([("name", "=like", f"{SUITE_PREFIX}%"), ("state", "=", "installed")])
            .mapped("name")
        )
        if TEST_ADDON in cls.modules:
            cls.modules.remove(TEST_ADDON)
        # one export per module, shared by the tests below
        cls.exports = {module: template(cls.env.cr, module) for module in cls.modules}

    def test_every_module_has_a_template(self):
        in_repo = sorted(p.parent.name for p in REPO.glob(f"{SUITE_PREFIX}*/__manifest__.py"))
        self.assertEqual(
            self.modules,
            in_repo,
            "the database of the test must have every workflow_monitor_* module of the "
            "repository installed (scripts/test.sh installs them)",
        )
        missing = [str(template_path(m)) for m in self.modules if not template_path(m).exists()]
        if missing:
            self.fail(
                "modules without a translation template: %s. Fix: make i18n "
                "(scripts/i18n.sh), then commit the new files." % ", ".join(missing)
            )

    def test_exporter_reads_every_source_file(self):
        failures = [f"{m}: {e}" for m, (_content, errors) in self.exports.items() for e in errors]
        if failures:
            self.fail(
                "Odoo's exporter could not read these files, whose terms are therefore "
                "missing from the templates (babel evaluates every string argument of _(): "
                "compute an f-string before the call):\n" + "\n".join(failures)
            )

    def test_templates_are_up_to_date(self):
        stale = []
        for module, (content, _errors) in self.exports.items():
            path = template_path(module)
            if not path.exists():
                continue  # test_every_module_has_a_template names it
            committed = normalise(path.read_bytes())
            if committed == content:
                continue
            diff = list(
                difflib.unified_diff(
                    committed.decode().splitlines(),
                    content.decode().splitlines(),
                    f"{module}/i18n/{module}.pot (committed)",
                    f"{module}/i18n/{module}.pot (Odoo's exporter now)",
                    n=1,
                    lineterm="",
                )
            )
            if len(diff) > DIFF_LINES:
                diff[DIFF_LINES:] = [f"... ({len(diff) - DIFF_LINES} more diff lines)"]
            stale.append(f"{module}: {path} is out of date with the code of {module}:")
            stale[-1] += "\n" + "\n".join(diff)
        if stale:
            self.fail(
                "translation templates out of date. Fix: make i18n (scripts/i18n.sh), then "
                "commit the .pot files.\n\n" + "\n\n".join(stale)
            )
