from collections import defaultdict
from datetime import timedelta

from odoo import _, api, fields, models
from odoo.exceptions import ValidationError
from odoo.osv import expression
from odoo.tools.safe_eval import safe_eval

SEVERITIES = [("low", "Low"), ("medium", "Medium"), ("high", "High"), ("critical", "Critical")]


class WorkflowSlaPolicy(models.Model):
    _name = "workflow.sla.policy"
    _description = "Workflow SLA Policy"
    _inherit = ["workflow.config.audit.mixin"]
    _order = "sequence, id"
    _workflow_audit_fields = (
        "name",
        "definition_id",
        "stage_id",
        "sequence",
        "domain",
        "company_id",
        "target_hours",
        "warning_hours",
        "calendar_id",
        "breach_category_id",
        "breach_severity",
        "active",
    )

    name = fields.Char(required=True, translate=True)
    definition_id = fields.Many2one("workflow.definition", required=True, ondelete="cascade")
    stage_id = fields.Many2one(
        "workflow.stage",
        required=True,
        ondelete="cascade",
        domain="[('definition_id', '=', definition_id)]",
        help="The timer starts when a document enters this stage and stops when it leaves it.",
    )
    res_model = fields.Char(related="definition_id.res_model")
    sequence = fields.Integer(default=10, help="The first matching policy (lowest sequence) wins.")
    domain = fields.Char(
        default="[]",
        help="Only documents matching this domain (on the root document) use this policy.",
    )
    company_id = fields.Many2one(
        "res.company", help="Leave empty to apply the policy to every company."
    )
    target_hours = fields.Float(
        required=True,
        default=24.0,
        help="Hours allowed in the stage (working hours when a calendar is set).",
    )
    warning_hours = fields.Float(
        help="Hours after entering the stage at which the SLA turns to Warning. "
        "Must not exceed the target. Zero means no warning."
    )
    calendar_id = fields.Many2one(
        "resource.calendar",
        string="Working Hours",
        help="Count only the working hours of this calendar; empty means 24/7.",
    )
    breach_category_id = fields.Many2one(
        "workflow.exception.category",
        string="Breach Category",
        default=lambda self: self.env.ref(
            "workflow_monitor_base.category_sla_breach", raise_if_not_found=False
        ),
        help="Category of the exception raised when the deadline passes.",
    )
    breach_severity = fields.Selection(SEVERITIES, default="high")
    active = fields.Boolean(default=True)

    # ------------------------------------------------------------
    # CONSTRAINTS
    # ------------------------------------------------------------

    @api.constrains("target_hours", "warning_hours")
    def _check_hours(self):
        for policy in self:
            if policy.target_hours <= 0:
                raise ValidationError(
                    _(
                        "%(name)s: the target hours must be positive (field: Target Hours).",
                        name=policy.name,
                    )
                )
            if policy.warning_hours < 0:
                raise ValidationError(
                    _(
                        "%(name)s: the warning hours cannot be negative (field: Warning Hours).",
                        name=policy.name,
                    )
                )
            if policy.warning_hours > policy.target_hours:
                raise ValidationError(
                    _(
                        "%(name)s: the warning (%(warning)s h) comes after the target "
                        "(%(target)s h) (field: Warning Hours).",
                        name=policy.name,
                        warning=policy.warning_hours,
                        target=policy.target_hours,
                    )
                )

    @api.constrains("stage_id", "definition_id")
    def _check_stage(self):
        for policy in self:
            if policy.stage_id.definition_id != policy.definition_id:
                raise ValidationError(
                    _(
                        "%(name)s: the stage %(stage)s does not belong to the workflow "
                        "%(definition)s "
                        "(field: Stage).",
                        name=policy.name,
                        stage=policy.stage_id.name,
                        definition=policy.definition_id.name,
                    )
                )

    @api.constrains("domain", "definition_id")
    def _check_domain(self):
        for policy in self:
            policy._get_domain()

    # ------------------------------------------------------------
    # HELPERS
    # ------------------------------------------------------------

    def _get_domain(self):
        """Parse the domain (a literal, evaluated without any user-provided context)."""
        self.ensure_one()
        if not self.domain or self.domain.strip() in ("", "[]"):
            return []
        try:
            domain = safe_eval(
                self.domain, {"uid": self.env.uid, "context_today": fields.Date.context_today}
            )
            domain = expression.normalize_domain(domain)
            if self.res_model in self.env:
                self.env[self.res_model].sudo()._where_calc(domain)
        except Exception as error:  # noqa: BLE001 - any parse error becomes a clear message
            raise ValidationError(
                _(
                    "%(name)s: the domain does not parse (field: Domain): %(error)s",
                    name=self.name,
                    error=error,
                )
            ) from error
        return domain

    def _match_records(self, records):
        """Hook: the subset of ``records`` this policy applies to (node fields in
        consumer modules narrow it further)."""
        self.ensure_one()
        if self.company_id and "company_id" in records._fields:
            records = records.filtered(lambda r: r.company_id == self.company_id)
        domain = self._get_domain()
        return records.filtered_domain(domain) if domain else records

    @api.model
    def _match_deadlines(self, definition_id, items, start):
        """Return {(model, id): (policy id, deadline, warning datetime)} for the
        (record, stage id) pairs entering a stage at ``start``.

        One search for all candidate policies, in-memory domain matching, and one
        working-interval computation per calendar for the whole batch.
        """
        if not items:
            return {}
        # sudo: policies are read for their thresholds only; users moving documents
        # need not have access to the SLA configuration.
        policies = self.sudo().search(
            [
                ("definition_id", "=", definition_id),
                ("stage_id", "in", list({s for _r, s in items})),
            ]
        )
        if not policies:
            return {}
        by_stage = defaultdict(list)
        for record, stage_id in items:
            by_stage[stage_id].append(record)
        matched = {}
        for stage_id, records in by_stage.items():
            remaining = records[0].browse([r.id for r in records])
            for policy in policies.filtered(lambda p, s=stage_id: p.stage_id.id == s):
                if not remaining:
                    break
                hits = policy._match_records(remaining)
                for record in hits:
                    matched[(record._name, record.id)] = policy
                remaining -= hits
        result = {}
        by_policy = defaultdict(list)
        for key, policy in matched.items():
            by_policy[policy].append(key)
        for policy, keys in by_policy.items():
            deadline = policy._add_hours([start], policy.target_hours)[0]
            warning = (
                policy._add_hours([start], policy.warning_hours)[0]
                if policy.warning_hours
                else None
            )
            for key in keys:
                result[key] = (policy.id, deadline, warning)
        return result

    def _add_hours(self, starts, hours):
        """Return ``start + hours`` for each start, counting only the policy calendar's
        working time (leaves included). Naive UTC datetimes in and out."""
        self.ensure_one()
        if not self.calendar_id:
            return [start + timedelta(hours=hours) for start in starts]
        return self.calendar_id._workflow_add_hours(starts, hours)
