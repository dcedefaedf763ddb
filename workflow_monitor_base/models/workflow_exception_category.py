from odoo import _, api, fields, models, tools
from odoo.exceptions import ValidationError

from .workflow_sla_policy import SEVERITIES


class WorkflowExceptionCategory(models.Model):
    _name = "workflow.exception.category"
    _description = "Workflow Exception Category"
    _inherit = ["workflow.config.audit.mixin", "workflow.cached.config.mixin"]
    _order = "name, id"
    _workflow_audit_fields = (
        "code",
        "name",
        "default_severity",
        "team_id",
        "response_hours",
        "failure_kind",
        "auto_resolve",
        "active",
    )

    code = fields.Char(required=True, help="Technical key used by detectors and the API.")
    name = fields.Char(required=True, translate=True)
    default_severity = fields.Selection(SEVERITIES, required=True, default="medium")
    team_id = fields.Many2one("workflow.team", help="Exceptions of this category go to this team.")
    response_hours = fields.Float(
        help="Hours to respond before the exception escalates; empty uses the default "
        "of its severity (Settings)."
    )
    failure_kind = fields.Selection(
        [("transient", "Transient"), ("structural", "Structural")],
        default="structural",
        help="Transient failures usually clear by themselves (a retry helps); structural "
        "ones need a fix in data or configuration.",
    )
    auto_resolve = fields.Boolean(
        default=True,
        help="Resolve open exceptions automatically when their detector no longer sees "
        "the condition.",
    )
    playbook = fields.Html(help="What the owner should do, step by step.")
    active = fields.Boolean(default=True)
    open_count = fields.Integer(string="Open", compute="_compute_open_count")

    _sql_constraints = [
        ("code_unique", "unique(code)", "The code of an exception category must be unique."),
    ]

    @api.constrains("response_hours")
    def _check_response_hours(self):
        for category in self:
            if category.response_hours < 0:
                raise ValidationError(
                    _(
                        "%(name)s: the response hours cannot be negative (field: Response Hours).",
                        name=category.name,
                    )
                )

    def _compute_open_count(self):
        counts = dict(
            self.env["workflow.exception"]._read_group(
                [
                    ("category_id", "in", self.ids),
                    ("state", "in", ("new", "assigned", "in_progress")),
                ],
                ["category_id"],
                ["__count"],
            )
        )
        for category in self:
            category.open_count = counts.get(category, 0)

    def action_view_exceptions(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "workflow_monitor_base.action_workflow_exception"
        )
        action["domain"] = [("category_id", "=", self.id)]
        return action

    @api.model
    @tools.ormcache("code")
    def _id_by_code(self, code):
        category = self.sudo().search([("code", "=", code)], limit=1)
        return category.id

    @api.model
    def _get_by_code(self, code):
        """Return the category for ``code`` or raise a ValidationError naming the field."""
        category_id = self._id_by_code(code) if code else False
        if not category_id:
            raise ValidationError(
                _("Unknown exception category code '%(code)s' (field: category_code).", code=code)
            )
        return self.browse(category_id)
