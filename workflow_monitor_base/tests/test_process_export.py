# Copyright 2026 Workflow Monitor
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

"""The OCEL 2.0 and XES exports, downloaded over a real socket and read back by an
independent process-mining library (pm4py, a test-only dependency: AGPL, never imported
by the modules, see requirements-dev.txt)."""

import json
import os
import tempfile
from collections import Counter
from datetime import datetime, timedelta

from odoo.tests import HttpCase, tagged

from odoo.addons.mail.tests.common import mail_new_test_user

from .common import WorkflowMonitorCommon

FLOW = "wm_export_flow"
STAGES = ("a", "b", "c", "d")
# document name -> (company, first day, path of stage codes)
PATHS = {
    "WM Export 1": ("a", "2025-03-03", ("a", "b", "c", "d")),
    "WM Export 2": ("a", "2025-03-04", ("a", "b", "c", "d")),
    "WM Export 3": ("a", "2025-03-05", ("a", "c", "d")),
    "WM Export 4": ("a", "2025-03-10", ("a", "b", "c", "b", "c", "d")),
    "WM Export B": ("b", "2025-03-04", ("a", "d")),
}


def expected(names):
    """Directly-follows counts and variants of the hand-made paths of ``names``."""
    dfg, variants = Counter(), Counter()
    for name in names:
        path = PATHS[name][2]
        dfg.update(zip(path, path[1:], strict=False))
        variants[path] += 1
    return dict(dfg), dict(variants)


def pm4py_module():
    try:
        import pm4py  # noqa: PLC0415 (AGPL: imported by the tests only, lazily)
    except ImportError as error:
        raise AssertionError(
            "pm4py is missing: install the test tools with "
            "`.venv/bin/pip install -r requirements-dev.txt`"
        ) from error
    return pm4py


