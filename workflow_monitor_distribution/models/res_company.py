# Copyright 2026 Workflow Monitor
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

from odoo import _, api, fields, models
from odoo.exceptions import ValidationError


class ResCompany(models.Model):
    """Per-company defaults of the replenishment detectors (Settings › Workflow
    Monitor › Distribution): a warehouse without hours of its own uses its company's."""

    _inherit = "res.company"

    workflow_replenishment_aging_hours = fields.Float(
        string="Replenishment Aging (h)",
        default=24.0,
        help="A reordering rule that needs an order and has none for longer than this "
        "raises an exception; a warehouse's own value replaces it.",
    )
    workflow_duplicate_replenishment_tolerance = fields.Float(
        string="Duplicate Replenishment Tolerance (%)",
        default=10.0,
        help="Open purchases and transfers of a product for a warehouse may exceed its "
        "need by this share before they count as replenishment triggered twice.",
    )

    @api.constrains(
        "workflow_replenishment_aging_hours", "workflow_duplicate_replenishment_tolerance"
    )
    def _check_workflow_replenishment(self):
        for company in self:
            for fname in (
                "workflow_replenishment_aging_hours",
                "workflow_duplicate_replenishment_tolerance",
            ):
                if company[fname] < 0:
                    raise ValidationError(
                        _(
                            "%(name)s: %(field)s cannot be negative.",
                            name=company.name,
                            field=company._fields[fname].string,
                        )
                    )
