# Copyright 2026 Workflow Monitor
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

"""Carrier webhooks end to end, over real HTTP with real signatures: the integrations
module's inbound endpoint, its ``carrier.status`` handler, the base hook and this
module's picking matching. Runs when workflow_monitor_integrations is installed (the
suite's test database has every module); skipped otherwise."""

import base64
import hashlib
import hmac
import json
import time
from datetime import timedelta

from odoo import fields
from odoo.tests import HttpCase, tagged

from odoo.addons.workflow_monitor_distribution.simulator import carrier as sim_carrier

from .common import OPEN_STATES
from .test_carrier_flow import CarrierCommon

SECRET = "whsec_" + base64.b64encode(b"carrier-webhook-tests-secret-32b").decode()


def sign(secret, msg_id, timestamp, body):
    """Standard Webhooks: v1,<base64 HMAC-SHA256 of id.timestamp.body>."""
    key = base64.b64decode(secret.split("_", 1)[1])
    digest = hmac.new(key, f"{msg_id}.{timestamp}.".encode() + body, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def iso(moment):
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


@tagged("post_install", "-at_install")
class TestCarrierWebhooks(CarrierCommon, HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        if "workflow.integration" not in cls.env:
            cls.skipTest(cls, "workflow_monitor_integrations is not installed")
        cls.integration = cls.env["workflow.integration"].create(
            {"name": "WM carrier feed", "kind": "carrier", "signing_secret": SECRET}
        )
        cls.path = f"/workflow_monitor/hook/{cls.integration.inbound_uuid}"
        cls.Message = cls.env["workflow.integration.message"]

    def setUp(self):
        super().setUp()
        self.now = fields.Datetime.now().replace(microsecond=0)

    _counter = 0

    def post(self, ref, status, occurred_at, **data):
        return self.post_envelope(
            {
                "type": "carrier.status",
                "occurred_at": iso(occurred_at),
                "data": dict(data, tracking_ref=ref, status=status),
            }
        )

    def post_envelope(self, envelope):
        """POST one signed webhook; return the response and the stored message."""
        TestCarrierWebhooks._counter += 1
        msg_id = f"msg_carrier_{TestCarrierWebhooks._counter}_{time.time_ns()}"
        body = json.dumps(envelope).encode()
        timestamp = str(int(time.time()))
        response = self.url_open(
            self.path,
            data=body,
            headers={
                "Content-Type": "application/json",
                "webhook-id": msg_id,
                "webhook-timestamp": timestamp,
                "webhook-signature": sign(SECRET, msg_id, timestamp, body),
            },
        )
        message = self.Message.search([("webhook_id", "=", msg_id)])
        return response, message

    def hours_ago(self, hours):
        return self.now - timedelta(hours=hours)

    def test_signed_updates_move_the_right_picking(self):
        other = self.shipped("WM-HOOK-OTHER", when=self.hours_ago(6))
        picking = self.shipped("WM-HOOK-1", when=self.hours_ago(6))
        response, message = self.post("WM-HOOK-1", "in_transit", self.hours_ago(5))
        self.assertEqual(response.status_code, 200, response.text)
        self.assertEqual(response.json()["status"], "processed")
        self.assertEqual((message.res_model, message.res_id), ("stock.picking", picking.id))
        instance = self.instance_of(picking)
        self.assertEqual((instance.stage_id.code, instance.state), ("in_transit", "running"))
        response, _message = self.post(
            "WM-HOOK-1", "delivered", self.hours_ago(2), description="Left at the door"
        )
        self.assertEqual(response.status_code, 200, response.text)
        instance.invalidate_recordset()
        self.assertEqual((instance.stage_id.code, instance.state), ("delivered", "done"))
        self.assertEqual(instance.ended_at, self.hours_ago(2))
        delivered = self.stage_events(picking)[-1]
        self.assertEqual(delivered.source, "webhook")
        self.assertEqual(delivered.source_ref, f"workflow.integration,{self.integration.id}")
        self.assertEqual(delivered.payload["description"], "Left at the door")
        self.assertEqual(self.instance_of(other).stage_id.code, "done", "not the other one")
        # an older update arriving late is stored as stale and changes nothing
        response, message = self.post("WM-HOOK-1", "in_transit", self.hours_ago(3))
        self.assertEqual(response.json()["status"], "stale")
        self.assertEqual(self.instance_of(picking).stage_id.code, "delivered")

    def test_the_simulated_carrier_speaks_the_endpoints_language(self):
        """The simulator hands its carrier updates to the inbox as the endpoint does:
        the same bodies, posted here over HTTP with a signature, are processed alike."""
        picking = self.shipped("WM-HOOK-SIM", when=self.hours_ago(30))
        updates = [
            sim_carrier.Update(self.hours_ago(29), picking.id, "WM-HOOK-SIM", "in_transit"),
            sim_carrier.Update(
                self.hours_ago(5),
                picking.id,
                "WM-HOOK-SIM",
                "failed_delivery",
                "Address incomplete",
            ),
            sim_carrier.Update(self.hours_ago(1), picking.id, "WM-HOOK-SIM", "delivered"),
        ]
        for update in updates:
            response, _message = self.post_envelope(sim_carrier._payload(update))
            self.assertEqual(response.status_code, 200, response.text)
            self.assertEqual(response.json()["status"], "processed", update)
        picking.invalidate_recordset()
        self.assertEqual(picking.workflow_carrier_status, "delivered")
        failures = self.env["workflow.exception"].search(
            [
                ("category_id.code", "=", "delivery_failed"),
                ("res_model", "=", "stock.picking"),
                ("res_id", "=", picking.id),
            ]
        )
        self.assertEqual(failures.mapped("state"), ["resolved"])
        self.assertIn("Address incomplete", failures.description or failures.name)

    def test_failed_delivery_raises_delivery_failed(self):
        picking = self.shipped("WM-HOOK-2", when=self.hours_ago(6))
        response, _message = self.post(
            "WM-HOOK-2", "failed_delivery", self.hours_ago(4), reason="Address not found"
        )
        self.assertEqual(response.status_code, 200, response.text)
        failed = self.failed_exceptions(picking)
        self.assertEqual(len(failed), 1)
        self.assertIn(failed.state, OPEN_STATES)
        self.assertIn("Address not found", failed.name)
        self.post("WM-HOOK-2", "delivered", self.hours_ago(1))
        self.assertEqual(failed.state, "resolved")

    def test_unknown_reference_is_422_stored_and_applied_later(self):
        response, message = self.post("WM-HOOK-LATER", "in_transit", self.hours_ago(3))
        self.assertEqual(response.status_code, 422, response.text)
        self.assertIn("data.tracking_ref", response.json()["error"])
        self.assertIn("WM-HOOK-LATER", response.json()["error"])
        self.assertTrue(response.json()["retry"])
        self.assertEqual((message.state, message.last_http_status), ("failed", 422))
        self.assertIn("data.tracking_ref", message.last_error)
        # the reference appears (the delivery is validated with it): the retry job
        # applies the kept message
        picking = self.shipped("WM-HOOK-LATER", when=self.hours_ago(4))
        message.last_attempt_at = self.now - timedelta(minutes=5)
        self.Message._cron_retry_inbound()
        self.assertEqual(message.state, "processed")
        self.assertEqual(message.last_http_status, 200)
        self.assertEqual(self.instance_of(picking).stage_id.code, "in_transit")

    def test_unknown_reference_replayed_by_hand(self):
        _response, message = self.post("WM-HOOK-REPLAY", "delivered", self.hours_ago(2))
        self.assertEqual(message.state, "failed")
        picking = self.shipped("WM-HOOK-REPLAY", when=self.hours_ago(3))
        message.action_replay()
        self.assertEqual(message.state, "processed")
        self.assertEqual(self.instance_of(picking).stage_id.code, "delivered")

    def test_other_company_picking_is_never_moved(self):
        company_b = self.env["res.company"].create({"name": "WM Carrier Hook B"})
        warehouse_b = self.env["stock.warehouse"].search([("company_id", "=", company_b.id)])
        picking_b = self.env["stock.picking"].create(
            {
                "picking_type_id": warehouse_b.out_type_id.id,
                "partner_id": self.customer.id,
                "company_id": company_b.id,
                "carrier_tracking_ref": "WM-HOOK-B",
            }
        )
        response, message = self.post("WM-HOOK-B", "delivered", self.hours_ago(1))
        self.assertEqual(response.status_code, 422, response.text)
        self.assertEqual(message.state, "failed")
        self.assertFalse(picking_b.workflow_carrier_status)
        # naming the picking does not help: the inbox refuses another company's record
        response, message = self.post(
            "WM-HOOK-B",
            "delivered",
            self.hours_ago(1),
            res_model="stock.picking",
            res_id=picking_b.id,
        )
        self.assertEqual(response.status_code, 422, response.text)
        self.assertEqual(message.state, "rejected")
        self.assertFalse(picking_b.workflow_carrier_status)
        # both companies have the reference: the integration's company's picking moves
        picking_a = self.shipped("WM-HOOK-B", when=self.hours_ago(3))
        response, message = self.post("WM-HOOK-B", "delivered", self.hours_ago(1))
        self.assertEqual(response.status_code, 200, response.text)
        self.assertEqual((message.res_model, message.res_id), ("stock.picking", picking_a.id))
        self.assertEqual(picking_a.workflow_carrier_status, "delivered")
        self.assertFalse(picking_b.workflow_carrier_status)

    def test_bad_values_are_422(self):
        response, message = self.post("WM-HOOK-X", "x" * 201, self.hours_ago(1))
        self.assertEqual(response.status_code, 422, response.text)
        self.assertIn("data.status", response.json()["error"])
        self.assertEqual(message.state, "rejected")
