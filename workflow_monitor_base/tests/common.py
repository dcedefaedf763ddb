# Copyright 2026 Workflow Monitor
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

from odoo import Command
from odoo.sql_db import db_connect
from odoo.tests import TransactionCase

from odoo.addons.mail.tests.common import mail_new_test_user

TEST_MODEL = "workflow.test.document"
OPEN_STATES = ("new", "assigned", "in_progress")


def apply_deferred(env):
    """Apply what the transaction left for pre-commit, as a commit would: the workflow
    capture notes stages on create/write and writes instances and events only then."""
    env.flush_all()
    env.cr.precommit.run()


class WorkflowMonitorCommon(TransactionCase):
    """Shared fixtures: users of the three workflow levels plus a plain employee, a
    second company, teams with an escalation chain, a test category, and helpers
    around the test documents of ``workflow_monitor_test``."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        if TEST_MODEL not in cls.env:
            raise AssertionError(
                f"Model {TEST_MODEL} is missing: install the test addon "
                "tests/addons/workflow_monitor_test (module workflow_monitor_test) in the "
                "test database before running the workflow_monitor_base tests."
            )
        cls.company_a = cls.env.company
        cls.company_b = cls.env["res.company"].create({"name": "WM Test Company B"})
        both = [Command.set((cls.company_a | cls.company_b).ids)]

        cls.workflow_user = mail_new_test_user(
            cls.env,
            login="wm_user",
            name="WM User",
            groups="base.group_user,workflow_monitor_base.group_workflow_user",
            company_id=cls.company_a.id,
            company_ids=[Command.set(cls.company_a.ids)],
        )
        cls.workflow_user_b = mail_new_test_user(
            cls.env,
            login="wm_user_b",
            name="WM User B",
            groups="base.group_user,workflow_monitor_base.group_workflow_user",
            company_id=cls.company_b.id,
            company_ids=[Command.set(cls.company_b.ids)],
        )
        cls.workflow_manager = mail_new_test_user(
            cls.env,
            login="wm_manager",
            name="WM Manager",
            groups="base.group_user,workflow_monitor_base.group_workflow_manager",
            company_id=cls.company_a.id,
            company_ids=both,
        )
        cls.workflow_admin = mail_new_test_user(
            cls.env,
            login="wm_admin",
            name="WM Admin",
            groups="base.group_user,workflow_monitor_base.group_workflow_admin",
            company_id=cls.company_a.id,
            company_ids=both,
        )
        cls.plain_user = mail_new_test_user(
            cls.env,
            login="wm_plain",
            name="WM Plain Employee",
            groups="base.group_user",
            company_id=cls.company_a.id,
            company_ids=[Command.set(cls.company_a.ids)],
        )

        Team = cls.env["workflow.team"]
        cls.team_escalation = Team.create(
            {
                "name": "WM Escalation",
                "leader_id": cls.workflow_admin.id,
                "member_ids": [Command.set(cls.workflow_admin.ids)],
                "company_id": False,
            }
        )
        cls.team_a = Team.create(
            {
                "name": "WM Team A",
                "leader_id": cls.workflow_manager.id,
                "member_ids": [Command.set(cls.workflow_user.ids)],
                "escalation_team_id": cls.team_escalation.id,
                "company_id": False,
            }
        )
        cls.team_other = Team.create(
            {
                "name": "WM Other Team",
                "leader_id": cls.workflow_admin.id,
                "member_ids": [Command.set(cls.workflow_admin.ids)],
                "company_id": False,
            }
        )
        Category = cls.env["workflow.exception.category"]
        cls.category = Category.create(
            {
                "code": "wm_test_category",
                "name": "WM Test Category",
                "default_severity": "medium",
                "team_id": cls.team_a.id,
                "response_hours": 5.0,
            }
        )
        cls.category_no_hours = Category.create(
            {
                "code": "wm_test_no_hours",
                "name": "WM Test Category (default hours)",
                "default_severity": "low",
                "team_id": cls.team_other.id,
            }
        )

        cls.definition = cls.env.ref("workflow_monitor_test.definition_test_flow")
        cls.stage_draft = cls.env.ref("workflow_monitor_test.stage_draft")
        cls.stage_confirmed = cls.env.ref("workflow_monitor_test.stage_confirmed")
        cls.stage_delivered = cls.env.ref("workflow_monitor_test.stage_delivered")
        cls.stage_done = cls.env.ref("workflow_monitor_test.stage_done")
        cls.stage_cancel = cls.env.ref("workflow_monitor_test.stage_cancel")

    # ------------------------------------------------------------
    # helpers
    # ------------------------------------------------------------

    def run_deferred(self):
        """Apply the pending capture (instances and events are written at pre-commit).

        Call it inside the ``freeze_time`` block of the writes it applies: the events
        keep the time each stage was observed, but the SLA state of the instances is
        evaluated when the capture is applied."""
        apply_deferred(self.env)

    def create_doc(self, name="Doc", **vals):
        """Create a test document and apply its capture (as its commit would)."""
        doc = self.env[TEST_MODEL].create(dict(vals, name=name))
        self.run_deferred()
        return doc

    def write_doc(self, records, vals):
        """Write ``records`` and apply their capture (as the commit would)."""
        records.write(vals)
        self.run_deferred()
        return records

    def instance_of(self, doc):
        return self.env["workflow.instance"].search(
            [
                ("res_model", "=", doc._name),
                ("res_id", "=", doc.id),
                ("definition_id", "=", self.definition.id),
            ]
        )

    def events_of(self, doc, event_type="stage"):
        domain = [("res_model", "=", doc._name), ("res_id", "=", doc.id)]
        if event_type:
            domain.append(("event_type", "=", event_type))
        return self.env["workflow.event"].search(domain, order="id")

    def open_exceptions(self, category_code, **where):
        domain = [("category_id.code", "=", category_code), ("state", "in", OPEN_STATES)]
        domain += [(key, "=", value) for key, value in where.items()]
        return self.env["workflow.exception"].search(domain)

    def set_param(self, key, value):
        self.env["ir.config_parameter"].sudo().set_param(key, str(value))

    def purge_committed_exceptions(self, where_sql, params):
        """Delete, through a separate connection, exceptions (and their events and
        messages) that the engine committed from its own cursor during a test."""

        def purge():
            with db_connect(self.env.cr.dbname).cursor() as cr:
                cr.execute(f"SELECT id FROM workflow_exception WHERE {where_sql}", params)
                ids = [row[0] for row in cr.fetchall()]
                if not ids:
                    return
                cr.execute(
                    "DELETE FROM workflow_event WHERE event_type = 'exception' "
                    "AND (payload->>'exception_id')::int = ANY(%s)",
                    [ids],
                )
                cr.execute(
                    "DELETE FROM mail_message WHERE model = 'workflow.exception' "
                    "AND res_id = ANY(%s)",
                    [ids],
                )
                cr.execute(
                    "DELETE FROM mail_followers WHERE res_model = 'workflow.exception' "
                    "AND res_id = ANY(%s)",
                    [ids],
                )
                cr.execute(
                    "DELETE FROM mail_activity WHERE res_model = 'workflow.exception' "
                    "AND res_id = ANY(%s)",
                    [ids],
                )
                cr.execute("DELETE FROM workflow_exception WHERE id = ANY(%s)", [ids])

        self.addCleanup(purge)
