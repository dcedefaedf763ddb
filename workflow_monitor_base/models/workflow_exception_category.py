# Copyright 2026 Workflow Monitor
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

from odoo import _, api, fields, models, tools
from odoo.exceptions import AccessError, UserError, ValidationError

from ..tools.severity import SEVERITIES


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
        "is_system",
    )
    # what makes a system category the one the engine raises into: not for users to change
    _workflow_system_fields = ("code", "active", "is_system")

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
    is_system = fields.Boolean(
        string="System",
        readonly=True,
        copy=False,
        help="Raised by the engine only (SLA sweep, detectors, health watches, security "
        "signals): nobody creates its exceptions by hand, and its code cannot change.",
    )
    open_count = fields.Integer(string="Open", compute="_compute_open_count")

    _sql_constraints = [
        ("code_unique", "unique(code)", "The code of an exception category must be unique."),
    ]

    @api.model_create_multi
    def create(self, vals_list):
        if not self.env.su and any(vals.get("is_system") for vals in vals_list):
            raise AccessError(_("System categories are shipped by the modules (field: is_system)."))
        return super().create(vals_list)

    def write(self, vals):
        if not self.env.su:
            self._check_user_write(vals)
        return super().write(vals)

    def _check_user_write(self, vals):
        """Managers configure categories; whether one is a system category, and the code
        the engine raises into it by, are the modules' (it stays active too)."""
        for fname in self._workflow_system_fields:
            if fname not in vals:
                continue
            field = self._fields[fname]
            scope = self if fname == "is_system" else self.filtered("is_system")
            for category in scope:
                value = field.convert_to_record(
                    field.convert_to_cache(vals[fname], category), category
                )
                if value != category[fname]:
                    raise AccessError(
                        _(
                            "%(name)s: whether a category is a system one, and the code and "
                            "activity of a system category, are set by the modules "
                            "(field: %(fname)s).",
                            name=category.display_name,
                            fname=fname,
                        )
                    )

    @api.ondelete(at_uninstall=False)
    def _unlink_except_used(self):
        """What ON DELETE RESTRICT did (exceptions have no foreign key on their
        category): a category with exceptions is archived, not deleted."""
        self.env["workflow.exception"].flush_model(["category_id"])
        self.env.cr.execute(
            "SELECT category_id FROM workflow_exception WHERE category_id = ANY(%s) LIMIT 1",
            [self.ids],
        )
        if row := self.env.cr.fetchone():
            raise UserError(
                _(
                    "%(name)s has exceptions: archive the category instead of deleting it.",
                    name=self.browse(row[0]).display_name,
                )
            )

    @api.ondelete(at_uninstall=False)
    def _unlink_except_system(self):
        if not self.env.su and (system := self.filtered("is_system")):
            raise AccessError(
                _(
                    "%(name)s is a system category: the engine raises into it, it cannot be "
                    "deleted (field: is_system).",
                    name=system[0].display_name,
                )
            )

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
        self.check_access("read")
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "workflow_monitor_base.action_workflow_exception"
        )
        action["domain"] = [("category_id", "=", self.id)]
        return action

    @api.model
    def _workflow_mark_system(self, xmlids):
        """Data hook: mark the shipped categories ``xmlids`` as system ones (called by
        each module's data on install and update, whatever ``noupdate`` says)."""
        categories = self.browse()
        for xmlid in xmlids:
            categories |= self.env.ref(xmlid, raise_if_not_found=False) or self.browse()
        categories.sudo().filtered(lambda c: not c.is_system).write({"is_system": True})

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
