# Copyright 2026 Workflow Monitor
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

from odoo import _, api, fields, models
from odoo.exceptions import ValidationError


class WorkflowTeam(models.Model):
    _name = "workflow.team"
    _description = "Workflow Team"
    _order = "name, id"

    name = fields.Char(required=True, translate=True)
    member_ids = fields.Many2many("res.users", string="Members", domain=[("share", "=", False)])
    leader_id = fields.Many2one("res.users", string="Team Leader", domain=[("share", "=", False)])
    company_id = fields.Many2one("res.company", default=lambda self: self.env.company)
    escalation_team_id = fields.Many2one(
        "workflow.team", help="Escalated exceptions of this team go to that team."
    )
    active = fields.Boolean(default=True)
    color = fields.Integer()
    open_exception_count = fields.Integer(string="Open Exceptions", compute="_compute_counts")
    overdue_exception_count = fields.Integer(string="Overdue", compute="_compute_counts")

    @api.constrains("escalation_team_id")
    def _check_escalation_loop(self):
        if self._has_cycle("escalation_team_id"):
            raise ValidationError(
                _("Escalation teams cannot form a loop (field: Escalation Team).")
            )

    def _compute_counts(self):
        exceptions = self.env["workflow.exception"]
        open_domain = [
            ("team_id", "in", self.ids),
            ("state", "in", ("new", "assigned", "in_progress")),
        ]
        counts = dict(exceptions._read_group(open_domain, ["team_id"], ["__count"]))
        overdue = dict(
            exceptions._read_group(
                open_domain + [("response_deadline", "<", fields.Datetime.now())],
                ["team_id"],
                ["__count"],
            )
        )
        for team in self:
            team.open_exception_count = counts.get(team, 0)
            team.overdue_exception_count = overdue.get(team, 0)

    def unlink(self):
        # exceptions have no foreign key on their team (bulk inserts): what ON DELETE
        # SET NULL did; escalation targets keep Odoo's own constraint
        self.check_access("unlink")
        self.env["workflow.exception"].flush_model(["team_id"])
        self.env.cr.execute(
            "UPDATE workflow_exception SET team_id = NULL WHERE team_id = ANY(%s)", [self.ids]
        )
        self.env["workflow.exception"].invalidate_model(["team_id"])
        return super().unlink()

    def action_view_exceptions(self):
        self.ensure_one()
        self.check_access("read")
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "workflow_monitor_base.action_workflow_exception"
        )
        action["domain"] = [("team_id", "=", self.id)]
        action["context"] = {"search_default_open": 1}
        return action
