# Copyright 2026 Workflow Monitor
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

from odoo import fields, models


class WorkflowSlaPolicy(models.Model):
    _inherit = "workflow.sla.policy"

    warehouse_id = fields.Many2one(
        "stock.warehouse",
        string="Warehouse",
        help="Only documents of this warehouse use the policy; empty applies to all.",
    )

    def _rule_values(self):
        values = super()._rule_values()
        values["warehouse_id"] = self.warehouse_id.id
        return values

    def _rule_matches(self, rule, records):
        records = super()._rule_matches(rule, records)
        if rule.get("warehouse_id") and hasattr(records, "_workflow_warehouse"):
            warehouses = records._workflow_warehouse()
            records = records.filtered(lambda r: warehouses[r].id == rule["warehouse_id"])
        return records
