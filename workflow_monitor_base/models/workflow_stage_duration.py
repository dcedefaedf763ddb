# Copyright 2026 Workflow Monitor
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

"""Time in stage, p50 and p90, for every stage of every definition (DESIGN section 11):
a read-only report over the stage events, one row per month, definition, stage, company
and node. Percentiles do not add up, so grouped rows show counts only; filter on a month
(or open one row) to read its percentiles."""

from odoo import fields, models, tools

# Every stage event that left a stage with a measured duration (the time spent in it).
STAGE_DURATION_VIEW = """
CREATE OR REPLACE VIEW workflow_stage_duration AS (
    -- an event belongs to one group: its smallest id is the row's (no window function,
    -- so filters on month, definition or company reach the scan of the events)
    SELECT min(e.id) AS id,
           month::date AS month, e.definition_id, e.stage_from_id AS stage_id,
           e.company_id, i.node_ref, count(*) AS event_count,
           percentile_cont(0.5) WITHIN GROUP (ORDER BY e.duration_seconds) / 3600.0
               AS p50_hours,
           percentile_cont(0.9) WITHIN GROUP (ORDER BY e.duration_seconds) / 3600.0
               AS p90_hours,
           avg(e.duration_seconds) / 3600.0 AS avg_hours
      FROM workflow_event e
      LEFT JOIN workflow_instance i ON i.id = e.instance_id
      CROSS JOIN LATERAL date_trunc('month', e.occurred_at) AS month
     WHERE e.event_type = 'stage' AND e.stage_from_id IS NOT NULL
       AND e.duration_seconds IS NOT NULL
     GROUP BY month, e.definition_id, e.stage_from_id, e.company_id, i.node_ref
)
"""


class WorkflowStageDuration(models.Model):
    _name = "workflow.stage.duration"
    _description = "Workflow Time in Stage"
    _auto = False
    _order = "month desc, definition_id, stage_id"
    _rec_name = "stage_id"

    month = fields.Date(readonly=True)
    definition_id = fields.Many2one("workflow.definition", readonly=True)
    stage_id = fields.Many2one("workflow.stage", readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    node_ref = fields.Char(string="Node", readonly=True, help="Warehouse (or other node).")
    event_count = fields.Integer(string="Stage Exits", readonly=True)
    p50_hours = fields.Float(
        string="p50 (h)", readonly=True, aggregator=None, help="Median hours spent in the stage."
    )
    p90_hours = fields.Float(
        string="p90 (h)",
        readonly=True,
        aggregator=None,
        help="90 % of the documents left the stage within this many hours.",
    )
    avg_hours = fields.Float(string="Average (h)", readonly=True, aggregator=None)

    def init(self):
        tools.drop_view_if_exists(self.env.cr, self._table)
        self.env.cr.execute(STAGE_DURATION_VIEW)
