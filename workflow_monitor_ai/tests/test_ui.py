# Copyright 2026 Workflow Monitor
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

from odoo.tests import HttpCase, tagged

from odoo.addons.workflow_monitor_ai.tools.classifier import exception_text

from .generator import generate


@tagged("post_install", "-at_install")
class TestReviewTour(HttpCase):
    def test_review_tour(self):
        Category = self.env["workflow.exception.category"]
        late = Category.search([("code", "=", "late_delivery")]) or Category.create(
            {"code": "late_delivery", "name": "Late Delivery"}
        )
        inbox = Category.create(
            {"code": "wm_ai_tour_inbox", "name": "Tour Inbox", "auto_resolve": False}
        )
        for code in {row[3] for row in generate(per_category=1)}:
            if not Category.search([("code", "=", code)]):
                Category.create({"code": code, "name": code.replace("_", " ").title()})
        rows = [(exception_text(n, d, m, "structural"), c, s) for n, d, m, c, s in generate()]
        self.env["workflow.ai.model"]._train(rows=rows)
        self.env["ir.config_parameter"].sudo().set_param(
            "workflow_monitor_ai.confidence_threshold", "1.0"
        )
        exception = self.env["workflow.exception"].create(
            {
                "name": "Carrier DHL missed the pickup of WH/OUT/00042",
                "description": "Truck not arrived at WH Paris, carrier tracking shows no scan.",
                "category_id": inbox.id,
                "dedupe_key": "manual:tour",
            }
        )
        exception._ai_classify()
        self.assertEqual(exception.ai_proposed_count, 1)
        self.start_tour(
            f"/odoo/action-workflow_monitor_base.action_workflow_exception/{exception.id}",
            "workflow_monitor_ai_review_tour",
            login="admin",
        )
        self.assertEqual(exception.category_id, late)
