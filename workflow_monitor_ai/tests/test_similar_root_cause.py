# Copyright 2026 Workflow Monitor
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

import functools
from datetime import datetime, timedelta

from odoo import fields
from odoo.exceptions import UserError
from odoo.tests import tagged

from .common import AiCommon

T0 = datetime(2025, 1, 15, 10, 0)


@tagged("post_install", "-at_install")
class TestSimilarAndRootCause(AiCommon):
    def make(self, name, category=None, first_seen=T0, **vals):
        self.counter = getattr(self, "counter", 0) + 1
        vals = dict(
            {
                "name": name,
                "category_id": (category or self.category).id,
                "dedupe_key": f"ai-test-{self.counter}",
                "first_seen": first_seen,
                "last_seen": vals.pop("last_seen", first_seen),
                "company_id": self.company_a.id,
            },
            **vals,
        )
        return self.env["workflow.exception"].create(vals)

    def resolve(self, exception, resolution, hours):
        exception.write(
            {
                "state": "resolved",
                "resolution": resolution,
                "resolved_at": exception.first_seen + timedelta(hours=hours),
            }
        )
        return exception

    # ------------------------------------------------------------
    # similar incidents
    # ------------------------------------------------------------

    def test_similar_incidents_with_resolution_and_time(self):
        # recent: the corpus is the most recently resolved exceptions of the company
        recent = fields.Datetime.now() - timedelta(days=1)
        self.make = functools.partial(self.make, first_seen=recent)
        late = self.categories["late_delivery"]
        past = self.resolve(
            self.make(
                "Carrier DHL missed the pickup of WH/OUT/00017",
                category=late,
                description="Truck did not come to WH Paris, tracking shows no scan.",
            ),
            "Re-booked the pickup with DHL for the next morning.",
            5.5,
        )
        self.resolve(
            self.make(
                "Vendor bill BILL/2025/0003 price differs from P00012",
                self.categories["invoice_mismatch"],
            ),
            "Credit note asked.",
            30,
        )
        # same text in another company: never shown across companies
        self.resolve(
            self.make(
                "Carrier DHL missed the pickup of WH/OUT/00017",
                category=late,
                company_id=self.company_b.id,
            ),
            "Secret resolution of company B",
            1,
        )
        new = self.make(
            "Carrier DHL missed the pickup of WH/OUT/00093",
            category=self.inbox,
            description="Truck not arrived at WH Paris, no scan.",
        )
        new._ai_suggest_similar()
        suggestion = new.ai_suggestion_ids.filtered(lambda s: s.kind == "similar")
        self.assertEqual(len(suggestion), 1)
        self.assertEqual(suggestion.related_exception_ids, past)
        self.assertIn("Re-booked the pickup", suggestion.content)
        self.assertIn("resolved in 5.5 h", suggestion.content)
        self.assertNotIn("company B", suggestion.content)
        self.assertGreater(suggestion.confidence, 0.3)
        # on demand: the button replaces the proposal
        new.action_ai_similar()
        self.assertEqual(len(new.ai_suggestion_ids.filtered(lambda s: s.kind == "similar")), 1)
        lonely = self.make("Completely unrelated zebra text", category=self.inbox)
        with self.assertRaises(UserError):
            lonely.action_ai_similar()

    # ------------------------------------------------------------
    # root-cause candidates
    # ------------------------------------------------------------

    def _burst(self):
        cron_category = self.env["workflow.exception.category"].search(
            [("code", "=", "cron_failure")]
        )
        self.cron_failure = self.make(
            "Scheduled action 'Carrier label sync' failed 3 time(s)",
            category=cron_category,
            first_seen=T0 - timedelta(minutes=30),
            last_seen=T0 + timedelta(hours=2),
            dedupe_key="ir.cron,4242",
        )
        # a normal fortnight: exceptions on many documents and owners, no failing job
        users = [self.workflow_user, self.workflow_manager, self.workflow_admin]
        self.baseline = self.env["workflow.exception"]
        for i in range(24):
            doc = self.env["res.partner"].create(
                {"name": f"Baseline {i}", "user_id": users[i % 3].id}
            )
            self.baseline |= self.make(
                f"Document {i} late",
                first_seen=T0 - timedelta(days=1 + i % 13, hours=i),
                res_model=doc._name,
                res_id=doc.id,
                user_id=users[i % 3].id,
            )
        # the burst: 8 exceptions within the hour, all on documents of the same user
        self.burst = self.env["workflow.exception"]
        for i in range(8):
            doc = self.env["res.partner"].create(
                {"name": f"Burst {i}", "user_id": self.plain_user.id}
            )
            self.burst |= self.make(
                f"Label not printed for document {i}",
                first_seen=T0 + timedelta(minutes=5 * i),
                res_model=doc._name,
                res_id=doc.id,
            )

    def test_rank_by_lift(self):
        ranked = self.env["workflow.ai.root.cause"]._rank(
            [{"a", "b"}, {"a", "c"}, {"a"}, {"b"}], [{"b"}, {"c"}, {"b", "c"}, set()]
        )
        self.assertEqual(ranked[0]["signal"], "a")
        self.assertEqual((ranked[0]["burst_count"], ranked[0]["base_count"]), (3, 0))
        self.assertAlmostEqual(ranked[0]["lift"], (3 / 4) / (1 / 6))
        self.assertNotIn("c", [r["signal"] for r in ranked], "below the minimum support")

    def test_burst_candidates_with_evidence(self):
        self._burst()
        ranked, burst = self.env["workflow.ai.root.cause"]._candidates(
            self.company_a, T0, T0 + timedelta(hours=1)
        )
        self.assertEqual(burst, self.burst)
        signals = {c["signal"]: c for c in ranked}
        cron = signals["failure:cron_failure:ir.cron,4242"]
        self.assertEqual((cron["burst_count"], cron["burst_total"]), (8, 8))
        self.assertEqual(cron["base_count"], 0)
        self.assertIn("Carrier label sync", cron["label"])
        user_key = f"doc:user_id:res.users,{self.plain_user.id}"
        self.assertIn(user_key, signals)
        self.assertEqual(signals[user_key]["burst_count"], 8)
        self.assertGreater(ranked[0]["lift"], 5)
        # the document model is shared by burst and baseline alike: no lift, not listed
        self.assertNotIn("model:res.partner", signals)

    def test_cron_attaches_root_cause_to_burst(self):
        self._burst()
        self.set_ai(burst_window_hours=1, burst_min_count=5)
        created = self.env["workflow.ai.root.cause"]._cron_root_cause(now=T0 + timedelta(hours=1))
        self.assertEqual(created.exception_id, self.burst)
        content = created[0].content
        self.assertIn("8 exceptions", content)
        self.assertIn("Carrier label sync", content)
        self.assertIn("in 8 of 8", content)
        self.assertEqual(created[0].related_exception_ids, self.burst)
        # idempotent: a second run adds nothing
        self.assertFalse(
            self.env["workflow.ai.root.cause"]._cron_root_cause(now=T0 + timedelta(hours=1))
        )
        # on demand from one exception
        self.burst[0].action_ai_root_cause()
        self.assertEqual(
            len(self.burst[0].ai_suggestion_ids.filtered(lambda s: s.kind == "root_cause")), 1
        )
