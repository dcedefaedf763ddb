# Copyright 2026 Workflow Monitor
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

from odoo.exceptions import ValidationError
from odoo.tests import tagged

from .common import DistributionCommon


@tagged("post_install", "-at_install")
class TestWarehouseParameters(DistributionCommon):
    def assert_refused(self, vals, field_label):
        with self.assertRaises(ValidationError) as error, self.env.cr.savepoint():
            self.wh_a.write(vals)
        self.assertIn(field_label, str(error.exception))
        self.assertIn(self.wh_a.name, str(error.exception))

    def test_validation_names_the_field(self):
        self.assert_refused({"workflow_cutoff_time": 24.0}, "Dispatch Cut-off")
        self.assert_refused({"workflow_cutoff_time": -0.5}, "Dispatch Cut-off")
        self.assert_refused({"workflow_late_tolerance_hours": -1.0}, "Late Tolerance (h)")
        self.assert_refused({"workflow_backorder_aging_days": -2.0}, "Backorder Aging (days)")
        self.assert_refused({"workflow_allocation_delay_hours": -3.0}, "Allocation Delay (h)")
        self.assert_refused({"workflow_target_fill_rate": 100.5}, "Target Fill Rate (%)")
        self.assert_refused({"workflow_target_on_time": -1.0}, "Target On-time Dispatch (%)")
        self.assert_refused({"workflow_target_on_time": 120.0}, "Target On-time Dispatch (%)")

    def test_valid_parameters(self):
        team = self.env.ref("workflow_monitor_base.team_operations")
        self.wh_a.write(
            {
                "workflow_tz": "Europe/Brussels",
                "workflow_cutoff_time": 23.75,
                "workflow_late_tolerance_hours": 0.0,
                "workflow_backorder_aging_days": 3.0,
                "workflow_allocation_delay_hours": 12.0,
                "workflow_target_fill_rate": 100.0,
                "workflow_target_on_time": 0.0,
                "workflow_team_id": team.id,
            }
        )
        params = self.wh_a._workflow_params()[self.wh_a.id]
        # empty (zero) values fall back to Settings
        self.assertEqual(params["late_tolerance_hours"], 4.0)
        self.assertEqual(params["backorder_aging_days"], 3.0)
        self.assertEqual(params["allocation_delay_hours"], 12.0)
        self.assertEqual(params["team_id"], team.id)
        self.env["ir.config_parameter"].sudo().set_param(
            "workflow_monitor.late_tolerance_hours", "6"
        )
        self.assertEqual(self.wh_a._workflow_params()[self.wh_a.id]["late_tolerance_hours"], 6.0)

    def test_warehouse_team_owns_exceptions(self):
        team = self.env["workflow.team"].create({"name": "WM Dist Warehouse B Team"})
        self.wh_b.workflow_team_id = team
        order = self.create_sale([(self.product_2, 1)], warehouse=self.wh_b)
        self.outgoing(order).scheduled_date = "2020-01-01 08:00:00"
        self.detect("late_delivery")
        exception = self.exceptions_of("late_delivery", self.outgoing(order))
        self.assertEqual(exception.team_id, team)
        self.assertEqual(exception.severity, "high")  # years late


@tagged("post_install", "-at_install")
class TestWarehouseSla(DistributionCommon):
    def setUp(self):
        super().setUp()
        self.main = self.env.ref("stock.warehouse0")
        self.stage_confirmed = self.env.ref("workflow_monitor_distribution.stage_o2c_confirmed")
        self.policy_main = self.env.ref("workflow_monitor_distribution.sla_o2c_confirmed_main")
        self.policy_default = self.env.ref(
            "workflow_monitor_distribution.sla_o2c_confirmed_default"
        )

    def sla_policy(self, order):
        return self.instance_of(order).sla_policy_id

    def test_shipped_policies_apply_per_warehouse(self):
        # no stock anywhere: the orders stay confirmed
        order_main = self.create_sale([(self.product_2, 1)], warehouse=self.main)
        order_b = self.create_sale([(self.product_2, 1)], warehouse=self.wh_b)
        self.assertEqual(self.instance_of(order_main).stage_id, self.stage_confirmed)
        self.assertEqual(self.sla_policy(order_main), self.policy_main)
        self.assertEqual(self.sla_policy(order_b), self.policy_default)
        # the default policy runs 24/7: 8 hours after entering the stage
        instance = self.instance_of(order_b)
        self.assertEqual(
            (instance.sla_deadline - instance.stage_entered_at).total_seconds(), 8 * 3600
        )
        # the main warehouse's policy counts 4 working hours: never less than 4 h
        instance = self.instance_of(order_main)
        self.assertGreaterEqual(
            (instance.sla_deadline - instance.stage_entered_at).total_seconds(), 4 * 3600
        )

    def test_first_matching_policy_by_sequence(self):
        Policy = self.env["workflow.sla.policy"]
        common = {
            "definition_id": self.definition_o2c.id,
            "stage_id": self.stage_confirmed.id,
            "warehouse_id": self.wh_b.id,
        }
        late = Policy.create(dict(common, name="B late", sequence=7, target_hours=3))
        first = Policy.create(dict(common, name="B first", sequence=5, target_hours=2))
        other = Policy.create(
            dict(common, name="A only", sequence=1, target_hours=1, warehouse_id=self.wh_a.id)
        )
        order_b = self.create_sale([(self.product_2, 1)], warehouse=self.wh_b)
        order_a = self.create_sale([(self.product_2, 1)], warehouse=self.wh_a)
        instance_b = self.instance_of(order_b)
        self.assertEqual(instance_b.sla_policy_id, first)
        self.assertEqual(
            (instance_b.sla_deadline - instance_b.stage_entered_at).total_seconds(), 2 * 3600
        )
        self.assertEqual(self.sla_policy(order_a), other)
        self.assertNotEqual(self.sla_policy(order_a), late)
        # the first one archived: the next by sequence takes over for new entries
        first.active = False
        order_b2 = self.create_sale([(self.product_2, 1)], warehouse=self.wh_b)
        self.assertEqual(self.sla_policy(order_b2), late)
        # the warehouse-less default still serves the other warehouses' other stages
        self.add_stock(self.product_1, self.wh_b, 1)
        order_b3 = self.create_sale([(self.product_1, 1)], warehouse=self.wh_b)
        self.assertEqual(self.instance_of(order_b3).stage_id.code, "allocated")
        self.assertEqual(
            self.sla_policy(order_b3),
            self.env.ref("workflow_monitor_distribution.sla_o2c_allocated_default"),
        )

    def test_policy_form_field(self):
        self.assertEqual(self.policy_main.warehouse_id, self.main)
        self.assertFalse(self.policy_default.warehouse_id)
        self.assertGreater(self.policy_default.sequence, self.policy_main.sequence)
