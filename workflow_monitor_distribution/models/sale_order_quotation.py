# Copyright 2026 Workflow Monitor
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

"""When a quotation was first sent to its customer: the denominator of the
``quote_conversion`` KPI (quotations confirmed / sent). The ``order_to_cash`` flow keeps
one ``quotation`` stage for draft and sent quotations (DESIGN section 4); Odoo forgets the
``sent`` state once the order is confirmed, so the moment is kept on the order."""

from odoo import _, api, fields, models
from odoo.exceptions import AccessError

from odoo.addons.workflow_monitor_base.tools import clock

SENT_FIELD = "workflow_sent_at"


class SaleOrderQuotation(models.Model):
    _inherit = "sale.order"

    workflow_sent_at = fields.Datetime(
        string="Quotation Sent",
        readonly=True,
        copy=False,
        index="btree_not_null",
        help="When the quotation was first sent to the customer (by e-mail, or marked as "
        "sent): the quotation conversion KPI counts the quotations sent.",
    )

    @api.model_create_multi
    def create(self, vals_list):
        self._check_sent_field(set().union(*vals_list) if vals_list else set())
        now = clock.now(self.env)
        for vals in vals_list:
            if vals.get("state") == "sent":
                vals[SENT_FIELD] = now
        return super().create(vals_list)

    def write(self, vals):
        self._check_sent_field(vals)
        result = super().write(vals)
        if vals.get("state") == "sent":
            first = self.filtered(lambda order: not order.workflow_sent_at)
            # sudo: the moment of the send is the suite's record, never a user's
            first.sudo().write({SENT_FIELD: clock.now(self.env)})
        return result

    def _check_sent_field(self, fnames):
        """The moment of the send is recorded when Odoo marks the quotation sent: a
        user cannot set it (the KPI would count quotations nobody sent)."""
        if SENT_FIELD in fnames and not self.env.su:
            raise AccessError(
                _(
                    "The moment a quotation was sent is recorded when it is sent (field: "
                    "Quotation Sent)."
                )
            )
