# Copyright 2026 Workflow Monitor
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

from odoo import models


class BaseAutomation(models.Model):
    _name = "base.automation"
    _inherit = ["base.automation", "workflow.config.audit.mixin"]
    _workflow_audit_fields = (
        "name",
        "active",
        "model_id",
        "trigger",
        "trigger_field_ids",
        "filter_domain",
        "filter_pre_domain",
        "trg_date_id",
        "trg_date_range",
        "trg_date_range_type",
        "action_server_ids",
    )

    def _process(self, records, domain_post=None):
        """Record any failing automation rule as an ``automation_failure`` exception.

        Odoo re-raises (the transaction rolls back) or, for time-based rules, only logs
        the error: either way nobody sees it. The exception is written through a
        separate cursor so it survives the rollback.
        """
        try:
            return super()._process(records, domain_post=domain_post)
        except Exception as error:
            if not getattr(error, "_workflow_recorded", False):
                self.env["workflow.exception"]._record_automation_failure(self, records, error)
            raise
