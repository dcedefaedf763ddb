# Copyright 2026 Workflow Monitor
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

from odoo import fields, models


class WorkflowKpiValue(models.Model):
    _name = "workflow.kpi.value"
    _description = "Workflow KPI Snapshot"
    _order = "date desc, kpi_id, id"

    kpi_id = fields.Many2one("workflow.kpi", required=True, ondelete="cascade", index=True)
    date = fields.Date(required=True, index=True)
    company_id = fields.Many2one("res.company", index=True)
    node_ref = fields.Char(
        string="Node", help="The node the value is about, e.g. stock.warehouse,3; empty = company."
    )
    value = fields.Float(required=True, aggregator="avg")
    numerator = fields.Float(aggregator="sum")
    denominator = fields.Float(aggregator="sum")
    unit = fields.Selection(related="kpi_id.unit")
    layer = fields.Selection(related="kpi_id.layer")

    def init(self):
        # one snapshot per KPI, day, company and node: the snapshot job upserts on it
        self.env.cr.execute(
            """CREATE UNIQUE INDEX IF NOT EXISTS workflow_kpi_value_snapshot_uniq
                   ON workflow_kpi_value
                      (kpi_id, date, COALESCE(company_id, 0), COALESCE(node_ref, ''))"""
        )
