# Copyright 2026 Workflow Monitor
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

"""pm4py's numbers equal get_process_map's: simulated flows (a seeded walk with several
variants, skipped stages, rework loops and cancellations) go through the engine; the
OCEL and XES exports are downloaded over a real socket and read by pm4py (test-only,
AGPL, never imported by the modules), whose directly-follows counts, start activities
and variants must be exactly the edges and variants of the process map of the same
window, as the same user. Another company's flows are in neither."""

import os
import random
import tempfile
from collections import Counter
from datetime import datetime, timedelta

from odoo.tests import HttpCase, tagged

from .common import WorkflowMonitorCommon
from .test_process_export import pm4py_module

CODE = "wm_pm4py_flow"
STAGES = ("a", "b", "c", "d", "e", "x")  # e final, x cancel
T0 = datetime(2026, 2, 2, 8, 0)
WINDOW = {"date_from": "2026-02-01", "date_to": "2026-02-28"}


def simulate(seed, count):
    """``count`` paths of stage codes: forward one stage mostly, sometimes skipping one,
    going back one (rework) or cancelling; at most 12 moves."""
    rng = random.Random(seed)
    paths = []
    for _index in range(count):
        position, path = 0, ["a"]
        while STAGES[position] != "e" and len(path) < 12:
            draw = rng.random()
            if draw < 0.05:
                path.append("x")
                break
            if draw < 0.2 and position < 3:
                position += 2  # skips a stage
            elif draw < 0.35 and position > 0:
                position -= 1  # rework
            else:
                position += 1
            path.append(STAGES[position])
        paths.append(tuple(path))
    return paths


@tagged("post_install", "-at_install")
class TestProcessMapEqualsPm4py(WorkflowMonitorCommon, HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.flow = cls.env["workflow.definition"].create(
            {
                "name": "WM pm4py Flow",
                "code": CODE,
                "model_id": cls.env["ir.model"]._get_id("res.partner"),
                "stage_ids": [
                    (
                        0,
                        0,
                        {
                            "name": code.upper(),
                            "code": code,
                            "sequence": 10 * index,
                            "is_final": code == "e",
                            "is_cancel": code == "x",
                        },
                    )
                    for index, code in enumerate(STAGES, start=1)
                ],
            }
        )
        cls.paths_a = simulate(16, 90)
        cls.paths_b = simulate(61, 10)
        cls._write_paths(cls.company_a, cls.paths_a)
        cls._write_paths(cls.company_b, cls.paths_b)
        cls.env.flush_all()

    @classmethod
    def _write_paths(cls, company, paths):
        """One partner per path, moved by the engine; distinct times, whole minutes."""
        partners = cls.env["res.partner"].create(
            [
                {"name": f"WM pm4py {company.id}/{index}", "company_id": company.id}
                for index in range(len(paths))
            ]
        )
        rng = random.Random(company.id)
        chains = {}
        for index, (partner, path) in enumerate(zip(partners, paths, strict=True)):
            at = T0 + timedelta(minutes=7 * index)
            chain = []
            for code in path:
                chain.append((code, at))
                at += timedelta(minutes=rng.randint(5, 600))
            chains[(CODE, "res.partner", partner.id)] = chain
        cls.env["workflow.instance"]._apply_chains(chains)

    # ------------------------------------------------------------
    # helpers
    # ------------------------------------------------------------

    def pm4py_figures(self, kind):
        """(dfg, start activities, variants) pm4py computes from the downloaded export."""
        response = self.opener.get(
            self.base_url() + f"/workflow_monitor/export/{kind}",
            params=dict(WINDOW, definition=CODE),
            timeout=60,
        )
        self.assertEqual(response.status_code, 200, response.text[:500])
        pm4py = pm4py_module()
        suffix = ".jsonocel" if kind == "ocel" else ".xes"
        with tempfile.NamedTemporaryFile("wb", suffix=suffix, delete=False) as handle:
            handle.write(response.content)
        self.addCleanup(os.unlink, handle.name)
        if kind == "ocel":
            # flattened on the flows' document type: one case per document
            log = pm4py.ocel_flattening(pm4py.read_ocel2_json(handle.name), "res.partner")
        else:
            log = pm4py.read_xes(handle.name)
        dfg, start, _end = pm4py.discover_dfg(log)
        # pm4py's variants of a data frame read its rows case by case as they come: the
        # flattened OCEL interleaves the cases, its event log object groups them
        variants = {
            tuple(path): count if isinstance(count, int) else len(count)
            for path, count in pm4py.get_variants(pm4py.convert_to_event_log(log)).items()
        }
        return dict(dfg), dict(start), variants

    def process_map_figures(self, user):
        result = self.env["workflow.definition"].with_user(user).get_process_map(CODE, dict(WINDOW))
        dfg = {(e["from"], e["to"]): e["count"] for e in result["edges"] if e["from"]}
        start = {e["to"]: e["count"] for e in result["edges"] if not e["from"]}
        variants = {tuple(v["path"]): v["count"] for v in result["variants"]}
        return dfg, start, variants, result

    # ------------------------------------------------------------
    # tests
    # ------------------------------------------------------------

    def test_simulation_has_variants_skips_and_rework(self):
        _dfg, _start, variants, result = self.process_map_figures(self.workflow_user)
        self.assertGreater(len(variants), 10)
        kinds = {deviation["kind"] for deviation in result["deviations"]}
        self.assertEqual(kinds, {"skipped", "out_of_order", "rework"})
        self.assertEqual(variants, dict(Counter(self.paths_a)))

    def test_pm4py_equals_the_process_map(self):
        for user in (self.workflow_user, self.workflow_user_b, self.workflow_admin):
            self.authenticate(user.login, user.login)
            dfg, start, variants, _result = self.process_map_figures(user)
            for kind in ("ocel", "xes"):
                with self.subTest(user=user.login, kind=kind):
                    got_dfg, got_start, got_variants = self.pm4py_figures(kind)
                    self.assertEqual(got_dfg, dfg)
                    self.assertEqual(got_start, start)
                    self.assertEqual(got_variants, variants)
        # and both are the simulated flows of the user's company
        self.assertEqual(sum(start.values()), len(self.paths_a) + len(self.paths_b))