@tagged("post_install", "-at_install")
class TestProcessExport(WorkflowMonitorCommon, HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.flow = cls.env["workflow.definition"].create(
            {
                "name": "WM Export Flow",
                "code": FLOW,
                "model_id": cls.env["ir.model"]._get_id("res.partner"),
                "stage_ids": [
                    (0, 0, {"name": code.upper(), "code": code, "sequence": seq})
                    for seq, code in enumerate(STAGES, start=1)
                ],
            }
        )
        stages = {stage.code: stage for stage in cls.flow.stage_ids}
        companies = {"a": cls.company_a, "b": cls.company_b}
        cls.documents = {}
        events = []
        for name, (company_key, day, path) in PATHS.items():
            company = companies[company_key]
            partner = cls.env["res.partner"].create({"name": name, "company_id": company.id})
            cls.documents[name] = f"res.partner:{partner.id}"
            start = datetime.fromisoformat(f"{day} 08:00:00")
            instance = cls.env["workflow.instance"].create(
                {
                    "name": name,
                    "definition_id": cls.flow.id,
                    "res_model": "res.partner",
                    "res_id": partner.id,
                    "company_id": company.id,
                    "stage_id": stages[path[-1]].id,
                    "started_at": start,
                }
            )
            previous = None
            for step, code in enumerate(path):
                events.append(
                    {
                        "instance_id": instance.id,
                        "definition_id": cls.flow.id,
                        "res_model": "res.partner",
                        "res_id": partner.id,
                        "event_type": "stage",
                        "stage_from_id": previous and previous.id,
                        "stage_to_id": stages[code].id,
                        "occurred_at": start + timedelta(hours=step),
                        "user_id": cls.workflow_user.id,
                        "company_id": company.id,
                    }
                )
                previous = stages[code]
            # not a stage change: never exported
            events.append(dict(events[-1], event_type="sla", stage_from_id=False))
        cls.env["workflow.event"]._log_events(events)
        cls.portal = mail_new_test_user(
            cls.env, login="wm_export_portal", groups="base.group_portal"
        )
        cls.env.flush_all()

    # ------------------------------------------------------------
    # helpers
    # ------------------------------------------------------------

    def download(self, kind, **params):
        # the test opener: a requests.Session carrying the session cookie
        return self.opener.get(
            self.base_url() + f"/workflow_monitor/export/{kind}",
            params=params,
            allow_redirects=False,
            timeout=60,
        )

    def read_back(self, kind, **params):
        """(dfg, variants, cases) pm4py computes from the downloaded export."""
        response = self.download(kind, definition=FLOW, **params)
        self.assertEqual(response.status_code, 200, response.text[:500])
        pm4py = pm4py_module()
        suffix = ".jsonocel" if kind == "ocel" else ".xes"
        with tempfile.NamedTemporaryFile("wb", suffix=suffix, delete=False) as handle:
            handle.write(response.content)
        self.addCleanup(os.unlink, handle.name)
        if kind == "ocel":
            ocel = pm4py.read_ocel2_json(handle.name)
            log = pm4py.ocel_flattening(ocel, "res.partner")
        else:
            log = pm4py.read_xes(handle.name)
        dfg, _start, _end = pm4py.discover_dfg(log)
        # variants of the event log object: those of a data frame read its rows case by
        # case as they come, wrong when cases interleave
        variants = {
            tuple(path): count if isinstance(count, int) else len(count)
            for path, count in pm4py.get_variants(pm4py.convert_to_event_log(log)).items()
        }
        cases = set(log["case:concept:name"])
        return dict(dfg), variants, cases

    # ------------------------------------------------------------
    # tests
    # ------------------------------------------------------------

    def test_exports_read_back_by_pm4py(self):
        self.authenticate(self.workflow_user.login, self.workflow_user.login)
        names = [name for name, spec in PATHS.items() if spec[0] == "a"]
        dfg, variants = expected(names)
        for kind in ("ocel", "xes"):
            got_dfg, got_variants, cases = self.read_back(kind)
            self.assertEqual(got_dfg, dfg, kind)
            self.assertEqual(got_variants, variants, kind)
            self.assertEqual(cases, {self.documents[name] for name in names}, kind)

    def test_date_range(self):
        self.authenticate(self.workflow_user.login, self.workflow_user.login)
        names = ["WM Export 1", "WM Export 2", "WM Export 3"]
        dfg, variants = expected(names)
        for kind in ("ocel", "xes"):
            got_dfg, got_variants, _cases = self.read_back(
                kind, date_from="2025-03-03", date_to="2025-03-05"
            )
            self.assertEqual(got_dfg, dfg, kind)
            self.assertEqual(got_variants, variants, kind)

    def test_ocel_shape(self):
        self.authenticate(self.workflow_user.login, self.workflow_user.login)
        response = self.download(
            "ocel", definition=FLOW, date_from="2025-03-05", date_to="2025-03-05"
        )
        self.assertEqual(response.status_code, 200, response.text[:300])
        self.assertIn("attachment", response.headers["Content-Disposition"])
        data = json.loads(response.content)
        self.assertEqual([t["name"] for t in data["eventTypes"]], list(STAGES))
        self.assertEqual([t["name"] for t in data["objectTypes"]], ["res.partner"])
        document = self.documents["WM Export 3"]
        self.assertEqual([o["id"] for o in data["objects"]], [document])
        self.assertEqual(data["objects"][0]["attributes"][0]["value"], "WM Export 3")
        self.assertEqual([e["type"] for e in data["events"]], ["a", "c", "d"])
        first = data["events"][0]
        self.assertEqual(first["time"], "2025-03-05T08:00:00.000000Z")
        self.assertEqual(first["relationships"], [{"objectId": document, "qualifier": "case"}])
        self.assertEqual(first["attributes"], [{"name": "resource", "value": "wm_user"}])

    def test_other_company_never_exported(self):
        for user, mine, other in (
            (self.workflow_user, "WM Export 1", "WM Export B"),
            (self.workflow_user_b, "WM Export B", "WM Export 1"),
        ):
            self.authenticate(user.login, user.login)
            for kind in ("ocel", "xes"):
                response = self.download(kind, definition=FLOW)
                self.assertEqual(response.status_code, 200, response.text[:300])
                self.assertIn(self.documents[mine].encode(), response.content, kind)
                self.assertNotIn(self.documents[other].encode(), response.content, kind)
                self.assertNotIn(other.encode(), response.content, kind)

    def test_malformed_parameters(self):
        self.authenticate(self.workflow_user.login, self.workflow_user.login)
        self.set_param("workflow_monitor.export_max_events_without_range", 5)
        cases = [
            ({}, "definition"),
            ({"definition": "no_such_flow"}, "definition"),
            ({"definition": FLOW, "date_from": "2025-13-01", "date_to": "2025-12-31"}, "date_from"),
            ({"definition": FLOW, "date_from": "2025-03-01", "date_to": "tomorrow"}, "date_to"),
            ({"definition": FLOW, "date_from": "2025-03-01"}, "date_to"),
            ({"definition": FLOW, "date_to": "2025-03-01"}, "date_from"),
            ({"definition": FLOW, "date_from": "2025-03-02", "date_to": "2025-03-01"}, "date_from"),
            ({"definition": FLOW, "date_from": "2024-02-29", "date_to": "2025-03-01"}, "date_to"),
            # more events than the limit: a range is required
            ({"definition": FLOW}, "date_from"),
        ]
        for kind in ("ocel", "xes"):
            for params, parameter in cases:
                response = self.download(kind, **params)
                self.assertEqual(response.status_code, 400, (kind, params, response.text[:300]))
                body = response.json()
                self.assertEqual(body["parameter"], parameter, (kind, params))
                self.assertIn(parameter, body["error"], (kind, params))
        # the largest range allowed (366 days) is answered
        response = self.download(
            kind, definition=FLOW, date_from="2024-03-01", date_to="2025-03-01"
        )
        self.assertEqual(response.status_code, 200, response.text[:300])

    def test_oversized_and_hostile_requests(self):
        self.authenticate(self.workflow_user.login, self.workflow_user.login)
        for kind in ("ocel", "xes"):
            for params, parameter in (
                ({"definition": "x" * 10_000}, "definition"),  # a URL under the server limit
                ({"definition": FLOW + "\x00"}, "definition"),
                ({"definition": "' OR 1=1 --"}, "definition"),
                (
                    {"definition": FLOW, "date_from": "2025-03-01\x00", "date_to": "2025-03-02"},
                    "date_from",
                ),
                (
                    {"definition": FLOW, "date_from": "0001-01-01", "date_to": "9999-12-31"},
                    "date_to",
                ),
            ):
                response = self.download(kind, **params)
                self.assertEqual(response.status_code, 400, (kind, response.text[:300]))
                self.assertEqual(response.json()["parameter"], parameter, kind)
            # read-only GET routes: other methods are refused before any work
            response = self.opener.post(
                self.base_url() + f"/workflow_monitor/export/{kind}",
                data={"definition": FLOW},
                allow_redirects=False,
                timeout=60,
            )
            self.assertEqual(response.status_code, 405, kind)

    def test_refused_without_the_group(self):
        for kind in ("ocel", "xes"):
            self.authenticate(None, None)
            response = self.download(kind, definition=FLOW)
            self.assertIn(response.status_code, (302, 303))
            self.assertIn("/web/login", response.headers["Location"])
            for user in (self.plain_user, self.portal):
                self.authenticate(user.login, user.login)
                response = self.download(kind, definition=FLOW)
                self.assertEqual(response.status_code, 403, user.login)
                self.assertNotIn(b"WM Export", response.content)
