# Copyright 2026 Workflow Monitor
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

from datetime import datetime, timedelta

from odoo import Command
from odoo.exceptions import AccessError, UserError
from odoo.tests import freeze_time, tagged
from odoo.tools import sql as odoo_sql

from odoo.addons.mail.tests.common import mail_new_test_user

from ..tools import partition
from .common import WorkflowMonitorCommon

NOW = datetime(2025, 3, 10, 12, 0)


@tagged("post_install", "-at_install")
class TestEventPartition(WorkflowMonitorCommon):
    """The event table partitioned by month (``workflow.event.action_partition_by_month``)
    and the retention job on it. Runs on an ordinary table (the conversion happens in the
    test transaction, rolled back) and on an already partitioned one (make test-slow)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        companies = cls.env["res.company"].search([])
        cls.partition_admin = mail_new_test_user(
            cls.env,
            login="wm_partition_admin",
            groups="base.group_user,workflow_monitor_base.group_workflow_admin",
            company_id=cls.company_a.id,
            company_ids=[Command.set(companies.ids)],
        )

    def partition_events(self):
        """Partition the events table as an administrator; True when this call did it."""
        Event = self.env["workflow.event"].with_user(self.partition_admin)
        was = Event._events_partitioned()
        result = Event.action_partition_by_month()
        self.assertEqual(result["tag"], "display_notification")
        self.assertEqual(result["params"]["type"], "info" if was else "success")
        self.assertTrue(Event._events_partitioned())
        return not was

    def relkind(self, table):
        self.env.cr.execute("SELECT relkind FROM pg_class WHERE oid = to_regclass(%s)", [table])
        row = self.env.cr.fetchone()
        return row and row[0]

    def partitions(self, table="workflow_event"):
        return partition.monthly_partitions(self.env.cr, table)

    def index_names(self, table):
        self.env.cr.execute(
            "SELECT indexname FROM pg_indexes WHERE tablename = %s ORDER BY 1", [table]
        )
        return [row[0] for row in self.env.cr.fetchall()]

    def test_convert_keeps_rows_ids_indexes_and_sequence(self):
        Event = self.env["workflow.event"]
        with freeze_time(NOW):
            old = Event.log_events(
                [
                    {"event_type": "custom", "occurred_at": NOW - timedelta(days=days)}
                    for days in (70, 40, 1, 0)
                ]
            )
        self.env.flush_all()
        indexes = self.index_names("workflow_event")
        self.env.cr.execute("SELECT count(*), max(id) FROM workflow_event")
        count, top = self.env.cr.fetchone()
        converted = self.partition_events()
        self.assertEqual(self.relkind("workflow_event"), "p")
        self.assertEqual(self.relkind("workflow_event_default"), "r")
        self.assertTrue(odoo_sql.table_exists(self.env.cr, "workflow_event"), "Odoo sees it")
        self.assertEqual(self.index_names("workflow_event"), indexes)
        self.env.cr.execute(
            "SELECT pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE conrelid = 'workflow_event'::regclass AND contype = 'p'"
        )
        self.assertEqual(self.env.cr.fetchone()[0], "PRIMARY KEY (id, occurred_at)")
        self.env.cr.execute("SELECT pg_get_serial_sequence('workflow_event', 'id')")
        self.assertTrue(self.env.cr.fetchone()[0], "the sequence belongs to the new table")
        self.env.cr.execute("SELECT count(*) FROM workflow_event WHERE id <= %s", [top])
        # the conversion logs its own config event after the copied rows
        self.assertEqual(self.env.cr.fetchone()[0], count)
        self.assertEqual(old.exists(), old)
        self.assertEqual(
            sorted(old.mapped("occurred_at")),
            sorted(NOW - timedelta(days=d) for d in (70, 40, 1, 0)),
        )
        if converted:
            config = Event.search([("event_type", "=", "config")], limit=1)
            self.assertEqual(config.payload["action"], "partition_by_month")
            self.assertEqual(config.payload["rows"], count)
        # a second call changes nothing and says so
        self.assertFalse(self.partition_events())
        new = Event.log_events([{"event_type": "custom"}])
        self.assertGreater(new.id, top)

    def test_orm_on_partitioned_table(self):
        self.partition_events()
        Event = self.env["workflow.event"]
        with freeze_time(NOW):
            doc = self.create_doc("Partitioned")
            self.run_deferred()
            self.write_doc(doc, {"state": "confirmed"})
            self.run_deferred()
            created = Event.create([{"event_type": "custom", "res_model": doc._name}])
            api_events = Event.with_user(self.workflow_user).log_events(
                [{"event_type": "custom", "payload": {"n": i}} for i in range(3)]
            )
        self.assertEqual([e.stage_to_id.code for e in self.events_of(doc)], ["draft", "confirmed"])
        self.assertEqual(len(api_events.exists()), 3)
        self.assertEqual(created.exists(), created)
        groups = dict(
            Event._read_group(
                [("id", "in", (created | api_events).ids)], ["event_type"], ["__count"]
            )
        )
        self.assertEqual(groups, {"custom": 4})
        found = Event.search([("id", "in", api_events.ids)], order="occurred_at desc, id")
        self.assertEqual(found, api_events)
        with self.assertRaises(UserError):
            created.write({"source_ref": "x"})
        with self.assertRaises(UserError):
            created.sudo().unlink()
        self.assertEqual(created.exists(), created)

    def test_refused_to_non_administrators(self):
        was = self.env["workflow.event"]._events_partitioned()
        for user in (self.workflow_manager, self.workflow_user, self.plain_user):
            with self.subTest(user=user.login), self.assertRaises(AccessError):
                self.env["workflow.event"].with_user(user).action_partition_by_month()
            self.assertEqual(self.env["workflow.event"]._events_partitioned(), was)
        # an administrator who may not work in every company does not rewrite them all
        admin_a = mail_new_test_user(
            self.env,
            login="wm_admin_a",
            groups="base.group_user,workflow_monitor_base.group_workflow_admin",
            company_id=self.company_a.id,
            company_ids=[Command.set(self.company_a.ids)],
        )
        with self.assertRaisesRegex(AccessError, "all companies"):
            self.env["workflow.event"].with_user(admin_a).action_partition_by_month()
        self.assertEqual(self.env["workflow.event"]._events_partitioned(), was)
        settings = self.env["res.config.settings"].with_user(self.workflow_manager)
        with self.assertRaises(AccessError):
            settings.browse().action_workflow_partition_events()

    def test_refused_while_a_foreign_key_points_to_events(self):
        if self.env["workflow.event"]._events_partitioned():
            # no foreign key can point to a partitioned table's id: nothing to refuse
            self.assertEqual(partition.referencing_foreign_keys(self.env.cr, "workflow_event"), [])
            return
        self.assertEqual(partition.referencing_foreign_keys(self.env.cr, "workflow_event"), [])
        self.env.cr.execute(
            "CREATE TABLE wm_test_event_ref (event_id int REFERENCES workflow_event (id))"
        )
        with self.assertRaisesRegex(UserError, "wm_test_event_ref"):
            self.env["workflow.event"].with_user(self.partition_admin).action_partition_by_month()
        self.assertEqual(self.relkind("workflow_event"), "r")

    def test_settings_show_the_mode(self):
        # Settings is for system administrators; the button's own check is tested above
        settings = self.env["res.config.settings"].create({})
        self.assertEqual(
            settings.workflow_events_partitioned,
            self.env["workflow.event"]._events_partitioned(),
        )
        settings.action_workflow_partition_events()
        settings.invalidate_recordset()
        self.assertTrue(settings.workflow_events_partitioned)

    def test_retention_creates_months_ahead_and_drops_whole_months(self):
        self.partition_events()
        self.set_param("workflow_monitor.event_retention_days", 60)
        Event = self.env["workflow.event"]
        with freeze_time(NOW):
            # limit: 2025-01-09 12:00. Months created first, so the rows land in them.
            partition.ensure_months(
                self.env.cr,
                "workflow_event",
                "occurred_at",
                datetime(2024, 10, 1),
                datetime(2025, 3, 1),
            )
            stamps = {
                "nov": datetime(2024, 11, 20),  # its month ended before the limit
                "dec": datetime(2024, 12, 31, 23),
                "jan_old": datetime(2025, 1, 2),  # older than the limit, month kept
                "jan_new": datetime(2025, 1, 20),
                "now": NOW,
            }
            events = {
                key: Event.log_events([{"event_type": "custom", "occurred_at": at}])
                for key, at in stamps.items()
            }
            # outside every month: the default partition, purged row by row
            outside = Event.log_events(
                [{"event_type": "custom", "occurred_at": datetime(1990, 1, 1)}]
            )
            self.env.flush_all()
            self.assertIn("workflow_event_2024_11", self.partitions().values())
            deleted = Event._cron_retention()
        months = self.partitions()
        self.assertGreaterEqual(deleted, 3)
        for month in ("2024_10", "2024_11", "2024_12"):
            self.assertNotIn(f"workflow_event_{month}", months.values())
        for month in ("2025_01", "2025_02", "2025_03", "2025_04", "2025_05", "2025_06"):
            self.assertIn(f"workflow_event_{month}", months.values(), "kept or created ahead")
        self.assertFalse(events["nov"].exists())
        self.assertFalse(events["dec"].exists())
        self.assertFalse(outside.exists())
        self.assertEqual(events["jan_old"].exists(), events["jan_old"], "whole months only")
        self.assertEqual(events["jan_new"].exists(), events["jan_new"])
        self.assertEqual(events["now"].exists(), events["now"])

    def test_months_ahead_take_their_rows_from_the_default_partition(self):
        self.partition_events()
        Event = self.env["workflow.event"]
        at = datetime(2199, 5, 17)  # no partition: the default one
        event = Event.log_events([{"event_type": "custom", "occurred_at": at}])
        self.env.flush_all()
        self.env.cr.execute(
            "SELECT tableoid::regclass::text FROM workflow_event WHERE id = %s", [event.id]
        )
        self.assertEqual(self.env.cr.fetchone()[0], "workflow_event_default")
        created = partition.ensure_months(
            self.env.cr, "workflow_event", "occurred_at", datetime(2199, 4, 1), datetime(2199, 6, 1)
        )
        self.assertEqual(
            created, ["workflow_event_2199_04", "workflow_event_2199_05", "workflow_event_2199_06"]
        )
        self.env.cr.execute(
            "SELECT tableoid::regclass::text FROM workflow_event WHERE id = %s", [event.id]
        )
        self.assertEqual(self.env.cr.fetchone()[0], "workflow_event_2199_05")
        # the partition got every index of the table, its primary key included
        self.assertIn("workflow_event_2199_05_pkey", self.index_names("workflow_event_2199_05"))
        self.assertEqual(
            len(self.index_names("workflow_event_2199_05")),
            len(self.index_names("workflow_event")),
        )
        self.assertEqual(
            partition.ensure_months(
                self.env.cr,
                "workflow_event",
                "occurred_at",
                datetime(2199, 4, 1),
                datetime(2199, 6, 1),
            ),
            [],
        )

    def test_convert_a_table_with_rows_before_and_after_the_months(self):
        """The mechanism on a table of its own: rows far in the past and the future go
        to the default partition, the others to their month."""
        cr = self.env.cr
        cr.execute(
            """CREATE TABLE wm_probe (id serial PRIMARY KEY, occurred_at timestamp NOT NULL,
                                      n int DEFAULT 7);
               CREATE INDEX wm_probe_n_idx ON wm_probe (n) WHERE n > 0;
               COMMENT ON TABLE wm_probe IS 'probe';
               INSERT INTO wm_probe (occurred_at) VALUES
                   ('1990-01-01'), ('2025-01-15'), ('2025-03-01'), ('2025-03-31 23:59'),
                   ('2031-01-01')"""
        )
        rows, created = partition.convert_to_monthly(
            cr, "wm_probe", "occurred_at", NOW, months_ahead=3, months_back=3
        )
        self.assertEqual(rows, 5)
        # the oldest row's month at most 3 months back (2024-12) to 2025-06, and default
        self.assertEqual(created, 7 + 1)
        cr.execute("SELECT tableoid::regclass::text, count(*) FROM wm_probe GROUP BY 1 ORDER BY 1")
        self.assertEqual(
            cr.fetchall(),
            [("wm_probe_2025_01", 1), ("wm_probe_2025_03", 2), ("wm_probe_default", 2)],
        )
        self.assertEqual(self.index_names("wm_probe")[:2], ["wm_probe_n_idx", "wm_probe_pkey"])
        cr.execute("INSERT INTO wm_probe (occurred_at) VALUES ('2025-04-02') RETURNING id, n")
        self.assertEqual(cr.fetchone(), (6, 7), "sequence and defaults kept")
        cr.execute("SELECT obj_description('wm_probe'::regclass, 'pg_class')")
        self.assertEqual(cr.fetchone()[0], "probe")
        self.assertFalse(self.relkind("wm_probe_unpartitioned"))
