# Copyright 2026 Workflow Monitor
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

from contextlib import closing
from datetime import datetime, timedelta

from odoo.exceptions import AccessError, UserError
from odoo.tests import freeze_time, tagged, users, warmup

from .common import WorkflowMonitorCommon

CODE = "wm_pmap_flow"
T0 = datetime(2026, 1, 5, 8, 0)
WINDOW = {"date_from": "2026-01-05", "date_to": "2026-01-05"}
HOUR = 3600.0

# The hand-made event set: stage code and hours after T0 of each move, per instance.
# a, b, c, d (final) and x (cancel), in sequence order.
TRACES_A = (
    (("a", 0), ("b", 1), ("c", 3), ("d", 6)),
    (("a", 0), ("b", 2), ("c", 3), ("d", 10)),
    (("a", 0), ("b", 3), ("c", 7), ("d", 8)),
    (("a", 0), ("c", 4), ("d", 5)),  # skips b
    (("a", 0), ("b", 1), ("c", 2), ("b", 4), ("c", 5), ("d", 9)),  # c -> b, b and c twice
    (("a", 0), ("b", 2), ("x", 3)),  # cancelled: no skip, no out of order
)
TRACES_B = ((("a", 0), ("b", 1), ("d", 2)),)  # skips c, in company B only


def create_flow(env):
    """The definition of the hand-made event set."""
    return env["workflow.definition"].create(
        {
            "name": "WM Process Map Flow",
            "code": CODE,
            "model_id": env["ir.model"]._get_id("res.partner"),
            "stage_ids": [
                (0, 0, {"name": "Stage A", "code": "a", "sequence": 10}),
                (0, 0, {"name": "Stage B", "code": "b", "sequence": 20}),
                (0, 0, {"name": "Stage C", "code": "c", "sequence": 30}),
                (0, 0, {"name": "Stage D", "code": "d", "sequence": 40, "is_final": True}),
                (0, 0, {"name": "Stage X", "code": "x", "sequence": 50, "is_cancel": True}),
            ],
        }
    )


