# Copyright 2026 Workflow Monitor
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

from odoo.addons.workflow_monitor_ai.tools.classifier import exception_text
from odoo.addons.workflow_monitor_base.tests.common import WorkflowMonitorCommon

from .generator import CATEGORIES, generate


class AiCommon(WorkflowMonitorCommon):
    """Base fixtures plus the six distribution categories of the generated data set (the
    ones of the distribution/integrations modules when installed, else created here)
    and a catch-all inbox category that no detector owns."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        Category = cls.env["workflow.exception.category"]
        cls.categories = {}
        for code in CATEGORIES:
            category = Category.search([("code", "=", code)], limit=1)
            if not category:
                category = Category.create(
                    {
                        "code": code,
                        "name": code.replace("_", " ").title(),
                        "team_id": cls.team_a.id,
                        "default_severity": "medium",
                    }
                )
            else:
                # shipped by another module (distribution): route it to the test team so
                # the test users may work the exceptions it receives
                category.team_id = cls.team_a
            cls.categories[code] = category
        cls.inbox = Category.create(
            {
                "code": "wm_ai_inbox",
                "name": "WM AI Inbox",
                "team_id": cls.team_a.id,
                "default_severity": "medium",
                "auto_resolve": False,
            }
        )

    @staticmethod
    def dataset(per_category=80, seed=7):
        return generate(per_category=per_category, seed=seed)

    @staticmethod
    def rows_of(dataset):
        """(text, category, severity) rows as the training reads them."""
        return [
            (exception_text(name, description, res_model, "structural"), code, severity)
            for name, description, res_model, code, severity in dataset
        ]

    def set_ai(self, **values):
        for key, value in values.items():
            self.set_param(f"workflow_monitor_ai.{key}", value)
