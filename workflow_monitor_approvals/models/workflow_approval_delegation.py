# Copyright 2026 Workflow Monitor
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

from odoo import _, api, fields, models
from odoo.exceptions import AccessError, ValidationError

MANAGER_GROUP = "workflow_monitor_base.group_workflow_manager"


class WorkflowApprovalDelegation(models.Model):
    """An approver hands their approvals to a substitute: for a period (out of office)
    or for one request. The substitute decides on the approver's behalf and the
    decision log says so."""

    _name = "workflow.approval.delegation"
    _description = "Approval Delegation"
    _order = "date_from desc, id desc"
    _rec_name = "substitute_id"

    user_id = fields.Many2one(
        "res.users",
        string="Approver",
        required=True,
        index=True,
        default=lambda self: self.env.user,
        domain=[("share", "=", False)],
    )
    substitute_id = fields.Many2one(
        "res.users", required=True, index=True, domain=[("share", "=", False)]
    )
    date_from = fields.Date(
        string="From", default=fields.Date.context_today, help="Empty: from now on."
    )
    date_to = fields.Date(string="To", help="Empty: until archived.")
    request_id = fields.Many2one(
        "workflow.approval.request",
        string="Only for request",
        index="btree_not_null",
        ondelete="cascade",
        help="Delegate one request only; empty delegates every request of the period.",
    )
    note = fields.Char()
    active = fields.Boolean(default=True)
    is_current = fields.Boolean(compute="_compute_is_current", string="In effect")

    @api.constrains("user_id", "substitute_id", "date_from", "date_to")
    def _check_delegation(self):
        for delegation in self:
            if delegation.user_id == delegation.substitute_id:
                raise ValidationError(
                    _("An approver cannot delegate to themselves (field: Substitute).")
                )
            if (
                delegation.date_from
                and delegation.date_to
                and delegation.date_to < delegation.date_from
            ):
                raise ValidationError(_("The delegation ends before it starts (field: To)."))

    def _compute_is_current(self):
        today = fields.Date.context_today(self)
        for delegation in self:
            delegation.is_current = bool(
                delegation.active
                and (not delegation.date_from or delegation.date_from <= today)
                and (not delegation.date_to or delegation.date_to >= today)
            )

    @api.model
    def _current_domain(self, day=None):
        day = day or fields.Date.context_today(self)
        return [
            ("active", "=", True),
            "|",
            ("date_from", "=", False),
            ("date_from", "<=", day),
            "|",
            ("date_to", "=", False),
            ("date_to", ">=", day),
        ]

    # ------------------------------------------------------------
    # CRUD: only the delegating approver (or an approval manager) makes or changes a
    # delegation, and nobody moves one onto somebody else
    # ------------------------------------------------------------

    @api.model_create_multi
    def create(self, vals_list):
        if not self._may_manage_others():
            for vals in vals_list:
                if vals.get("user_id", self.env.uid) != self.env.uid:
                    raise AccessError(
                        _(
                            "You can only delegate your own approvals (field: Approver); an "
                            "approval manager sets up delegations for others."
                        )
                    )
        delegations = super().create(vals_list)
        delegations._sync_pending_requests()
        return delegations

    def write(self, vals):
        if not self._may_manage_others():
            if "user_id" in vals and any(d.user_id.id != vals["user_id"] for d in self):
                raise AccessError(
                    _("A delegation stays with the approver who made it (field: Approver).")
                )
            if any(d.user_id != self.env.user for d in self):
                raise AccessError(_("You can only change your own delegations."))
        previous = self.user_id
        result = super().write(vals)
        self._sync_pending_requests(previous)
        return result

    def _may_manage_others(self):
        return self.env.su or self.env.user.has_group(MANAGER_GROUP)

    def _sync_pending_requests(self, previous=None):
        """Pending requests of the delegating approvers now go to the substitutes too."""
        users = self.user_id | (previous or self.env["res.users"])
        # sudo: activities of requests are engine data; delegations are per-user records
        requests = (
            self.env["workflow.approval.request"]
            .sudo()
            .search(
                [
                    ("state", "=", "pending"),
                    ("tier_approver_ids", "in", users.ids),
                ]
            )
        )
        requests._sync_activities()