class ProcessMapCommon(WorkflowMonitorCommon):
    """The hand-made event set of TRACES_A (company A) and TRACES_B (company B)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.flow = create_flow(cls.env)
        cls.partners_a = cls._write_traces(cls.env, cls.company_a, TRACES_A, T0)
        cls.partners_b = cls._write_traces(cls.env, cls.company_b, TRACES_B, T0)
        # neither another event type nor an event outside the window counts
        instance = cls.env["workflow.instance"].search(
            [("definition_id", "=", cls.flow.id), ("res_id", "=", cls.partners_a[0].id)]
        )
        cls.env["workflow.event"]._log_events(
            [
                {
                    "instance_id": instance.id,
                    "definition_id": cls.flow.id,
                    "res_model": "res.partner",
                    "res_id": cls.partners_a[0].id,
                    "event_type": "custom",
                    "stage_to_id": instance.stage_id.id,
                    "occurred_at": T0 + timedelta(hours=1),
                    "company_id": cls.company_a.id,
                },
            ]
        )
        cls._write_traces(cls.env, cls.company_a, TRACES_A[:1], T0 - timedelta(days=3))

    @staticmethod
    def _write_traces(env, company, traces, start):
        """One partner per trace, moved through its stages by the engine."""
        partners = env["res.partner"].create(
            [
                {"name": f"WM PMap {company.id}/{start:%d}/{index}", "company_id": company.id}
                for index in range(len(traces))
            ]
        )
        chains = {
            (CODE, "res.partner", partner.id): [
                (code, start + timedelta(hours=hours)) for code, hours in trace
            ]
            for partner, trace in zip(partners, traces, strict=True)
        }
        env["workflow.instance"]._apply_chains(chains)
        return partners

    def _map(self, user=None, filters=None):
        Definition = self.env["workflow.definition"]
        if user:
            Definition = Definition.with_user(user)
        return Definition.get_process_map(CODE, dict(WINDOW) if filters is None else filters)

    @staticmethod
    def _edges(result):
        return {(e["from"], e["to"]): e for e in result["edges"]}


@tagged("post_install", "-at_install")
class TestProcessMap(ProcessMapCommon):
    # ------------------------------------------------------------
    # figures
    # ------------------------------------------------------------

    def test_nodes_and_edges(self):
        result = self._map(self.workflow_user)
        self.assertEqual(set(result), {"nodes", "edges", "variants", "deviations"})
        self.assertEqual(
            [(n["stage"], n["name"], n["count"], n["median_seconds"]) for n in result["nodes"]],
            [
                ("a", "Stage A", 6, 2 * HOUR),  # left after 1, 1, 2, 2, 3, 4 h
                ("b", "Stage B", 6, 1 * HOUR),  # 1, 1, 1, 1, 2, 4 h
                ("c", "Stage C", 6, 2.5 * HOUR),  # 1, 1, 2, 3, 4, 7 h
                ("d", "Stage D", 5, None),  # final: never left
                ("x", "Stage X", 1, None),
            ],
        )
        edges = self._edges(result)
        expected = {
            (None, "a"): (6, None, None),  # the entry edge has no duration
            ("a", "b"): (5, 2 * HOUR, 2.6 * HOUR),  # 1, 1, 2, 2, 3 h
            ("b", "c"): (5, 1 * HOUR, 3.2 * HOUR),  # 1, 1, 1, 2, 4 h
            ("c", "d"): (5, 3 * HOUR, 5.8 * HOUR),  # 1, 1, 3, 4, 7 h
            ("a", "c"): (1, 4 * HOUR, 4 * HOUR),
            ("c", "b"): (1, 2 * HOUR, 2 * HOUR),
            ("b", "x"): (1, 1 * HOUR, 1 * HOUR),
        }
        self.assertEqual(set(edges), set(expected))
        for key, (count, median, p90) in expected.items():
            edge = edges[key]
            self.assertEqual(edge["count"], count, key)
            self.assertEqual(edge["median_seconds"], median, key)
            self.assertEqual(edge["p90_seconds"], p90, key)
        # most frequent first
        counts = [e["count"] for e in result["edges"]]
        self.assertEqual(counts, sorted(counts, reverse=True))

    def test_variants(self):
        result = self._map(self.workflow_user)
        self.assertEqual(
            [
                (v["path"], v["count"], v["share"], v["median_cycle_seconds"])
                for v in result["variants"]
            ],
            [
                (["a", "b", "c", "d"], 3, 0.5, 8 * HOUR),  # cycles 6, 8, 10 h
                (["a", "b", "c", "b", "c", "d"], 1, 0.1667, 9 * HOUR),
                (["a", "b", "x"], 1, 0.1667, 3 * HOUR),
                (["a", "c", "d"], 1, 0.1667, 5 * HOUR),
            ],
        )

    def test_deviations(self):
        result = self._map(self.workflow_user)
        self.assertEqual(
            result["deviations"],
            [
                {"kind": "skipped", "detail": "a → c, skipping b", "count": 1},
                {"kind": "out_of_order", "detail": "c → b", "count": 1},
                {"kind": "rework", "detail": "b", "count": 1},
                {"kind": "rework", "detail": "c", "count": 1},
            ],
        )

    def test_skipped_names_every_skipped_stage(self):
        self._write_traces(self.env, self.company_a, ((("a", 0), ("d", 1)),) * 2, T0)
        deviations = self._map(self.workflow_user)["deviations"]
        self.assertIn({"kind": "skipped", "detail": "a → d, skipping b, c", "count": 2}, deviations)

    def test_period_window(self):
        # the events of T0's day; the older trace (3 days before) only with a longer period
        with freeze_time(T0 + timedelta(hours=12)):
            today = self._map(self.workflow_user, {"period_days": 1})
            week = self._map(self.workflow_user, {"period_days": 7})
            default = self._map(self.workflow_user, {})
        self.assertEqual(today["nodes"], self._map(self.workflow_user)["nodes"])
        self.assertEqual(self._edges(week)[(None, "a")]["count"], 7)
        self.assertEqual(default["nodes"], week["nodes"])  # 30 days by default
        with freeze_time(T0 + timedelta(days=2)):
            later = self._map(self.workflow_user, {"period_days": 1})
        self.assertEqual(later["edges"], [])
        self.assertEqual(later["variants"], [])
        self.assertEqual(later["deviations"], [])
        self.assertEqual([n["count"] for n in later["nodes"]], [0] * 5)

    # ------------------------------------------------------------
    # companies and access
    # ------------------------------------------------------------

    def test_other_company_never_appears(self):
        edges_a = self._edges(self._map(self.workflow_user))
        self.assertNotIn(("b", "d"), edges_a)  # company B's only move
        self.assertEqual(edges_a[(None, "a")]["count"], 6)
        result_b = self._map(self.workflow_user_b)
        self.assertEqual(
            {key: edge["count"] for key, edge in self._edges(result_b).items()},
            {(None, "a"): 1, ("a", "b"): 1, ("b", "d"): 1},
        )
        self.assertEqual(
            result_b["deviations"], [{"kind": "skipped", "detail": "b → d, skipping c", "count": 1}]
        )
        # a user of both companies sees both, or one when asked
        both = self._edges(self._map(self.workflow_admin))
        self.assertEqual(both[(None, "a")]["count"], 7)
        only_b = self._map(self.workflow_admin, dict(WINDOW, company_ids=[self.company_b.id]))
        self.assertEqual(self._edges(only_b)[(None, "a")]["count"], 1)
        with self.assertRaisesRegex(UserError, r"field: company"):
            self._map(self.workflow_user, dict(WINDOW, company_ids=[self.company_b.id]))

    def test_instance_filter_left_out_only_when_it_keeps_everything(self):
        """The map skips the instance subquery only when the caller's filter keeps every
        instance of the definition; the figures are the same either way."""
        admin = self.env["workflow.definition"].with_user(self.workflow_admin)
        filters = admin.env["workflow.dashboard"]._dashboard_filters({})
        self.assertTrue(admin._process_map_all_instances(self.flow, filters))
        only_a = dict(filters, company_ids=[self.company_a.id])
        self.assertFalse(admin._process_map_all_instances(self.flow, only_a))
        self.assertFalse(admin._process_map_all_instances(self.flow, dict(filters, node="x")))
        user = self.env["workflow.definition"].with_user(self.workflow_user)
        user_filters = user.env["workflow.dashboard"]._dashboard_filters({})
        self.assertFalse(user._process_map_all_instances(self.flow, user_filters))
        # any other record rule on the instances keeps the subquery
        self.env["ir.rule"].create(
            {
                "name": "WM PMap: no cancelled instances",
                "model_id": self.env["ir.model"]._get_id("workflow.instance"),
                "domain_force": "[('state', '!=', 'cancelled')]",
                "groups": [(4, self.env.ref("workflow_monitor_base.group_workflow_user").id)],
            }
        )
        self.assertFalse(admin._process_map_all_instances(self.flow, filters))
        entries = self._edges(self._map(self.workflow_admin))
        self.assertEqual(entries[(None, "a")]["count"], 6)  # the cancelled one is out
        self.assertNotIn(("b", "x"), entries)

    def test_bad_filters_name_the_field(self):
        cases = [
            ("not a dict", "filters must be an object"),
            ({"period_days": 0}, "field: period"),
            ({"period_days": "soon"}, "field: period"),
            ({"company_ids": "1"}, "field: company"),
            ({"node": 5}, "field: node"),
            ({"node": "stock.warehouse,0"}, "field: node"),
            ({"date_from": "yesterday"}, "field: date_from"),
            ({"date_from": "2026-01-05", "date_to": "2026-13-01"}, "field: date_to"),
            ({"date_from": "2026-01-05", "date_to": "2026-01-04"}, "field: date_to"),
        ]
        for filters, message in cases:
            with self.subTest(filters=filters), self.assertRaisesRegex(UserError, message):
                self._map(self.workflow_user, filters)
        Definition = self.env["workflow.definition"].with_user(self.workflow_user)
        for code in ("no_such_flow", None, 42):
            with self.subTest(code=code), self.assertRaisesRegex(UserError, "definition_code"):
                Definition.get_process_map(code, {})

    def test_needs_the_user_group(self):
        with self.assertRaisesRegex(AccessError, "Workflow Monitor / User"):
            self._map(self.plain_user)
        portal = self.env["res.users"].create(
            {
                "name": "WM PMap Portal",
                "login": "wm_pmap_portal",
                "groups_id": [(6, 0, [self.env.ref("base.group_portal").id])],
            }
        )
        with self.assertRaises(AccessError):
            self._map(portal)

    # ------------------------------------------------------------
    # queries
    # ------------------------------------------------------------

    @users("wm_user", "wm_admin")
    @warmup
    def test_query_count_does_not_grow_with_instances(self):
        with closing(self.cr.savepoint(flush=False)):
            self._check_query_count()
        self.env.invalidate_all()

    def _check_query_count(self):
        Definition = self.env["workflow.definition"]
        self.env.flush_all()
        start = self.cr.sql_log_count
        small = Definition.get_process_map(CODE, dict(WINDOW))
        small_count = self.cr.sql_log_count - start
        volume = tuple(TRACES_A[i % len(TRACES_A)] for i in range(60))
        self._write_traces(self.env(su=True), self.company_a, volume, T0)
        self.env.invalidate_all()
        with self.assertQueryCount(**{self.env.user.login: small_count}):
            large = Definition.get_process_map(CODE, dict(WINDOW))
        # the second call saw the new instances
        entries = self._edges(small)[(None, "a")]["count"]
        self.assertEqual(entries, {"wm_user": 6, "wm_admin": 7}[self.env.user.login])
        self.assertEqual(self._edges(large)[(None, "a")]["count"], entries + 60)
        self.assertEqual(large["variants"][0]["count"], small["variants"][0]["count"] + 30)
