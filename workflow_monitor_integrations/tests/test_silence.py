# Copyright 2026 Workflow Monitor
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

from datetime import datetime, timedelta

from odoo.exceptions import ValidationError
from odoo.tests import TransactionCase, tagged

from odoo.addons.workflow_monitor_base.tools import clock

from .common import SECRET

T0 = datetime(2031, 5, 6, 8, 0)  # when the test integrations were created
OPEN = ("new", "assigned", "in_progress")


@tagged("post_install", "-at_install")
class TestIntegrationSilent(TransactionCase):
    """``integration_silent``: no inbound message for longer than the expected interval.

    Times are given to the watch through the engine's clock; the integrations and their
    messages get explicit creation times (PostgreSQL's now() is not frozen)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Integration = cls.env["workflow.integration"]
        cls.Message = cls.env["workflow.integration.message"]
        cls.feed = cls.make("WM silent feed", 60)

    @classmethod
    def make(cls, name, interval, **vals):
        integration = cls.Integration.create(
            dict(
                {
                    "name": name,
                    "kind": "carrier",
                    "signing_secret": SECRET,
                    "expected_interval_minutes": interval,
                },
                **vals,
            )
        )
        cls.set_created(integration, T0)
        return integration

    @classmethod
    def set_created(cls, records, when):
        records.flush_recordset()
        cls.env.cr.execute(
            f"UPDATE {records._table} SET create_date = %s WHERE id = ANY(%s)",  # noqa: S608
            [when, records.ids],
        )
        records.invalidate_recordset(["create_date"])

    def receive(self, integration, when, state="processed"):
        message = self.Message.create(
            {
                "direction": "in",
                "integration_id": integration.id,
                "state": state,
                "event_type": "carrier.status",
                "payload": {"type": "carrier.status", "data": {}},
            }
        )
        self.set_created(message, when)
        return message

    def watch(self, now):
        return self.Integration.with_context(**clock.at(now))._cron_silence_watch()

    def silent(self, integration, open_only=True):
        domain = [
            ("category_id.code", "=", "integration_silent"),
            ("res_model", "=", "workflow.integration"),
            ("res_id", "=", integration.id),
        ]
        if open_only:
            domain.append(("state", "in", OPEN))
        return self.env["workflow.exception"].search(domain)

    # ------------------------------------------------------------

    def test_raise_near_threshold_resolve_and_idempotent(self):
        self.receive(self.feed, T0 + timedelta(hours=1))
        # 59 minutes after the last message: not silent yet
        self.watch(T0 + timedelta(hours=1, minutes=59))
        self.assertFalse(self.silent(self.feed))
        # 61 minutes: silent
        self.watch(T0 + timedelta(hours=2, minutes=1))
        exception = self.silent(self.feed)
        self.assertEqual(len(exception), 1)
        self.assertEqual(exception.company_id, self.feed.company_id)
        self.assertEqual(exception.severity, "medium")
        self.assertIn("1.0 h", exception.name)
        self.assertIn("expected every 60 min", exception.name)
        # a rerun counts an occurrence on the same exception
        self.watch(T0 + timedelta(hours=2, minutes=6))
        self.assertEqual(self.silent(self.feed), exception)
        self.assertEqual(exception.occurrence_count, 2)
        # traffic returns (even a message refused by the schema proves the feed lives)
        self.receive(self.feed, T0 + timedelta(hours=2, minutes=10), state="rejected")
        self.watch(T0 + timedelta(hours=2, minutes=11))
        self.assertEqual(exception.state, "resolved")
        self.assertFalse(self.silent(self.feed))

    def test_never_received_is_silent_since_creation(self):
        self.watch(T0 + timedelta(minutes=59))
        self.assertFalse(self.silent(self.feed))
        self.watch(T0 + timedelta(days=2))
        exception = self.silent(self.feed)
        self.assertEqual(exception.severity, "high", "a day and ten intervals")
        self.assertIn("never", exception.description)

    def test_not_watched_inactive_paused_or_closed_are_ignored(self):
        unwatched = self.make("WM not watched", 0)
        archived = self.make("WM archived", 30, active=False)
        closed = self.make("WM closed", 30, inbound_enabled=False)
        paused = self.make("WM paused", 30)
        paused.write({"paused": True})
        self.watch(T0 + timedelta(days=1))
        for integration in (unwatched, archived, closed, paused):
            self.assertFalse(self.silent(integration), integration.name)
        self.assertTrue(self.silent(self.feed))
        # archiving a silent integration resolves its exception at the next run
        self.feed.active = False
        self.watch(T0 + timedelta(days=1, minutes=5))
        self.assertFalse(self.silent(self.feed))

    def test_one_query_whatever_the_number_of_integrations(self):
        for index in range(5):
            self.receive(self.make(f"WM many {index}", 10), T0)
        self.watch(T0 + timedelta(hours=1))  # warm up: raise them all
        self.count_queries(T0 + timedelta(hours=1, minutes=30))
        few = self.count_queries(T0 + timedelta(hours=2))
        for index in range(20):
            self.receive(self.make(f"WM more {index}", 10), T0)
        self.watch(T0 + timedelta(hours=2, minutes=30))
        self.count_queries(T0 + timedelta(hours=2, minutes=45))
        many = self.count_queries(T0 + timedelta(hours=3))
        self.assertEqual(many, few, "queries do not grow with the integrations")

    def count_queries(self, now):
        self.env.flush_all()
        self.env.invalidate_all()
        before = self.env.cr.sql_log_count
        self.watch(now)
        self.env.flush_all()
        return self.env.cr.sql_log_count - before

    def test_interval_bounds_and_last_inbound(self):
        with self.assertRaises(ValidationError):
            self.feed.expected_interval_minutes = -1
        message = self.receive(self.feed, T0 + timedelta(minutes=30))
        self.feed.invalidate_recordset(["last_inbound_at"])
        self.assertEqual(self.feed.last_inbound_at, message.create_date)
        self.assertEqual(self.feed.last_inbound_at, T0 + timedelta(minutes=30))
