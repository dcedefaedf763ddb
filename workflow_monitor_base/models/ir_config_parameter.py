# Copyright 2026 Workflow Monitor
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

import re

from odoo import models

AUDITED_PREFIX = "workflow_monitor"  # workflow_monitor.*, workflow_monitor_ai.*...
# Parameters whose value is a secret: their events carry a digest, never the value
SECRET_KEY_RE = re.compile(r"(token|secret|password|passwd|api_key|credential)", re.IGNORECASE)


class IrConfigParameter(models.Model):
    """The Settings of the suite are stored as parameters: each change of one of them
    (through Settings, ``set_param`` or the technical menu) is a ``config`` event with
    who, when, and the old and new values; secret ones are digested."""

    _name = "ir.config_parameter"
    _inherit = ["ir.config_parameter", "workflow.config.audit.mixin"]
    _workflow_audit_fields = ("value",)
    _workflow_audit_values_on_create = True

    def _workflow_audit_records(self):
        return self.filtered(lambda param: (param.key or "").startswith(AUDITED_PREFIX))

    def _workflow_audit_restricted(self, record, fname):
        return (
            super()._workflow_audit_restricted(record, fname)
            or bool(SECRET_KEY_RE.search(record.key or ""))
            or self._workflow_setting_restricted(record.key)
        )

    def _workflow_setting_restricted(self, key):
        """Whether the Settings field bound to ``key`` is restricted to groups."""
        settings = self.env["res.config.settings"]
        return any(
            getattr(field, "config_parameter", None) == key and field.groups
            for field in settings._fields.values()
        )
