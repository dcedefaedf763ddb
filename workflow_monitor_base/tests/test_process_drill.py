# Copyright 2026 Workflow Monitor
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

from contextlib import closing
from datetime import timedelta

from odoo import fields
from odoo.exceptions import AccessError, UserError
from odoo.tests import HttpCase, tagged, users, warmup

from .test_process_map import CODE, T0, TRACES_A, WINDOW, ProcessMapCommon, create_flow


@tagged("post_install", "-at_install")
class TestProcessDrill(ProcessMapCommon):
    """The process map screen (get_process_screen) and the instances behind each of its
    numbers (action_process_instances), on the hand-made event set of test_process_map."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        Instance = cls.env["workflow.instance"]
        cls.instances_a = [
            Instance.search([("definition_id", "=", cls.flow.id), ("res_id", "=", partner.id)])
            for partner in cls.partners_a
        ]
        cls.instances_b = Instance.search(
            [("definition_id", "=", cls.flow.id), ("res_id", "in", cls.partners_b.ids)]
        )

    def _screen(self, user, filters=None):
        Definition = self.env["workflow.definition"].with_user(user)
        return Definition.get_process_screen(CODE, dict(WINDOW) if filters is None else filters)

    def _ids(self, user, kind, key, filters=None):
        Definition = self.env["workflow.definition"].with_user(user)
        action = Definition.action_process_instances(
            CODE, dict(WINDOW) if filters is None else filters, kind, key
        )
        self.assertEqual(action["res_model"], "workflow.instance")
        field, operator, ids = action["domain"][0]
        self.assertEqual((field, operator, len(action["domain"])), ("id", "in", 1))
        self.assertEqual(len(ids), len(set(ids)), f"{kind} {key}: an instance twice")
        return set(ids)

    def _numbers(self, screen):
        """(kind, key, instances shown) of every number of the screen."""
        result = screen["map"]
        for node in result["nodes"]:
            yield "node", node["stage"], node["instance_count"]
        for edge in result["edges"]:
            yield "edge", [edge["from"], edge["to"]], edge["instance_count"]
        for variant in result["variants"]:
            yield "variant", variant["path"], variant["count"]
        for deviation in result["deviations"]:
            yield deviation["kind"], deviation["key"], deviation["instance_count"]

    # ------------------------------------------------------------
    # every number opens exactly its instances
    # ------------------------------------------------------------

    def test_every_number_opens_as_many_instances(self):
        for user in (self.workflow_user, self.workflow_user_b, self.workflow_admin):
            screen = self._screen(user)
            numbers = list(self._numbers(screen))
            self.assertGreater(len(numbers), 5)
            for kind, key, count in numbers:
                with self.subTest(user=user.login, kind=kind, key=key):
                    self.assertEqual(len(self._ids(user, kind, key)), count)

    def test_instance_counts(self):
        result = self._screen(self.workflow_user)["map"]
        self.assertEqual(result["instance_total"], 6)
        # b and c are entered 6 times by 5 instances (the rework trace enters both twice)
        self.assertEqual(
            [(n["stage"], n["count"], n["instance_count"]) for n in result["nodes"]],
            [("a", 6, 6), ("b", 6, 5), ("c", 6, 5), ("d", 5, 5), ("x", 1, 1)],
        )
        edges = {key: (e["count"], e["instance_count"]) for key, e in self._edges(result).items()}
        self.assertEqual(edges[("b", "c")], (5, 4))  # the rework trace moves b -> c twice
        self.assertEqual(edges[(None, "a")], (6, 6))
        self.assertEqual(
            [(d["kind"], d["key"], d["instance_count"]) for d in result["deviations"]],
            [
                ("skipped", ["a", "c"], 1),
                ("out_of_order", ["c", "b"], 1),
                ("rework", "b", 1),
                ("rework", "c", 1),
            ],
        )

    def test_the_right_instances(self):
        user, inst = self.workflow_user, self.instances_a
        self.assertEqual(self._ids(user, "variant", ["a", "c", "d"]), {inst[3].id})
        self.assertEqual(
            self._ids(user, "variant", ["a", "b", "c", "d"]), {inst[0].id, inst[1].id, inst[2].id}
        )
        self.assertEqual(self._ids(user, "rework", "b"), {inst[4].id})
        self.assertEqual(self._ids(user, "out_of_order", ["c", "b"]), {inst[4].id})
        self.assertEqual(self._ids(user, "skipped", ["a", "c"]), {inst[3].id})
        self.assertEqual(self._ids(user, "edge", ["b", "x"]), {inst[5].id})
        self.assertEqual(self._ids(user, "node", "d"), {i.id for i in inst[:5]})
        self.assertEqual(self._ids(user, "edge", [None, "a"]), {i.id for i in inst})
        # a path nobody took, a move nobody made: an empty list, not an error
        self.assertEqual(self._ids(user, "variant", ["a", "d"]), set())
        self.assertEqual(self._ids(user, "edge", ["d", "a"]), set())

    def test_screen_map_is_the_process_map(self):
        screen = self._screen(self.workflow_user)
        public = self.env["workflow.definition"].with_user(self.workflow_user)
        expected = public.get_process_map(CODE, dict(WINDOW))
        for part, items in expected.items():
            self.assertEqual(
                [{key: item[key] for key in items[0]} for item in screen["map"][part]], items
            )
        self.assertEqual(screen["definition"], CODE)
        self.assertIn({"code": CODE, "name": "WM Process Map Flow"}, screen["definitions"])
        self.assertEqual(screen["window"], {"date_from": "2026-01-05", "date_to": "2026-01-05"})
        self.assertEqual(screen["companies"], [[self.company_a.id, self.company_a.name]])

    def test_screen_defaults_and_empty_window(self):
        Definition = self.env["workflow.definition"].with_user(self.workflow_user)
        default = Definition.get_process_screen(False, {})
        # the flow with the most instances the user may read
        Instance = self.env["workflow.instance"].with_user(self.workflow_user)
        counts = {
            d["code"]: Instance.search_count([("definition_id.code", "=", d["code"])])
            for d in default["definitions"]
        }
        self.assertEqual(counts[default["definition"]], max(counts.values()))
        self.assertGreater(counts[default["definition"]], 0)
        empty = self._screen(
            self.workflow_user, {"date_from": "2025-01-01", "date_to": "2025-01-02"}
        )
        self.assertEqual([n["instance_count"] for n in empty["map"]["nodes"]], [0] * 5)
        self.assertEqual(empty["map"]["edges"], [])
        self.assertEqual(empty["map"]["instance_total"], 0)

    @users("wm_user")
    @warmup
    def test_query_count_does_not_grow_with_instances(self):
        with closing(self.cr.savepoint(flush=False)):
            Definition = self.env["workflow.definition"]
            self.env.flush_all()
            start = self.cr.sql_log_count
            Definition.get_process_screen(CODE, dict(WINDOW))
            Definition.action_process_instances(CODE, dict(WINDOW), "variant", ["a", "c", "d"])
            small = self.cr.sql_log_count - start
            volume = tuple(TRACES_A[i % len(TRACES_A)] for i in range(60))
            self._write_traces(self.env(su=True), self.company_a, volume, T0)
            self.env.invalidate_all()
            with self.assertQueryCount(wm_user=small):
                screen = Definition.get_process_screen(CODE, dict(WINDOW))
                action = Definition.action_process_instances(
                    CODE, dict(WINDOW), "variant", ["a", "c", "d"]
                )
            self.assertEqual(screen["map"]["instance_total"], 66)
            self.assertEqual(len(action["domain"][0][2]), 11)  # 1 + 60 / 6
        self.env.invalidate_all()

    def test_menu_and_action(self):
        action = self.env.ref("workflow_monitor_base.action_workflow_process")
        self.assertEqual(
            (action.tag, action.path), ("workflow_monitor_process", "workflow-process")
        )
        menu = self.env.ref("workflow_monitor_base.menu_workflow_process")
        self.assertEqual(menu.action, action)
        self.assertEqual(
            menu.parent_id, self.env.ref("workflow_monitor_base.menu_workflow_reporting")
        )
        self.assertEqual(menu.groups_id, self.env.ref("workflow_monitor_base.group_workflow_user"))
        Menu = self.env["ir.ui.menu"]
        self.assertIn(menu.id, Menu.with_user(self.workflow_user)._visible_menu_ids())
        self.assertNotIn(menu.id, Menu.with_user(self.plain_user)._visible_menu_ids())

    # ------------------------------------------------------------
    # attacks
    # ------------------------------------------------------------

    def test_other_company_instances_never_returned(self):
        ids_b = set(self.instances_b.ids)
        self.assertTrue(ids_b)
        screen = self._screen(self.workflow_user)
        for kind, key, _count in self._numbers(screen):
            self.assertFalse(self._ids(self.workflow_user, kind, key) & ids_b, (kind, key))
        # company B's own moves and path, asked by a user of company A: nothing
        self.assertEqual(self._ids(self.workflow_user, "edge", ["b", "d"]), set())
        self.assertEqual(self._ids(self.workflow_user, "variant", ["a", "b", "d"]), set())
        self.assertEqual(self._ids(self.workflow_user, "skipped", ["b", "d"]), set())
        with self.assertRaisesRegex(UserError, "field: company"):
            self._ids(self.workflow_user, "node", "a", dict(WINDOW, company_ids=self.company_b.ids))
        # a context naming company B is refused by Odoo itself
        Definition = self.env["workflow.definition"].with_user(self.workflow_user)
        with self.assertRaises(AccessError):
            Definition.with_context(
                allowed_company_ids=[self.company_b.id]
            ).action_process_instances(CODE, dict(WINDOW), "node", "a")
        # the user of company B gets exactly company B's instance
        self.assertEqual(self._ids(self.workflow_user_b, "node", "a"), ids_b)
        # both companies for a user of both, one when asked
        both = self._ids(self.workflow_admin, "node", "a")
        self.assertEqual(both, {i.id for i in self.instances_a} | ids_b)
        only_b = self._ids(
            self.workflow_admin, "node", "a", dict(WINDOW, company_ids=self.company_b.ids)
        )
        self.assertEqual(only_b, ids_b)

    def test_bad_kind_or_key_names_it(self):
        cases = [
            ("nodes", "a", "Unknown kind .*'nodes'.*field: kind"),
            (None, "a", "field: kind"),
            (["node"], "a", "field: kind"),
            ("node", "zz", "Unknown stage 'zz'.*field: key"),
            ("node", None, "Unknown stage 'None'.*field: key"),
            ("node", ["a"], "field: key"),
            ("rework", 7, "field: key"),
            ("edge", "a", "pair .*field: key"),
            ("edge", ["a"], "pair .*field: key"),
            ("edge", ["a", "zz"], "Unknown stage 'zz'.*field: key"),
            ("edge", [None, None], "Unknown stage 'None'.*field: key"),
            ("edge", ["a", "b", "c"], "pair .*field: key"),
            ("variant", [], "variant .*field: key"),
            ("variant", "abcd", "variant .*field: key"),
            ("variant", ["a", "zz"], "Unknown stage 'zz'.*field: key"),
            ("variant", ["a"] * 1001, "variant .*field: key"),
            ("variant", ["a", {"x": 1}], "field: key"),
            ("skipped", ["a", "b"], "not a deviation of kind skipped.*field: key"),
            ("skipped", [None, "c"], "not a deviation of kind skipped.*field: key"),
            ("out_of_order", ["a", "b"], "not a deviation of kind out_of_order.*field: key"),
            ("out_of_order", ["c", "x"], "not a deviation of kind out_of_order"),  # cancel
            ("node", "a' OR 1=1 --", "Unknown stage"),
        ]
        for kind, key, message in cases:
            with self.subTest(kind=kind, key=key), self.assertRaisesRegex(UserError, message):
                self._ids(self.workflow_user, kind, key)
        Definition = self.env["workflow.definition"].with_user(self.workflow_user)
        with self.assertRaisesRegex(UserError, "definition_code"):
            Definition.action_process_instances("no_such_flow", {}, "node", "a")
        with self.assertRaisesRegex(UserError, "field: period"):
            Definition.action_process_instances(CODE, {"period_days": 0}, "node", "a")

    def test_needs_the_user_group(self):
        Definition = self.env["workflow.definition"].with_user(self.plain_user)
        with self.assertRaisesRegex(AccessError, "Workflow Monitor / User"):
            Definition.action_process_instances(CODE, dict(WINDOW), "node", "a")
        with self.assertRaisesRegex(AccessError, "Workflow Monitor / User"):
            Definition.get_process_screen(CODE, dict(WINDOW))
        # before anything else: a bad request from an outsider learns nothing from it
        with self.assertRaises(AccessError):
            Definition.action_process_instances("no_such_flow", "bad", "nodes", None)


@tagged("post_install", "-at_install")
class TestProcessTour(HttpCase):
    def test_process_tour(self):
        # the hand-made traces two days ago (in the screen's default 30 days), in the
        # admin's company: the tour opens the list behind the variant a, b, c, d (3 flows)
        # and behind the move b -> c (4 flows, 5 moves)
        create_flow(self.env)
        start = fields.Datetime.now() - timedelta(days=2)
        ProcessMapCommon._write_traces(self.env, self.env.company, TRACES_A, start)
        self.start_tour("/odoo/workflow-process", "workflow_monitor_process_tour", login="admin")
