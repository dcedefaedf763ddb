# Copyright 2026 Workflow Monitor
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

from datetime import datetime, timedelta

from odoo import Command
from odoo.exceptions import ValidationError
from odoo.tests import freeze_time, tagged

from .common import IntegrationCommon


@tagged("post_install", "-at_install")
class TestOutbox(IntegrationCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # only this suite's routes are active (demo data ships one)
        cls.env["workflow.integration.route"].search([]).write({"active": False})

    def messages(self, **where):
        domain = [("integration_id", "=", self.integration.id)]
        domain += [(key, "=", value) for key, value in where.items()]
        return self.Message.search(domain, order="id")

    def test_stage_change_queues_one_message(self):
        self.make_route(
            event_type="stage",
            definition_id=self.definition.id,
            stage_id=self.stage_confirmed.id,
        )
        doc = self.create_doc("Outbox doc")
        self.run_deferred()
        self.assertFalse(self.messages(), "the draft stage is not routed")
        doc.state = "confirmed"
        self.run_deferred()
        message = self.messages()
        self.assertEqual(len(message), 1)
        self.assertEqual(message.state, "pending")
        self.assertEqual(message.direction, "out")
        self.assertTrue(message.webhook_id.startswith("msg_"))
        self.assertEqual((message.res_model, message.res_id), (doc._name, doc.id))
        data = message.payload["data"]
        self.assertEqual(message.payload["type"], "workflow.event")
        self.assertEqual(
            (data["definition"], data["stage_from"], data["stage_to"]),
            ("test_flow", "draft", "confirmed"),
        )
        self.assertEqual(data["res_id"], doc.id)

    def test_sla_sweep_queues_its_events(self):
        """The SLA sweep writes its events and exceptions in one statement: the routes
        on SLA and exception events still get one message per event."""
        self.env["workflow.sla.policy"].create(
            {
                "name": "WM outbox 1 h",
                "definition_id": self.definition.id,
                "stage_id": self.stage_confirmed.id,
                "target_hours": 1.0,
                "warning_hours": 0.5,
            }
        )
        self.make_route(event_type="sla", name="SLA route")
        self.make_route(event_type="exception", name="Exception route")
        start = datetime(2025, 3, 7, 15, 0)
        with freeze_time(start):
            late = self.create_doc("Outbox late")
            warned = self.create_doc("Outbox warned")
        with freeze_time(start + timedelta(minutes=15)):
            self.write_doc(late, {"state": "confirmed"})
        with freeze_time(start + timedelta(minutes=45)):
            self.write_doc(warned, {"state": "confirmed"})
        with freeze_time(start + timedelta(hours=1, minutes=20)):
            self.assertEqual(self.env["workflow.instance"]._cron_sla_sweep(), 2)
        sla = self.messages(event_type="sla")
        self.assertEqual(len(sla), 2)
        self.assertEqual(
            {(m.res_id, m.payload["data"]["payload"]["sla_state"]) for m in sla},
            {(late.id, "breached"), (warned.id, "warning")},
        )
        raised = self.messages(event_type="exception")
        self.assertEqual(len(raised), 1)
        self.assertEqual(raised.res_id, late.id)
        self.assertEqual(raised.payload["data"]["payload"]["action"], "raised")
        self.assertEqual(raised.payload["data"]["payload"]["category"], "sla_breach")
        self.assertTrue(all(m.state == "pending" for m in sla | raised))

    def test_exception_route_by_severity_and_category(self):
        self.make_route(event_type="exception", min_severity="critical")
        self.make_route(event_type="exception", category_id=self.category.id, name="By category")
        doc = self.create_doc("Exception doc")
        Exception_ = self.env["workflow.exception"]
        Exception_.raise_exception(
            doc, "wm_test_no_hours", "not routed", severity="high", dedupe_key="k1"
        )
        self.assertFalse(self.messages())
        Exception_.raise_exception(
            doc, "wm_test_no_hours", "routed", severity="critical", dedupe_key="k2"
        )
        self.assertEqual(len(self.messages()), 1)
        self.assertEqual(self.messages().payload["data"]["payload"]["severity"], "critical")
        Exception_.raise_exception(doc, "wm_test_category", "by category", severity="low")
        self.assertEqual(len(self.messages()), 2)
        # a new occurrence of an open exception is not a new event: nothing more is sent
        Exception_.raise_exception(doc, "wm_test_category", "by category", severity="low")
        self.assertEqual(len(self.messages()), 2)

    def test_model_domain_and_fields(self):
        model = self.env["ir.model"]._get("workflow.test.document")
        fields_ = self.env["ir.model.fields"].search(
            [("model_id", "=", model.id), ("name", "in", ("name", "amount"))]
        )
        self.make_route(
            event_type="stage",
            model_id=model.id,
            domain="[('amount', '>', 100)]",
            field_ids=[Command.set(fields_.ids)],
        )
        small = self.create_doc("Small", amount=10)
        big = self.create_doc("Big", amount=500)
        self.run_deferred()
        message = self.messages()
        self.assertEqual(message.res_id, big.id)
        self.assertNotIn(small.id, self.messages().mapped("res_id"))
        self.assertEqual(
            message.payload["data"]["record"], {"id": big.id, "name": "Big", "amount": 500.0}
        )

    def test_route_validation(self):
        with self.assertRaisesRegex(ValidationError, "Domain"):
            self.make_route(
                model_id=self.env["ir.model"]._get_id("workflow.test.document"),
                domain="[('nope', '=', 1)]",
            )
        with self.assertRaisesRegex(ValidationError, "Document Model"):
            self.make_route(domain="[('amount', '>', 1)]")
        with self.assertRaisesRegex(ValidationError, "Endpoint URL"):
            self.integration.url = "ftp://example.com"
        inbound_only = self.env["workflow.integration"].create({"name": "WM inbound only"})
        with self.assertRaisesRegex(ValidationError, "no endpoint"):
            self.make_route(integration_id=inbound_only.id)
        with self.assertRaisesRegex(ValidationError, "Signing Secret"):
            self.integration.signing_secret = "not-a-secret"

    def test_batch_is_set_based(self):
        """Events logged in one call are routed with a constant number of queries."""
        self.make_route(event_type="custom")
        Event = self.env["workflow.event"]

        def log(count):
            Event._log_events([{"event_type": "custom", "payload": {"n": i}} for i in range(count)])
            self.env.flush_all()

        log(1)  # warm caches
        cr = self.env.cr
        start = cr.sql_log_count
        log(5)
        five = cr.sql_log_count - start
        start = cr.sql_log_count
        log(200)
        two_hundred = cr.sql_log_count - start
        self.assertEqual(len(self.messages()), 206)
        self.assertLessEqual(two_hundred, five + 2, "queries must not grow with the batch")

    def test_no_active_route_costs_nothing(self):
        Event = self.env["workflow.event"]
        Event._log_events([{"event_type": "custom"}])
        cr = self.env.cr
        start = cr.sql_log_count
        Event._log_events([{"event_type": "custom"} for _i in range(50)])
        self.assertEqual(cr.sql_log_count - start, 1, "one INSERT, no routing query")

    def test_server_action_sends_through_outbox(self):
        model = self.env["ir.model"]._get("workflow.test.document")
        action = self.env["ir.actions.server"].create(
            {
                "name": "WM reliable webhook",
                "model_id": model.id,
                "state": "workflow_webhook",
                "workflow_integration_id": self.integration.id,
                "workflow_webhook_field_ids": [
                    Command.set(
                        self.env["ir.model.fields"]
                        .search([("model_id", "=", model.id), ("name", "=", "amount")])
                        .ids
                    )
                ],
            }
        )
        docs = self.create_doc("A", amount=1) | self.create_doc("B", amount=2)
        action.with_context(active_model=docs._name, active_ids=docs.ids).run()
        messages = self.messages(event_type="server_action")
        self.assertEqual(sorted(messages.mapped("res_id")), sorted(docs.ids))
        self.assertEqual(
            sorted(m.payload["data"]["record"]["amount"] for m in messages), [1.0, 2.0]
        )
        self.deliver()
        self.assertEqual(set(messages.mapped("state")), {"delivered"})
        self.assertEqual(len(self.receiver.requests), 2)
        with self.assertRaisesRegex(ValidationError, "Integration"):
            action.workflow_integration_id = False

    def test_rollback_no_message_commit_exactly_one(self):
        """The outbox row is written in the business transaction (real connections)."""
        dbname_registry = self.registry
        with dbname_registry.cursor() as cr:
            env = self.real_env(cr)
            integration = env["workflow.integration"].create(
                {"name": "WM committed", "url": self.receiver.url}
            )
            env["workflow.integration.route"].create(
                {"name": "all custom", "integration_id": integration.id, "event_type": "custom"}
            )
        self.purge_committed([integration.id])
        self.registry.clear_cache()

        def count(marker):
            with dbname_registry.cursor() as cr:
                cr.execute(
                    "SELECT count(*) FROM workflow_integration_message "
                    "WHERE integration_id = %s AND payload->'data'->'payload'->>'marker' = %s",
                    [integration.id, marker],
                )
                return cr.fetchone()[0]

        with dbname_registry.cursor() as cr:
            env = self.real_env(cr)
            env["workflow.event"]._log_events(
                [{"event_type": "custom", "payload": {"marker": "rb"}}]
            )
            env.flush_all()
            self.assertEqual(count("rb"), 0, "not visible before commit")
            cr.execute(
                "SELECT count(*) FROM workflow_integration_message WHERE integration_id = %s",
                [integration.id],
            )
            self.assertEqual(cr.fetchone()[0], 1, "written in the business transaction")
            cr.rollback()
        self.assertEqual(count("rb"), 0)

        def triggers():
            with dbname_registry.cursor() as cr:
                cr.execute(
                    """SELECT count(*) FROM ir_cron_trigger t
                         JOIN ir_model_data d ON d.res_id = t.cron_id AND d.model = 'ir.cron'
                        WHERE d.module = 'workflow_monitor_integrations'
                          AND d.name = 'ir_cron_webhook_delivery'"""
                )
                return cr.fetchone()[0]

        triggers_before = triggers()
        with dbname_registry.cursor() as cr:
            env = self.real_env(cr)
            env["workflow.event"]._log_events(
                [{"event_type": "custom", "payload": {"marker": "ok"}}]
            )
            # pylint: disable-next=invalid-commit
            cr.commit()  # runs the post-commit hook: the delivery job is triggered
            self.assertEqual(triggers(), triggers_before + 1)
            cr.execute("DELETE FROM workflow_event WHERE payload->>'marker' IN ('ok', 'rb')")
            # pylint: disable-next=invalid-commit
            cr.commit()
        self.assertEqual(count("ok"), 1)
