# Copyright 2026 Workflow Monitor
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

from contextlib import closing, contextmanager
from datetime import timedelta

from odoo import fields
from odoo.exceptions import AccessError, UserError
from odoo.tests import HttpCase, tagged, users, warmup

from odoo.addons.workflow_monitor_base.tools.severity import SEVERITY_CODES

from .common import OPEN_STATES, TEST_MODEL, WorkflowMonitorCommon, apply_deferred

AGES_HOURS = (1, 2, 5, 20, 30, 50, 80, 100, 200, 400)


class DashboardDataMixin:
    """Spread test documents over stages and ages so every bucket has data."""

    def _fill(self, env):
        docs = env["workflow.test.document"].create(
            [{"name": f"DASH/{i:03d}", "amount": 100 * i} for i in range(30)]
        )
        docs[:20].write({"state": "confirmed"})
        # the capture writes the instances at pre-commit: apply it before editing them
        apply_deferred(env)
        now = fields.Datetime.now()
        instances = env["workflow.instance"].search(
            [("res_model", "=", "workflow.test.document"), ("res_id", "in", docs.ids)]
        )
        for index, instance in enumerate(instances):
            entered = now - timedelta(hours=AGES_HOURS[index % len(AGES_HOURS)])
            env.cr.execute(
                "UPDATE workflow_instance SET stage_entered_at = %s, sla_deadline = %s, "
                "sla_state = %s WHERE id = %s",
                (
                    entered,
                    now + timedelta(hours=(index % 5) * 10 - 15),
                    ("on_track", "warning", "breached")[index % 3],
                    instance.id,
                ),
            )
        env["workflow.instance"].invalidate_model()
        Exception_ = env["workflow.exception"]
        for index, doc in enumerate(docs[:12]):
            exception = Exception_.raise_exception(
                doc,
                "stale_record",
                f"Dash {index}",
                severity=SEVERITY_CODES[index % len(SEVERITY_CODES)],
            )
            env.cr.execute(
                "UPDATE workflow_exception SET first_seen = %s WHERE id = %s",
                (now - timedelta(hours=AGES_HOURS[index % len(AGES_HOURS)]), exception.id),
            )
        Exception_.invalidate_model()
        return docs


