# Copyright 2026 Workflow Monitor
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

import ast
from collections import defaultdict
from datetime import timedelta

from odoo import _, api, fields, models, tools
from odoo.exceptions import ValidationError
from odoo.osv import expression

from ..tools.severity import SEVERITIES


class WorkflowSlaPolicy(models.Model):
    _name = "workflow.sla.policy"
    _description = "Workflow SLA Policy"
    _inherit = ["workflow.config.audit.mixin", "workflow.cached.config.mixin"]
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
        """Parse the domain: Python literals only (lists, tuples, strings, numbers)."""
        self.ensure_one()
        if not self.domain or self.domain.strip() in ("", "[]"):
            return []
        try:
            # a literal domain, never evaluated code: managers (not only admins) write it,
            # it is cached per worker and applied for any user
            domain = ast.literal_eval(self.domain.strip())
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

    # ------------------------------------------------------------
    # MATCHING (hot path: runs when documents change stage)
    # ------------------------------------------------------------

    @api.model
    @tools.ormcache("definition_id")
    def _rules(self, definition_id):
        """Active policies of a definition as plain values, by sequence. Cached per
        worker (cleared when a policy changes) so capture reads no policy row."""
        policies = self.sudo().search([("definition_id", "=", definition_id)])
        return tuple(policy._rule_values() for policy in policies)

    def _rule_values(self):
        """Hook: the values matching and timing need; node modules add theirs."""
        self.ensure_one()
        return {
            "id": self.id,
            "stage_id": self.stage_id.id,
            "company_id": self.company_id.id,
            "domain": self._get_domain(),
            "target_hours": self.target_hours,
            "warning_hours": self.warning_hours,
            "calendar_id": self.calendar_id.id,
        }

    @api.model
    def _rule_matches(self, rule, records):
        """Hook: the subset of ``records`` the rule applies to (node modules narrow it)."""
        if rule["company_id"] and "company_id" in records._fields:
            records = records.filtered(lambda r: r.company_id.id == rule["company_id"])
        return records.filtered_domain(rule["domain"]) if rule["domain"] else records

    @api.model
    def _match_deadlines(self, definition_id, items):
        """Return {(model, id): (policy id, deadline, warning datetime)} for the
        (record, stage id, entered at) triples entering a stage.

        No query for the policies (cached), in-memory domain matching, one working-time
        computation per calendar and entry time.
        """
        rules = self._rules(definition_id)
        if not items or not rules:
            return {}
        groups = defaultdict(list)
        for record, stage_id, start in items:
            groups[(record._name, stage_id)].append((record, start))
        result = {}
        for (_model, stage_id), members in groups.items():
            starts = {record.id: start for record, start in members}
            remaining = members[0][0].browse(list(starts))
            for rule in rules:
                if not remaining:
                    break
                if rule["stage_id"] != stage_id:
                    continue
                hits = self._rule_matches(rule, remaining)
                remaining -= hits
                by_start = defaultdict(list)
                for record in hits:
                    by_start[starts[record.id]].append(record)
                for start, hit_records in by_start.items():
                    deadline = self._add_rule_hours(rule, start, rule["target_hours"])
                    warning = (
                        self._add_rule_hours(rule, start, rule["warning_hours"])
                        if rule["warning_hours"]
                        else None
                    )
                    for record in hit_records:
                        result[(record._name, record.id)] = (rule["id"], deadline, warning)
        return result

    @api.model
    def _add_rule_hours(self, rule, start, hours):
        if not rule["calendar_id"]:
            return start + timedelta(hours=hours)
        calendar = self.env["resource.calendar"].sudo().browse(rule["calendar_id"])
        return calendar._workflow_add_hours([start], hours)[0]
