# Copyright 2026 Workflow Monitor
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

from odoo import _, api, models
from odoo.tools import SQL

TRANSFER = "inter_warehouse_transfer"

# The open inter-warehouse transfers (stored Transfer Status, see
# stock_picking_transfer.py: an index scan of the open ones, whatever the history) and
# when each one is due at the receiving warehouse: the deadline of its In Transit SLA
# policy while in transit, else the earliest open receipt's scheduled date (the
# picking's own for an internal picking or a shipment without receipt) plus the
# supplying warehouse's late tolerance (default: Settings).
TRANSFER_DUE_SQL = """
WITH shipments AS (
    SELECT p.id, p.name, p.company_id, p.scheduled_date, p.workflow_transfer_stage AS stage,
           t.warehouse_id, p.workflow_dest_warehouse_id AS dest_id
      FROM stock_picking p
      JOIN stock_picking_type t ON t.id = p.picking_type_id
     WHERE p.workflow_transfer_stage IN ('requested', 'ready', 'in_transit')),
receipts AS (
    SELECT s.id, min(r.scheduled_date) AS scheduled_date
      FROM shipments s
      JOIN stock_move m ON m.picking_id = s.id
      JOIN stock_move_move_rel rel ON rel.move_orig_id = m.id
      JOIN stock_move d ON d.id = rel.move_dest_id AND d.state NOT IN ('done', 'cancel')
      JOIN stock_location dl ON dl.id = d.location_id AND dl.usage = 'transit'
      JOIN stock_picking r ON r.id = d.picking_id
     GROUP BY s.id)
SELECT s.id AS res_id, s.name, s.company_id, s.warehouse_id, s.dest_id, s.stage,
       w.workflow_team_id AS team_id, w.name AS supplier, dw.name AS dest,
       due.by_sla, due.due_at,
       EXTRACT(EPOCH FROM %(now)s - due.due_at) / 3600.0 AS late_hours
  FROM shipments s
  LEFT JOIN receipts rc ON rc.id = s.id
  LEFT JOIN workflow_instance i
         ON i.res_model = 'stock.picking' AND i.res_id = s.id AND i.state = 'running'
        AND i.definition_id = (SELECT id FROM workflow_definition WHERE code = %(code)s)
  LEFT JOIN workflow_stage st ON st.id = i.stage_id
  LEFT JOIN stock_warehouse w ON w.id = s.warehouse_id
  LEFT JOIN stock_warehouse dw ON dw.id = s.dest_id
 CROSS JOIN LATERAL (
     SELECT st.code = 'in_transit' AND i.sla_deadline IS NOT NULL AS by_sla,
            CASE WHEN st.code = 'in_transit' AND i.sla_deadline IS NOT NULL
                 THEN i.sla_deadline
                 ELSE COALESCE(rc.scheduled_date, s.scheduled_date) + make_interval(
                      secs => 3600 * COALESCE(NULLIF(w.workflow_late_tolerance_hours, 0),
                                              %(tolerance)s))
            END AS due_at) due
 WHERE due.due_at < %(now)s
"""


class WorkflowDistributionDetector(models.AbstractModel):
    """``transfer_delay``: inter-warehouse transfers not received by their due time,
    raised on the picking leaving the supplying warehouse (its node), resolved by
    themselves when the receipt is validated or the transfer cancelled."""

    _inherit = "workflow.distribution.detector"

    @api.model
    def _detectors(self):
        return (*super()._detectors(), "transfer_delay")

    def _detect_transfer_delay(self, now):
        rows = self._rows(
            SQL(
                TRANSFER_DUE_SQL,
                code=TRANSFER,
                now=now,
                tolerance=self._param("late_tolerance_hours", 4.0),
            )
        )
        stages = dict(
            self.env["stock.picking"]
            ._fields["workflow_transfer_stage"]
            ._description_selection(self.env)
        )
        return [self._transfer_delay_vals(row, stages) for row in rows]

    def _transfer_delay_vals(self, row, stages):
        dest = row["dest"] or _("an unknown warehouse")
        if row["by_sla"]:
            basis = _("the deadline of its In Transit SLA policy")
        else:
            basis = _("the receipt's scheduled date plus the late tolerance")
        return self._vals(
            "transfer_delay",
            row,
            _(
                "Transfer %(name)s from %(supplier)s to %(dest)s: %(hours).1f h late",
                name=row["name"],
                supplier=row["supplier"] or "?",
                dest=dest,
                hours=row["late_hours"],
            ),
            _(
                "Not received at %(dest)s by %(due)s (UTC), %(basis)s; stage: %(stage)s.",
                dest=dest,
                due=row["due_at"].replace(microsecond=0),
                basis=basis,
                stage=stages.get(row["stage"], row["stage"]),
            ),
            f"stock.picking,{row['res_id']}",
            severity="high" if row["late_hours"] > 48 else "medium",
            res_model="stock.picking",
        )
