# Copyright 2026 Workflow Monitor
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

"""The object-centric OCEL export of real distribution flows: a sale order confirmed,
delivered and invoiced through the ORM is exported with its picking and its invoice,
each event linked to the documents that moved it, and read back by pm4py (test-only,
AGPL, never imported by the modules). Documents the reader may not read (another
company, no access to the model) are never exported."""

import json
import os
import tempfile
from datetime import datetime

from odoo import Command
from odoo.tests import HttpCase, freeze_time, tagged

from odoo.addons.mail.tests.common import mail_new_test_user
from odoo.addons.workflow_monitor_base.tests.test_process_export import pm4py_module

from .common import DistributionCommon

T0 = datetime(2030, 5, 6, 8, 0)
T1 = datetime(2030, 5, 6, 10, 0)
T2 = datetime(2030, 5, 7, 9, 0)
T3 = datetime(2030, 5, 8, 11, 0)
GROUPS = (
    "base.group_user,workflow_monitor_base.group_workflow_user,"
    "sales_team.group_sale_salesman_all_leads,stock.group_stock_user,"
    "account.group_account_invoice,purchase.group_purchase_user"
)


@tagged("post_install", "-at_install")
class TestDistributionOcel(DistributionCommon, HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company_b = cls.env["res.company"].create({"name": "WM Ocel Company B"})
        cls.exporter = mail_new_test_user(
            cls.env,
            login="wm_ocel_a",
            groups=GROUPS,
            company_id=cls.company.id,
            company_ids=[Command.set(cls.company.ids)],
        )
        cls.exporter_b = mail_new_test_user(
            cls.env,
            login="wm_ocel_b",
            groups=GROUPS,
            company_id=cls.company_b.id,
            company_ids=[Command.set(cls.company_b.ids)],
        )
        # a workflow user without access to pickings and invoices
        cls.monitor_only = mail_new_test_user(
            cls.env,
            login="wm_ocel_monitor",
            groups="base.group_user,workflow_monitor_base.group_workflow_user",
            company_id=cls.company.id,
            company_ids=[Command.set(cls.company.ids)],
        )

    def setUp(self):
        super().setUp()
        self.add_stock(self.product_1, self.wh_a, 20)
        with freeze_time(T0):
            self.order = self.create_sale([(self.product_1, 5)])
        self.picking = self.outgoing(self.order)
        with freeze_time(T1):
            self.deliver(self.picking)
        with freeze_time(T2):
            self.invoice = self.invoice_sale(self.order)
        # an order of company B, confirmed and delivered there
        wh_b = self.env["stock.warehouse"].search([("company_id", "=", self.company_b.id)])
        env_b = self.env(context=dict(self.env.context, allowed_company_ids=self.company_b.ids))
        self.add_stock(self.product_1, wh_b.with_env(env_b), 10)
        with freeze_time(T3):
            self.order_b = (
                env_b["sale.order"]
                .with_company(self.company_b)
                .create(
                    {
                        "partner_id": self.customer.id,
                        "company_id": self.company_b.id,
                        "warehouse_id": wh_b.id,
                        "order_line": [
                            Command.create({"product_id": self.product_1.id, "product_uom_qty": 2})
                        ],
                    }
                )
            )
            self.run_deferred()
            self.order_b.action_confirm()
            self.run_deferred()
            self.picking_b = self.outgoing(self.order_b)
            self.deliver(self.picking_b.with_env(env_b))
        self.env.flush_all()

    # ------------------------------------------------------------
    # helpers
    # ------------------------------------------------------------

    def export(self, user, definition="order_to_cash"):
        self.authenticate(user.login, user.login)
        response = self.opener.get(
            self.base_url() + "/workflow_monitor/export/ocel",
            params={"definition": definition, "date_from": "2030-05-01", "date_to": "2030-05-31"},
            timeout=60,
        )
        self.assertEqual(response.status_code, 200, response.text[:500])
        return response.content

    @staticmethod
    def ref(record):
        return f"{record._name}:{record.id}"

    def events_of(self, data, record):
        return [
            event
            for event in data["events"]
            if any(rel["objectId"] == self.ref(record) for rel in event["relationships"])
        ]

    # ------------------------------------------------------------
    # tests
    # ------------------------------------------------------------

    def test_events_link_the_order_its_picking_and_its_invoice(self):
        data = json.loads(self.export(self.exporter))
        objects = {obj["id"]: obj for obj in data["objects"]}
        order, picking, invoice = (
            self.ref(self.order),
            self.ref(self.picking),
            self.ref(self.invoice),
        )
        self.assertEqual(objects[picking]["type"], "stock.picking")
        self.assertEqual(objects[invoice]["type"], "account.move")
        self.assertEqual(objects[picking]["attributes"][0]["value"], self.picking.name)
        self.assertEqual(objects[invoice]["attributes"][0]["value"], self.invoice.name)
        self.assertEqual(
            {t["name"] for t in data["objectTypes"]},
            {"sale.order", "stock.picking", "account.move"},
        )
        # object-to-object: the order -> its picking and its invoice
        self.assertEqual(
            objects[order]["relationships"],
            sorted(
                [
                    {"objectId": invoice, "qualifier": "invoice"},
                    {"objectId": picking, "qualifier": "picking"},
                ],
                key=lambda rel: rel["objectId"],
            ),
        )
        events = {event["type"]: event for event in self.events_of(data, self.order)}
        self.assertEqual(
            list(events), ["quotation", "confirmed", "allocated", "shipped", "invoiced"]
        )
        for event in events.values():
            self.assertEqual(event["relationships"][0], {"objectId": order, "qualifier": "order"})
        # each event is linked to the documents that moved it
        self.assertIn(
            {"objectId": picking, "qualifier": "picking"}, events["shipped"]["relationships"]
        )
        self.assertEqual(
            events["invoiced"]["relationships"],
            [
                {"objectId": order, "qualifier": "order"},
                {"objectId": invoice, "qualifier": "invoice"},
            ],
        )
        self.assertEqual(
            events["quotation"]["relationships"], [{"objectId": order, "qualifier": "order"}]
        )
        linked = {rel["objectId"] for event in events.values() for rel in event["relationships"]}
        self.assertEqual(linked, {order, picking, invoice})
        # every linked object is an object of the log
        for event in data["events"]:
            for rel in event["relationships"]:
                self.assertIn(rel["objectId"], objects)

    def test_read_by_pm4py(self):
        pm4py = pm4py_module()
        content = self.export(self.exporter)
        with tempfile.NamedTemporaryFile("wb", suffix=".jsonocel", delete=False) as handle:
            handle.write(content)
        self.addCleanup(os.unlink, handle.name)
        ocel = pm4py.read_ocel2_json(handle.name)
        relations = ocel.relations
        mine = relations[relations["ocel:oid"] == self.ref(self.picking)]
        # created by the confirmation, reserved, validated: never invoiced by it
        self.assertIn("shipped", set(mine["ocel:activity"]))
        self.assertLessEqual(set(mine["ocel:activity"]), {"confirmed", "allocated", "shipped"})
        self.assertEqual(set(mine["ocel:qualifier"]), {"picking"})
        invoiced = relations[relations["ocel:oid"] == self.ref(self.invoice)]
        self.assertEqual(list(invoiced["ocel:activity"]), ["invoiced"])
        o2o = ocel.o2o
        self.assertEqual(
            set(
                map(
                    tuple,
                    o2o[o2o["ocel:oid"] == self.ref(self.order)][
                        ["ocel:oid_2", "ocel:qualifier"]
                    ].values,
                )
            ),
            {(self.ref(self.picking), "picking"), (self.ref(self.invoice), "invoice")},
        )
        # flattened on the orders: pm4py's directly-follows counts and variants are the
        # process map's of the same window, as the same user
        log = pm4py.ocel_flattening(ocel, "sale.order")
        dfg, start, _end = pm4py.discover_dfg(log)
        variants = {
            tuple(path): count if isinstance(count, int) else len(count)
            for path, count in pm4py.get_variants(pm4py.convert_to_event_log(log)).items()
        }
        result = (
            self.env["workflow.definition"]
            .with_user(self.exporter)
            .get_process_map("order_to_cash", {"date_from": "2030-05-01", "date_to": "2030-05-31"})
        )
        self.assertEqual(
            dict(dfg), {(e["from"], e["to"]): e["count"] for e in result["edges"] if e["from"]}
        )
        self.assertEqual(
            dict(start), {e["to"]: e["count"] for e in result["edges"] if not e["from"]}
        )
        self.assertEqual(variants, {tuple(v["path"]): v["count"] for v in result["variants"]})
        self.assertEqual(
            variants, {("quotation", "confirmed", "allocated", "shipped", "invoiced"): 1}
        )

    def test_other_company_never_exported(self):
        content = self.export(self.exporter)
        for record in (self.order_b, self.picking_b):
            self.assertNotIn(self.ref(record).encode(), content)
        content_b = self.export(self.exporter_b)
        data_b = json.loads(content_b)
        self.assertIn(self.ref(self.order_b), {obj["id"] for obj in data_b["objects"]})
        self.assertIn(self.ref(self.picking_b), {obj["id"] for obj in data_b["objects"]})
        for record in (self.order, self.picking, self.invoice):
            self.assertNotIn(self.ref(record).encode(), content_b)

    def test_related_document_of_another_company_never_exported(self):
        """A picking of company B attached to an order of company A (and named by one of
        its events): the reader of company A never gets it."""
        self.env.cr.execute(
            "UPDATE stock_picking SET sale_id = %s WHERE id = %s",
            [self.order.id, self.picking_b.id],
        )
        self.env.cr.execute(
            """UPDATE workflow_event SET related_documents = related_documents || %s::jsonb
                WHERE res_model = 'sale.order' AND res_id = %s AND related_documents IS NOT NULL""",
            [json.dumps([{"model": "stock.picking", "id": self.picking_b.id}]), self.order.id],
        )
        self.env.invalidate_all()
        content = self.export(self.exporter)
        self.assertNotIn(self.ref(self.picking_b).encode(), content)
        self.assertIn(self.ref(self.picking).encode(), content)

    def test_models_the_reader_cannot_read_are_left_out(self):
        data = json.loads(self.export(self.monitor_only))
        ids = {obj["id"] for obj in data["objects"]}
        self.assertIn(self.ref(self.order), ids)
        self.assertEqual({t["name"] for t in data["objectTypes"]}, {"sale.order"})
        for event in data["events"]:
            self.assertEqual(len(event["relationships"]), 1, event)

    def test_purchase_links_its_receipt_and_bill(self):
        with freeze_time(T0):
            purchase = self.create_purchase([(self.product_2, 3, 4.0)])
        receipt = purchase.picking_ids
        with freeze_time(T1):
            self.receive(purchase)
        with freeze_time(T2):
            bill = self.bill_purchase(purchase)
        data = json.loads(self.export(self.exporter, definition="procure_to_pay"))
        objects = {obj["id"]: obj for obj in data["objects"]}
        self.assertEqual(
            objects[self.ref(purchase)]["relationships"],
            sorted(
                [
                    {"objectId": self.ref(bill), "qualifier": "bill"},
                    {"objectId": self.ref(receipt), "qualifier": "receipt"},
                ],
                key=lambda rel: rel["objectId"],
            ),
        )
        events = {event["type"]: event for event in self.events_of(data, purchase)}
        self.assertIn(
            {"objectId": self.ref(receipt), "qualifier": "receipt"},
            events["received"]["relationships"],
        )
        self.assertIn(
            {"objectId": self.ref(bill), "qualifier": "bill"}, events["billed"]["relationships"]
        )

    def test_api_callers_cannot_name_related_documents(self):
        """Which documents moved a flow is the capture's to say: log_events called over
        RPC stores none of what the caller claims."""
        instance = self.instance_of(self.order)
        event = (
            self.env["workflow.event"]
            .with_user(self.exporter)
            .log_events(
                [
                    {
                        "instance_id": instance.id,
                        "definition": "order_to_cash",
                        "res_model": "sale.order",
                        "res_id": self.order.id,
                        "event_type": "custom",
                        "related_documents": [{"model": "stock.picking", "id": self.picking_b.id}],
                    }
                ]
            )
        )
        self.assertFalse(event.sudo().related_documents)

    def test_delivery_flow_links_its_order(self):
        data = json.loads(self.export(self.exporter, definition="delivery"))
        objects = {obj["id"]: obj for obj in data["objects"]}
        self.assertEqual(
            objects[self.ref(self.picking)]["relationships"],
            [{"objectId": self.ref(self.order), "qualifier": "order"}],
        )
        self.assertEqual(objects[self.ref(self.order)]["type"], "sale.order")
        for event in self.events_of(data, self.picking):
            self.assertEqual(event["relationships"][0]["qualifier"], "picking")