@tagged("post_install", "-at_install")
class TestDashboardData(DashboardDataMixin, WorkflowMonitorCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.docs = cls._fill(cls, cls.env)

    def test_aging_matches_brute_force(self):
        data = self.env["workflow.dashboard"].get_dashboard_data({})
        Instance = self.env["workflow.instance"]
        now = fields.Datetime.from_string(data["generated_at"])
        running = Instance.search([("state", "=", "running")])
        self.assertEqual(data["aging"]["total"], len(running))
        bounds = [(0, 4), (4, 24), (24, 72), (72, 168), (168, None)]
        for row in data["aging"]["rows"]:
            members = running.filtered(
                lambda i, r=row: i.definition_id.id == r["definition_id"]
                and i.stage_id.id == r["stage_id"]
            )
            for index, (low, high) in enumerate(bounds):
                expected = len(
                    members.filtered(
                        lambda i, lo=low, hi=high: (now - i.stage_entered_at) >= timedelta(hours=lo)
                        and (hi is None or (now - i.stage_entered_at) < timedelta(hours=hi))
                    )
                )
                self.assertEqual(row["counts"][index], expected, f"{row['stage']} bucket {index}")
                # the drill-down domain lists exactly the counted records
                self.assertEqual(Instance.search_count(row["domains"][index]), expected)
        test_rows = [r for r in data["aging"]["rows"] if r["definition_id"] == self.definition.id]
        self.assertGreaterEqual(sum(r["total"] for r in test_rows), 30)

    def test_exceptions_and_sla_match_brute_force(self):
        data = self.env["workflow.dashboard"].get_dashboard_data({})
        Exception_ = self.env["workflow.exception"]
        open_exceptions = Exception_.search([("state", "in", OPEN_STATES)])
        self.assertEqual(data["exceptions"]["total"], len(open_exceptions))
        for row in data["exceptions"]["rows"]:
            members = open_exceptions.filtered(
                lambda e, r=row: e.category_id.id == r["category_id"]
                and e.severity == r["severity"]
            )
            self.assertEqual(row["total"], len(members))
            for index, count in enumerate(row["counts"]):
                self.assertEqual(Exception_.search_count(row["domains"][index]), count)
        Instance = self.env["workflow.instance"]
        now = fields.Datetime.from_string(data["generated_at"])
        running = Instance.search([("state", "=", "running")])
        self.assertEqual(
            data["sla"]["breached"], len(running.filtered(lambda i: i.sla_state == "breached"))
        )
        self.assertEqual(
            data["sla"]["at_risk"],
            len(
                running.filtered(
                    lambda i: i.sla_state in ("on_track", "warning")
                    and i.sla_deadline
                    and i.sla_deadline <= now + timedelta(hours=24)
                )
            ),
        )
        self.assertEqual(
            Instance.search_count(data["sla"]["at_risk_domain"]), data["sla"]["at_risk"]
        )

    def test_throughput_and_kpis(self):
        self.env["workflow.kpi"]._cron_kpi_snapshot()
        data = self.env["workflow.dashboard"].get_dashboard_data({"period_days": 7})
        self.assertEqual(len(data["throughput"]["days"]), 7)
        today = data["throughput"]["days"][-1]
        self.assertEqual(today["events"], self.env["workflow.event"].search_count(today["domain"]))
        self.assertGreaterEqual(today["events"], 50)  # 30 creations + 20 confirmations
        tile = next(k for k in data["kpis"] if k["code"] == "open_exceptions")
        self.assertEqual(
            tile["value"],
            self.env["workflow.exception"].search_count(
                [("state", "in", OPEN_STATES), ("company_id", "=", self.env.company.id)]
            ),
        )
        self.assertIn(tile["status"], ("ok", "warning", "critical"))

    def test_layers_follow_groups(self):
        Dashboard = self.env["workflow.dashboard"]
        self.assertEqual(
            Dashboard.with_user(self.workflow_user).get_dashboard_data({})["layers"], ["operations"]
        )
        manager = Dashboard.with_user(self.workflow_manager).get_dashboard_data({})
        self.assertEqual(manager["layers"], ["operations", "executive"])
        self.assertNotIn("technical", manager)
        self.assertFalse([k for k in manager["kpis"] if k["layer"] == "technical"])
        admin = Dashboard.with_user(self.workflow_admin).get_dashboard_data({})
        self.assertEqual(admin["layers"], ["operations", "executive", "technical"])
        self.assertIn("crons", admin["technical"])
        with self.assertRaises(AccessError):
            Dashboard.with_user(self.plain_user).get_dashboard_data({})

    def test_company_filter(self):
        Dashboard = self.env["workflow.dashboard"].with_user(self.workflow_user)
        with self.assertRaises(UserError):
            Dashboard.get_dashboard_data({"company_ids": [self.company_b.id]})
        with self.assertRaises(UserError):
            Dashboard.get_dashboard_data({"period_days": 0})
        self.env["workflow.exception"].raise_exception(
            self.company_b, "stale_record", "Company B only", company_id=self.company_b.id
        )
        manager = (
            self.env["workflow.dashboard"]
            .with_user(self.workflow_manager)
            .with_context(allowed_company_ids=[self.company_a.id, self.company_b.id])
        )
        only_b = manager.get_dashboard_data({"company_ids": [self.company_b.id]})
        self.assertEqual(only_b["exceptions"]["total"], 1)
        both = manager.get_dashboard_data({})
        self.assertEqual(
            both["exceptions"]["total"],
            self.env["workflow.exception"].search_count([("state", "in", OPEN_STATES)]),
        )


@tagged("post_install", "-at_install")
class TestDashboardQueries(DashboardDataMixin, WorkflowMonitorCommon):
    """The dashboard is built from grouped queries: loading it costs the same number of
    queries on a small data set and on a much larger one, for every role (each sees
    its own tabs: operations, executive, technical)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # the small data set: at least one row in every section (an empty section
        # skips the reads of its rows' names, which is not growth)
        cls.docs = cls._fill(cls, cls.env)
        # categories without exceptions yet: the volume adds rows to the matrix (created
        # here, as configuration changes clear the ormcaches the counts rely on)
        cls.volume_categories = cls.env["workflow.exception.category"].create(
            [
                {"code": f"wm_volume_{i}", "name": f"WM Volume {i}", "team_id": cls.team_a.id}
                for i in range(6)
            ]
        )

    def _add_volume(self, size=150):
        """Many more documents, instances, events and exceptions, in both companies,
        at every stage, age and severity, in several categories; KPI values and
        failing scheduled actions for the executive and technical tabs."""
        env = self.env(su=True)
        now = fields.Datetime.now()
        companies = self.company_a | self.company_b
        docs = env[TEST_MODEL].create(
            [
                {"name": f"VOL/{i:04d}", "amount": i, "company_id": companies[i % 2].id}
                for i in range(size)
            ]
        )
        docs[: size * 2 // 3].write({"state": "confirmed"})
        docs[: size // 3].write({"state": "done"})
        docs[size - size // 6 :].write({"state": "cancel"})
        # confirmed and fully delivered: a stage the small data set has no instance in
        delivered = docs[size // 3 : size // 2]
        env["workflow.test.line"].create(
            [{"document_id": doc.id, "delivered": True} for doc in delivered]
        )
        apply_deferred(env)
        env.cr.execute(
            """UPDATE workflow_instance
                  SET stage_entered_at = %(now)s - (res_id %% 300) * interval '1 hour',
                      sla_deadline = %(now)s + ((res_id %% 7) * 10 - 30) * interval '1 hour',
                      sla_state = (ARRAY['on_track', 'warning', 'breached'])[res_id %% 3 + 1]
                WHERE res_model = %(model)s AND res_id = ANY(%(ids)s)""",
            {"now": now, "model": TEST_MODEL, "ids": docs.ids},
        )
        categories = ["stale_record", "wm_test_no_hours", "cron_failure"]
        categories += self.volume_categories.mapped("code")
        exceptions = env["workflow.exception"].raise_exceptions(
            [
                {
                    "record": doc,
                    "category_code": categories[index % len(categories)],
                    "name": f"Volume {index}",
                    "severity": SEVERITY_CODES[index % len(SEVERITY_CODES)],
                    "dedupe_key": f"volume:{index}",
                    "company_id": doc.company_id.id,
                }
                for index, doc in enumerate(docs)
            ]
        )
        env.cr.execute(
            """UPDATE workflow_exception
                  SET first_seen = %s - (id %% 400) * interval '1 hour',
                      response_deadline = %s + ((id %% 5) - 2) * interval '1 day'
                WHERE id = ANY(%s)""",
            (now, now, exceptions.ids),
        )
        env["workflow.kpi.value"].create(
            [
                {
                    "kpi_id": kpi.id,
                    "company_id": company.id,
                    "date": now.date() - timedelta(days=day),
                    "value": day,
                }
                for kpi in env["workflow.kpi"].search([])
                for company in companies
                for day in range(20)
            ]
        )
        env.cr.execute(
            """UPDATE ir_cron SET failure_count = id %% 4 + 1, first_failure_date = %s
                WHERE id IN (SELECT id FROM ir_cron ORDER BY id LIMIT 10)""",
            [now - timedelta(days=1)],
        )
        env.invalidate_all()
        return docs, exceptions

    @contextmanager
    def _count_queries(self):
        """Count the queries of the block (flushed before and after, like
        assertQueryCount); the count is in the yielded list once the block ends."""
        counted = []
        self.env.flush_all()
        self.env.cr.flush()
        start = self.cr.sql_log_count
        yield counted
        self.env.flush_all()
        self.env.cr.flush()
        counted.append(self.cr.sql_log_count - start)

    @users("wm_user", "wm_manager", "wm_admin")
    @warmup
    def test_query_count_does_not_grow_with_data(self):
        # every role starts from the small data set: the volume it adds is rolled back
        with closing(self.cr.savepoint(flush=False)):
            self._check_query_count_on_volume()
        self.env.invalidate_all()

    def _check_query_count_on_volume(self):
        Dashboard = self.env["workflow.dashboard"]
        # no job late on the small data set, whatever the time since the install (no cron
        # runner in tests): the Technical list must have room to grow with the volume
        self.env["ir.cron"].flush_model()
        self.env.cr.execute(
            "UPDATE ir_cron SET nextcall = %s", [fields.Datetime.now() + timedelta(hours=1)]
        )
        self.env["ir.cron"].invalidate_model()
        with self._count_queries() as small_count:
            small = Dashboard.get_dashboard_data({})
        docs, _exceptions = self._add_volume()
        self.assertGreaterEqual(len(docs), 150)
        self.env.invalidate_all()
        login = self.env.user.login
        with (
            self.assertQueryCount(**{login: small_count[0]}),
            self._count_queries() as large_count,
        ):
            large = Dashboard.get_dashboard_data({})
        # the load saw the new data (a figure that does not move proves nothing)
        self.assertGreater(large["aging"]["total"], small["aging"]["total"] + 25)
        self.assertGreater(large["exceptions"]["total"], small["exceptions"]["total"] + 50)
        self.assertGreater(len(large["aging"]["rows"]), len(small["aging"]["rows"]))
        self.assertGreater(len(large["exceptions"]["rows"]), len(small["exceptions"]["rows"]) + 10)
        if "technical" in large:
            self.assertGreater(len(large["technical"]["crons"]), len(small["technical"]["crons"]))
        if not self.warm:
            return  # the warm-up run fills the ormcaches: its first count is not comparable
        self.assertEqual(
            large_count[0],
            small_count[0],
            f"{login}: {small_count[0]} queries on the small data set, {large_count[0]} on "
            "the large one",
        )


@tagged("post_install", "-at_install")
class TestDashboardTour(DashboardDataMixin, HttpCase):
    def test_dashboard_tour(self):
        self._fill(self.env)
        self.start_tour("/odoo/workflow-monitor", "workflow_monitor_dashboard_tour", login="admin")
