# Copyright 2026 Workflow Monitor
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

from odoo import _, api, models
from odoo.tools import SQL

RISK_LIMIT = 10
# the model in use (newest training that did not fail) with the riskiest instances of
# the filtered domain, record rules applied: one query, whatever the volume
RISK_SQL = """
SELECT m.state, m.version, m.message, r.id, r.name, r.risk_score, r.stage, r.definition
  FROM (SELECT 1) AS one
  LEFT JOIN (SELECT state, version, message FROM workflow_ai_risk_model
              WHERE state != 'failed' AND active ORDER BY version DESC LIMIT 1) m ON TRUE
  LEFT JOIN LATERAL (%(instances)s) r ON m.state = 'trained'
 ORDER BY r.risk_score DESC NULLS LAST, r.id
"""


class WorkflowDashboard(models.AbstractModel):
    _inherit = "workflow.dashboard"

    @api.model
    def _dashboard_risk(self, filters):
        """The riskiest open instances (``risk_score``), or why there are none (the risk
        model is refused: it cannot beat the base rate; cold start; not trained)."""
        Instance = self.env["workflow.instance"]
        table = Instance._table
        domain = self._base_domain("workflow.instance", filters) + [
            ("state", "=", "running"),
            ("risk_score", "!=", False),
        ]
        Instance.flush_model(["risk_score", "name", "stage_id", "definition_id", "state"])
        self.env["workflow.ai.risk.model"].flush_model()
        query = Instance._search(domain, order="risk_score desc, id", limit=RISK_LIMIT)
        lang = self.env.lang or "en_US"
        stage = SQL(
            "(SELECT COALESCE(s.name ->> %s, s.name ->> 'en_US') FROM workflow_stage s "
            "WHERE s.id = %s)",
            lang,
            SQL.identifier(table, "stage_id"),
        )
        definition = SQL(
            "(SELECT COALESCE(d.name ->> %s, d.name ->> 'en_US') FROM workflow_definition d "
            "WHERE d.id = %s)",
            lang,
            SQL.identifier(table, "definition_id"),
        )
        instances = query.select(
            SQL.identifier(table, "id"),
            SQL.identifier(table, "name"),
            SQL.identifier(table, "risk_score"),
            SQL("%s AS stage", stage),
            SQL("%s AS definition", definition),
        )
        self.env.cr.execute(SQL(RISK_SQL, instances=instances))
        rows = self.env.cr.fetchall()
        state, version = (rows[0][0], rows[0][1]) if rows else (None, None)
        return {
            "state": state or "missing",
            "version": version,
            "message": self._risk_message(state, rows[0][2] if rows else None),
            "domain": domain,
            "items": [
                {
                    "id": row[3],
                    "name": row[4],
                    "risk": row[5],
                    "stage": row[6] or "",
                    "definition": row[7] or "",
                }
                for row in rows
                if row[3]
            ],
        }

    @api.model
    def _risk_message(self, state, message):
        if state == "refused":
            return _(
                "The breach risk model cannot beat the base rate: no open order is scored "
                "until a later training does better."
            )
        if state == "cold_start":
            return _("Not enough finished instances to predict breaches yet. %(why)s", why=message)
        if state != "trained":
            return _("The breach risk model has not been trained yet.")
        return ""
