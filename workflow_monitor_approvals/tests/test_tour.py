# Copyright 2026 Workflow Monitor
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

from odoo import Command
from odoo.tests import HttpCase, tagged

from odoo.addons.mail.tests.common import mail_new_test_user


@tagged("post_install", "-at_install")
class TestApprovalTour(HttpCase):
    def test_approver_approves_from_my_approvals(self):
        self.env["workflow.approval.policy"].search([]).write({"active": False})
        # only the request of this test is pending (the dashboard tour counts it)
        self.env["workflow.approval.request"].search([("state", "=", "pending")]).sudo().write(
            {"state": "cancelled"}
        )
        salesperson = mail_new_test_user(
            self.env,
            login="wm_tour_sales",
            password="wm_tour_sales_pw",
            groups="base.group_user,sales_team.group_sale_salesman",
            notification_type="inbox",
        )
        approver = mail_new_test_user(
            self.env,
            login="wm_tour_approver",
            password="wm_tour_approver_pw",
            groups="base.group_user,sales_team.group_sale_manager,"
            "workflow_monitor_base.group_workflow_user",
        )
        self.env["workflow.approval.policy"].create(
            {
                "name": "WM tour: large orders",
                "res_model": "sale.order",
                "condition": "amount",
                "threshold": 1000.0,
                "tier_ids": [
                    Command.create(
                        {"approver_type": "user", "user_ids": [Command.set(approver.ids)]}
                    )
                ],
            }
        )
        product = self.env["product.product"].create(
            {"name": "WM Tour Widget", "list_price": 100.0, "standard_price": 40.0}
        )
        customer = self.env["res.partner"].create({"name": "WM Tour Customer"})
        order = (
            self.env["sale.order"]
            .with_user(salesperson)
            .create(
                {
                    "partner_id": customer.id,
                    "order_line": [
                        Command.create({"product_id": product.id, "product_uom_qty": 30})
                    ],
                }
            )
        )
        self.start_tour(
            f"/odoo/action-sale.action_quotations_with_onboarding/{order.id}",
            "workflow_monitor_approvals_request_tour",
            login="wm_tour_sales",
        )
        order.invalidate_recordset()
        self.assertEqual(order.state, "draft")
        request = self.env["workflow.approval.request"].search(
            [("res_model", "=", "sale.order"), ("res_id", "=", order.id)]
        )
        self.assertEqual(request.state, "pending")
        self.assertEqual(request.activity_ids.user_id, approver)

        # the dashboard (as admin, a Workflow Monitor manager) shows it by age
        self.start_tour(
            "/odoo/workflow-monitor", "workflow_monitor_approvals_dashboard_tour", login="admin"
        )

        self.start_tour("/odoo", "workflow_monitor_approvals_tour", login="wm_tour_approver")

        request.invalidate_recordset()
        order.invalidate_recordset()
        self.assertEqual(request.state, "approved")
        self.assertEqual(order.state, "sale")
        self.assertEqual(request.decision_ids.user_id, approver)
        self.assertEqual(request.requester_id, salesperson)
