# Copyright 2026 Workflow Monitor
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

"""Audit-trail attacks (DESIGN.md section 10, "Audit trail"): forged events, events in
another company, secrets copied into config events, anonymous calls."""

import json
from datetime import timedelta

from odoo import fields
from odoo.tests import tagged

from .common import AttackCase, password

CODE_MARKER = "WM_ATTACK_SECRET_4f2a9c"


@tagged("post_install", "-at_install")
class TestAttackAudit(AttackCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.admin = cls.env.ref("base.user_admin")
        definition = cls.env["workflow.definition"].search([("code", "=", "order_to_cash")])
        cls.instance_b = cls.env["workflow.instance"].create(
            {
                "name": "WM attack flow of company B",
                "definition_id": definition.id,
                "res_model": "res.partner",
                "res_id": cls.partner_b.id,
                "company_id": cls.company_b.id,
                "stage_id": definition.stage_ids[:1].id,
            }
        )

    # ------------------------------------------------------------
    # 8. forged who / when / source, another company's instance
    # ------------------------------------------------------------

    def test_attack08_forged_user_source_and_date(self):
        order = self.sale_order(qty=1.0)
        client = self.rpc(self.wf_user)
        forged = {
            "event_type": "approval",
            "user_id": self.admin.id,
            "source": "system",
            "occurred_at": "2020-01-01 00:00:00",
            "res_model": "sale.order",
            "res_id": order.id,
            "payload": {"action": "approved"},
        }
        for method in ("log_events", "create"):
            since = self.last_event_id()
            before = fields.Datetime.now() - timedelta(seconds=5)
            self.execute(client, "workflow.event", method, [forged])
            after = fields.Datetime.now() + timedelta(seconds=5)
            event = self.events_since(
                since, [("res_model", "=", "sale.order"), ("res_id", "=", order.id)]
            )
            with self.door(f"{method}: one row stored"):
                self.assertEqual(len(event), 1)
            event = event[:1]
            with self.door(f"{method}: user_id"):
                self.assertEqual(event.user_id, self.wf_user, "the row names another user")
            with self.door(f"{method}: source"):
                self.assertEqual(event.source, "api")
            with self.door(f"{method}: occurred_at"):
                self.assertTrue(
                    before <= event.occurred_at <= after,
                    f"occurred_at {event.occurred_at} is not the server time",
                )
        self.assertDoorsClosed()

    def test_attack08_event_on_an_instance_of_another_company(self):
        client = self.rpc(self.wf_user)
        since = self.last_event_id()
        for method in ("log_events", "create"):
            with self.door(method):
                self.assertRefused(
                    self.execute,
                    client,
                    "workflow.event",
                    method,
                    [
                        {
                            "event_type": "custom",
                            "instance_id": self.instance_b.id,
                            "payload": {"note": "written into company B's flow"},
                        }
                    ],
                )
        with self.door("outcome"):
            self.assertFalse(
                self.events_since(since, [("instance_id", "=", self.instance_b.id)]),
                "an event was added to company B's flow",
            )
        self.assertDoorsClosed()

    # ------------------------------------------------------------
    # 9. config events and fields the reader may not read
    # ------------------------------------------------------------

    def test_attack09_server_action_code_copied_into_config_events(self):
        action = self.env["ir.actions.server"].create(
            {
                "name": "WM attack code action",
                "model_id": self.env["ir.model"]._get_id("sale.order"),
                "state": "code",
                "code": "records.write({})",
            }
        )
        since = self.last_event_id()
        admin = self.rpc(self.wf_admin)
        secret_code = f"api_key = '{CODE_MARKER}'\nrecords.write({{}})"
        self.execute(admin, "ir.actions.server", "write", [action.id], {"code": secret_code})
        self.assertEqual(self.reread(action).code, secret_code)
        reader = self.rpc(self.wf_user)
        rows = self.execute(
            reader,
            "workflow.event",
            "search_read",
            [
                ("event_type", "=", "config"),
                ("res_model", "=", "ir.actions.server"),
                ("res_id", "=", action.id),
                ("id", ">", since),
            ],
            fields=["payload", "payload_text"],
        )
        self.assertTrue(rows, "the code change wrote no config event the reader can see")
        text = json.dumps(rows)
        with self.door("the reader sees the code"):
            self.assertNotIn(CODE_MARKER, text)
            self.assertNotIn("records.write", text)
        with self.door("the change of the code is recorded"):
            self.assertIn("code", json.dumps([row["payload"] for row in rows]))
        stored = self.events_since(
            since, [("res_model", "=", "ir.actions.server"), ("res_id", "=", action.id)]
        )
        with self.door("the stored payload holds the code"):
            self.assertNotIn(CODE_MARKER, json.dumps(stored.mapped("payload")))
        self.assertDoorsClosed()

    # ------------------------------------------------------------
    # anonymous
    # ------------------------------------------------------------

    def test_anonymous_call_kw_log_events(self):
        since = self.last_event_id()
        self.env.flush_all()
        self.authenticate(None, None)
        vals = {"event_type": "custom", "source": "system", "payload": {"anonymous": True}}
        response = self.url_open(
            "/web/dataset/call_kw/workflow.event/log_events",
            data=json.dumps(
                {
                    "jsonrpc": "2.0",
                    "method": "call",
                    "id": 1,
                    "params": {
                        "model": "workflow.event",
                        "method": "log_events",
                        "args": [[vals]],
                        "kwargs": {},
                    },
                }
            ),
            headers={"Content-Type": "application/json"},
        )
        if response.status_code == 200:
            payload = response.json()
            self.assertNotIn("result", payload, response.text[:300])
            self.assertEqual(payload["error"]["data"]["name"], "odoo.http.SessionExpiredException")
        else:
            self.assertIn(response.status_code, (401, 403), response.text[:300])
        # the external API with a user id and no valid password
        response = self.url_open(
            "/jsonrpc",
            data=json.dumps(
                {
                    "jsonrpc": "2.0",
                    "method": "call",
                    "id": 2,
                    "params": {
                        "service": "object",
                        "method": "execute_kw",
                        "args": [
                            self.env.cr.dbname,
                            self.wf_user.id,
                            password(self.wf_user) + "-wrong",
                            "workflow.event",
                            "log_events",
                            [[vals]],
                            {},
                        ],
                    },
                }
            ),
            headers={"Content-Type": "application/json"},
        )
        self.assertNotIn("result", response.json(), response.text[:300])
        self.assertFalse(self.events_since(since), "an anonymous caller wrote events")
