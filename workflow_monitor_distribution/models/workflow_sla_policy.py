# Copyright 2026 Workflow Monitor
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

from odoo import _, api, fields, models
from odoo.exceptions import ValidationError

TRANSFER = "inter_warehouse_transfer"


class WorkflowSlaPolicy(models.Model):
    """Node fields of the SLA policies: a warehouse, and for inter-warehouse transfers a
    destination warehouse (a lane). At the same sequence the most specific policy wins:
    warehouse pair, then warehouse, then every warehouse."""

    _inherit = "workflow.sla.policy"
    _workflow_audit_fields = ("warehouse_id", "dest_warehouse_id")

    warehouse_id = fields.Many2one(
        "stock.warehouse",
        string="Warehouse",
        help="Only documents of this warehouse use the policy; empty applies to all. "
        "Inter-warehouse transfers: the supplying warehouse.",
    )
    dest_warehouse_id = fields.Many2one(
        "stock.warehouse",
        string="Destination Warehouse",
        help="Inter-warehouse transfers only: the policy applies to transfers going to this "
        "warehouse (with Warehouse: one lane); empty applies to every destination.",
    )
    definition_code = fields.Char(related="definition_id.code")

    @api.constrains("dest_warehouse_id", "warehouse_id", "definition_id")
    def _check_dest_warehouse(self):
        for policy in self.filtered("dest_warehouse_id"):
            if policy.definition_id.code != TRANSFER:
                raise ValidationError(
                    _(
                        "%(name)s: a destination warehouse applies to inter-warehouse "
                        "transfers only (field: Destination Warehouse).",
                        name=policy.name,
                    )
                )
            if policy.dest_warehouse_id == policy.warehouse_id:
                raise ValidationError(
                    _(
                        "%(name)s: a transfer goes between two different warehouses "
                        "(fields: Warehouse, Destination Warehouse).",
                        name=policy.name,
                    )
                )

    # ------------------------------------------------------------
    # MATCHING
    # ------------------------------------------------------------

    @api.model
    def _rules(self, definition_id):
        # stable: by sequence, then pair before warehouse before every warehouse, then id
        return tuple(
            sorted(
                super()._rules(definition_id),
                key=lambda rule: (
                    rule["sequence"],
                    not rule["dest_warehouse_id"],
                    not rule["warehouse_id"],
                ),
            )
        )

    def _rule_values(self):
        values = super()._rule_values()
        values.update(
            sequence=self.sequence,
            warehouse_id=self.warehouse_id.id,
            dest_warehouse_id=self.dest_warehouse_id.id,
        )
        return values

    def _rule_matches(self, rule, records):
        records = super()._rule_matches(rule, records)
        if rule.get("warehouse_id") and hasattr(records, "_workflow_warehouse"):
            warehouses = records._workflow_warehouse()
            records = records.filtered(lambda r: warehouses[r].id == rule["warehouse_id"])
        if rule.get("dest_warehouse_id"):
            # a lane applies only to documents that have a destination, and that one
            if not hasattr(records, "_workflow_dest_warehouse"):
                return records.browse()
            dests = records._workflow_dest_warehouse()
            records = records.filtered(lambda r: dests[r].id == rule["dest_warehouse_id"])
        return records
