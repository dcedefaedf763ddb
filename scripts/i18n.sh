#!/usr/bin/env bash
# `make i18n`: writes i18n/<module>.pot of every workflow_monitor_* module with Odoo's own
# exporter (odoo.tools.translate.trans_export, what `odoo-bin --i18n-export --modules=<m>`
# calls), one module at a time, from a database with the modules installed: by default a
# fresh database wm_i18n with the modules and demo data of `make test` (the test
# tests/test_i18n.py compares its own export from wm_test to these files, so both must
# see the same data). WM_I18N_DB=<db> exports from that existing database instead (e.g.
# WM_I18N_DB=wm_test right after `make test`); it must be up to date with the code.
# As OCA's templates, the files carry no POT-Creation-Date/PO-Revision-Date lines (they
# would change at every run) and name the Odoo series, not the build ("Odoo Server 18.0"). Fails, writing nothing, when Odoo cannot extract the terms
# of a source file (the terms of that file would be missing from the template).
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

bash "$REPO/scripts/bootstrap.sh"
pg_export_env

modules="$(wm_modules)"
installed="$modules"
[[ -f "$TEST_ADDONS/workflow_monitor_test/__manifest__.py" ]] &&
    installed="$installed,workflow_monitor_test"

if [[ -n "${WM_I18N_DB:-}" ]]; then
    DB="$WM_I18N_DB"
    db_exists "$DB" || die "database $DB (WM_I18N_DB) does not exist"
    missing="$(missing_modules "$DB" "$installed")"
    [[ -z "$missing" ]] || die "database $DB lacks the modules $missing"
else
    DB=wm_i18n
    drop_db "$DB"
    install_modules "$DB" "$installed"
fi

info "Exporting the templates of $modules from database $DB"
# odoo-bin shell runs the Python on stdin with `env` on the database (then rolls back)
WM_I18N_MODULES="$modules" PYTHONPATH="$ODOO_SRC${PYTHONPATH:+:$PYTHONPATH}" \
    "$PY" "$ODOO_SRC/odoo-bin" shell -c "$CONF" -d "$DB" --no-http --log-level=warn <<'EOF'
import io
import logging
import os
import re

from odoo import release
from odoo.modules.module import get_module_path
from odoo.tools.translate import trans_export

# Same normalisation as tests/test_i18n.py (keep the two in step)
VOLATILE = re.compile(rb'^"(?:POT-Creation-Date|PO-Revision-Date): .*\n', re.MULTILINE)
PROJECT = re.compile(rb'^"Project-Id-Version: .*\n', re.MULTILINE)
PROJECT_LINE = f'"Project-Id-Version: {release.description} {release.serie}\\n"\n'.encode()


class Errors(logging.Handler):
    def __init__(self):
        super().__init__(logging.ERROR)
        self.messages = []

    def emit(self, record):
        self.messages.append(record.getMessage())


errors = Errors()
logging.getLogger("odoo.tools.translate").addHandler(errors)
templates = {}
for module in os.environ["WM_I18N_MODULES"].split(","):
    buffer = io.BytesIO()
    trans_export(None, [module], buffer, "po", env.cr)
    content = VOLATILE.sub(b"", buffer.getvalue())
    templates[module] = PROJECT.sub(lambda _match: PROJECT_LINE, content, count=1)
if errors.messages:
    raise SystemExit("Odoo's exporter failed; no template written:\n" + "\n".join(errors.messages))
for module, content in templates.items():
    path = os.path.join(get_module_path(module), "i18n", f"{module}.pot")
    os.makedirs(os.path.dirname(path), exist_ok=True)
    unchanged = False
    if os.path.exists(path):
        with open(path, "rb") as old:
            unchanged = old.read() == content
    if not unchanged:
        with open(path, "wb") as new:
            new.write(content)
    print(f"{'unchanged' if unchanged else 'written'}: {path}")
EOF
