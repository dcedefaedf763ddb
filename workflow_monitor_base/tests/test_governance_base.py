# Copyright 2026 Workflow Monitor
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

"""Governance invariants of the engine (DESIGN.md section 10), each one attacked as a
hostile user would: every public method is callable over JSON-RPC by any logged-in user
with any ``context``. Methods that RPC must refuse are looked up the way Odoo's RPC
dispatcher does (``odoo.service.model.get_public_method``)."""

from datetime import datetime, timedelta

from odoo import Command
from odoo.exceptions import AccessError, UserError
from odoo.service.model import get_public_method
from odoo.tests import freeze_time, tagged

from odoo.addons.base.models.ir_cron import CompletionStatus
from odoo.addons.mail.tests.common import mail_new_test_user

from ..tools.context import server_context
from .common import TEST_MODEL, apply_deferred
from .test_sla import FRI_15, WorkflowSlaCommon

NOW = datetime(2025, 3, 3, 10, 0)


class GovernanceCommon(WorkflowSlaCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Exception = cls.env["workflow.exception"]
        cls.Event = cls.env["workflow.event"]
        cls.user_admin = cls.env.ref("base.user_admin")
        cls.portal_user = mail_new_test_user(
            cls.env,
            login="wm_portal",
            name="WM Portal",
            groups="base.group_portal",
            company_id=cls.company_a.id,
            company_ids=[Command.set(cls.company_a.ids)],
        )
        cls.doc = cls.env[TEST_MODEL].create({"name": "G-1"})
        apply_deferred(cls.env)
        cls.signal_category = cls.env.ref("workflow_monitor_base.category_security_signal")

    def config_events(self, record):
        return self.Event.search(
            [
                ("event_type", "=", "config"),
                ("res_model", "=", record._name),
                ("res_id", "=", record.id),
            ],
            order="id",
        )


@tagged("post_install", "-at_install")
class TestServerContext(GovernanceCommon):
    """1. Context keys that switch capture, audit or labelling off come from server code
    only: a client sets ``context`` freely."""

    def test_client_context_does_not_disable_capture(self):
        doc = self.doc.with_user(self.workflow_user).with_context(workflow_capture_disable=True)
        self.write_doc(doc, {"state": "confirmed"})
        self.assertEqual(self.events_of(self.doc)[-1].stage_to_id, self.stage_confirmed)
        # server code still switches capture off
        self.write_doc(
            self.doc.with_context(**server_context(workflow_capture_disable=True)),
            {"state": "done"},
        )
        self.assertEqual(self.events_of(self.doc)[-1].stage_to_id, self.stage_confirmed)

    def test_client_context_does_not_label_events(self):
        doc = self.doc.with_user(self.workflow_user).with_context(
            workflow_source="automation_rule",
            workflow_source_ref="base.automation,1",
            workflow_correlation_id="forged",
        )
        self.write_doc(doc, {"state": "confirmed"})
        event = self.events_of(self.doc)[-1]
        self.assertEqual(event.source, "user")
        self.assertFalse(event.source_ref)
        self.assertFalse(event.correlation_id)
        # labels set by server code are kept
        labelled = self.Event.with_context(
            **server_context(
                workflow_source="webhook",
                workflow_source_ref="workflow.integration,7",
                workflow_correlation_id="corr-7",
            )
        )._log_events([{"event_type": "custom"}])
        self.assertEqual(
            (labelled.source, labelled.source_ref, labelled.correlation_id),
            ("webhook", "workflow.integration,7", "corr-7"),
        )

    def test_client_context_does_not_disable_audit(self):
        policy = self.make_policy(name="WM audited policy")
        before = self.config_events(policy)
        policy.with_user(self.workflow_manager).with_context(workflow_audit_disable=True).write(
            {"target_hours": 12.0}
        )
        self.assertEqual(len(self.config_events(policy) - before), 1)
        policy.with_context(**server_context(workflow_audit_disable=True)).write(
            {"target_hours": 13.0}
        )
        self.assertEqual(len(self.config_events(policy) - before), 1)


@tagged("post_install", "-at_install")
class TestAuditTrail(GovernanceCommon):
    """2. Outside engine code, log_events and create force who, how and when."""

    def test_forged_approval_is_credited_to_its_author(self):
        # the attack: an "approved" event credited to the administrator, source system,
        # dated 2020, written by a workflow user through log_events
        forged = {
            "event_type": "approval",
            "res_model": TEST_MODEL,
            "res_id": self.doc.id,
            "user_id": self.user_admin.id,
            "source": "system",
            "occurred_at": "2020-01-01 00:00:00",
            "payload": {"decision": "approved"},
        }
        with freeze_time(NOW):
            logged = self.Event.with_user(self.workflow_user).log_events([forged])
            created = self.Event.with_user(self.workflow_user).create([forged])
        for event in (logged.sudo(), created.sudo()):
            self.assertEqual(event.user_id, self.workflow_user)
            self.assertEqual(event.source, "api")
            self.assertEqual(event.occurred_at, NOW)
            self.assertEqual(event.payload, {"decision": "approved"})
        # engine code keeps full control
        engine = self.Event._log_events([forged])
        self.assertEqual(engine.user_id, self.user_admin)
        self.assertEqual(engine.source, "system")
        self.assertEqual(engine.occurred_at, datetime(2020, 1, 1))

    def test_refuses_an_instance_of_another_company(self):
        doc_b = self.create_doc("G-B", company_id=self.company_b.id)
        instance_b = self.instance_of(doc_b)
        self.assertEqual(instance_b.company_id, self.company_b)
        Event = self.Event.with_user(self.workflow_user)
        for method in (Event.log_events, Event.create):
            with self.subTest(method=method.__name__):
                with self.assertRaisesRegex(AccessError, "instance_id"):
                    method([{"event_type": "custom", "instance_id": instance_b.id}])
        # a manager allowed in both companies, with only company A active, neither
        manager = self.Event.with_user(self.workflow_manager).with_context(
            allowed_company_ids=self.company_a.ids
        )
        with self.assertRaisesRegex(AccessError, "instance_id"):
            manager.log_events([{"event_type": "custom", "instance_id": instance_b.id}])
        # its own instance is fine
        own = Event.log_events(
            [{"event_type": "custom", "instance_id": self.instance_of(self.doc).id}]
        )
        self.assertEqual(own.sudo().instance_id, self.instance_of(self.doc))

    def test_refuses_a_record_the_caller_cannot_read(self):
        exception_b = self.Exception.raise_exception(
            self.doc, "wm_test_category", "B", dedupe_key="b", company_id=self.company_b.id
        )
        param = self.env["ir.config_parameter"].search([], limit=1)
        Event = self.Event.with_user(self.workflow_user)
        for res_model, res_id in (
            ("workflow.exception", exception_b.id),
            ("ir.config_parameter", param.id),
            (TEST_MODEL, 10**9),
        ):
            with (
                self.subTest(res_model=res_model),
                self.assertRaisesRegex((AccessError, UserError), "res_model|res_id"),
            ):
                Event.log_events(
                    [{"event_type": "custom", "res_model": res_model, "res_id": res_id}]
                )

    def test_refuses_a_company_outside_the_callers(self):
        Event = self.Event.with_user(self.workflow_user)
        for method in (Event.log_events, Event.create):
            with self.subTest(method=method.__name__):
                with self.assertRaisesRegex(AccessError, "company_id"):
                    method([{"event_type": "custom", "company_id": self.company_b.id}])

    def test_log_events_stays_public(self):
        self.assertTrue(get_public_method(self.Event, "log_events"))


@tagged("post_install", "-at_install")
class TestConfigEventsDigest(GovernanceCommon):
    """3. Config events never copy a field the reader may not read; Settings and their
    parameters are audited."""

    def test_server_action_code_is_not_copied(self):
        action = self.env["ir.actions.server"].create(
            {
                "name": "WM secret action",
                "model_id": self.env["ir.model"]._get_id(TEST_MODEL),
                "state": "code",
                "code": "# SECRET_TOKEN = 'hunter2'\nrecords.write({})",
            }
        )
        action.with_user(self.user_admin).write({"code": "# SECRET_TOKEN = 'swordfish'"})
        # the attack: a workflow user reads the server action's code from its event
        events = self.config_events(action).with_user(self.workflow_user)
        write = events.filtered(lambda e: e.payload["action"] == "write")
        self.assertEqual(len(write), 1)
        text = str(events.read(["payload"]))
        self.assertNotIn("hunter2", text)
        self.assertNotIn("swordfish", text)
        old, new = write.payload["changes"]["code"]
        self.assertTrue(old["restricted"])
        self.assertTrue(new["restricted"])
        self.assertNotEqual(old["sha256"], new["sha256"])
        # fields without groups keep their values
        action.write({"name": "WM renamed action"})
        renamed = self.config_events(action)[-1]
        self.assertEqual(
            renamed.payload["changes"]["name"], ["WM secret action", "WM renamed action"]
        )

    def test_cron_code_is_not_copied(self):
        cron = self.env.ref("workflow_monitor_base.ir_cron_kpi_snapshot")
        cron.with_user(self.user_admin).write({"code": "model._cron_kpi_snapshot()  # x9x9"})
        event = self.config_events(cron)[-1]
        self.assertNotIn("x9x9", str(event.payload))
        self.assertTrue(event.payload["changes"]["code"][1]["restricted"])

    def test_settings_changes_are_config_events(self):
        self.set_param("workflow_monitor.stale_days", 3)
        self.set_param("workflow_monitor.cron_lag_minutes", 60)
        Event = self.Event
        before = Event.search([("event_type", "=", "config")])
        with freeze_time(NOW):
            settings = (
                self.env["res.config.settings"]
                .with_user(self.user_admin)
                .create({"workflow_stale_days": 9, "workflow_cron_lag_minutes": 60})
            )
            settings.execute()
        events = (Event.search([("event_type", "=", "config")]) - before).filtered(
            lambda e: e.res_model == "ir.config_parameter"
        )
        names = [e.payload["name"] for e in events]
        self.assertNotIn("workflow_monitor.cron_lag_minutes", names, "unchanged: no event")
        params = events.filtered(lambda e: e.payload["name"] == "workflow_monitor.stale_days")
        self.assertEqual(len(params), 1, "one event per changed parameter")
        self.assertEqual(params.user_id, self.user_admin)
        self.assertEqual(params.occurred_at, NOW)
        self.assertEqual(params.payload["name"], "workflow_monitor.stale_days")
        self.assertEqual(params.payload["changes"], {"value": ["3", "9"]})

    def test_secret_parameters_are_digested(self):
        Param = self.env["ir.config_parameter"].with_user(self.user_admin)
        Param.set_param("workflow_monitor.metrics_token", "tok-111")
        Param.set_param("workflow_monitor.metrics_token", "tok-222")
        param = self.env["ir.config_parameter"].search(
            [("key", "=", "workflow_monitor.metrics_token")]
        )
        events = self.config_events(param)
        self.assertTrue(events)
        self.assertNotIn("tok-", str(events.mapped("payload")))
        self.assertTrue(events[-1].payload["changes"]["value"][1]["restricted"])
        # other parameters of Odoo are not the suite's business
        before = self.Event.search_count([("event_type", "=", "config")])
        Param.set_param("web.base.url.freeze", "True")
        self.assertEqual(self.Event.search_count([("event_type", "=", "config")]), before)


@tagged("post_install", "-at_install")
class TestAlerts(GovernanceCommon):
    """4. Exceptions: engine entry points closed to RPC, per-company dedupe, system
    categories, protected fields, security signals closed by administrators only."""

    def test_engine_entry_points_are_private(self):
        for model, name in (
            ("workflow.exception", "raise_exception"),
            ("workflow.exception", "raise_exceptions"),
            ("workflow.exception", "resolve_cleared"),
        ):
            with self.subTest(method=name), self.assertRaises(AccessError):
                get_public_method(self.env[model], name)
        # the user actions stay callable
        for name in ("action_resolve", "action_dismiss", "action_assign_to_me"):
            self.assertTrue(get_public_method(self.Exception, name))

    def test_dedupe_is_per_company(self):
        in_a = self.Exception.raise_exception(self.doc, "wm_test_category", "A", dedupe_key="k")
        in_b = self.Exception.raise_exception(
            self.doc, "wm_test_category", "B", dedupe_key="k", company_id=self.company_b.id
        )
        self.assertNotEqual(in_a, in_b)
        self.assertEqual((in_a.occurrence_count, in_b.occurrence_count), (1, 1))
        again = self.Exception.raise_exceptions(
            [
                {
                    "record": self.doc,
                    "category_code": "wm_test_category",
                    "name": "A",
                    "dedupe_key": "k",
                },
                {
                    "record": self.doc,
                    "category_code": "wm_test_category",
                    "name": "B",
                    "dedupe_key": "k",
                    "company_id": self.company_b.id,
                },
            ]
        )
        self.assertEqual(again, in_a | in_b)
        self.assertEqual((in_a.occurrence_count, in_b.occurrence_count), (2, 2))
        self.env.cr.execute(
            "SELECT pg_get_indexdef('workflow_exception_open_dedupe_uniq'::regclass)"
        )
        self.assertIn("(category_id, company_id, dedupe_key)", self.env.cr.fetchone()[0])

    def test_cross_company_bump_refused(self):
        # the attack: a company-A user bumps the severity and count of a company-B
        # exception through raise_exception and gets its id back
        theirs = self.Exception.raise_exception(
            self.doc,
            "wm_test_category",
            "B",
            dedupe_key="b-key",
            company_id=self.company_b.id,
            severity="low",
        )
        as_user = self.Exception.with_user(self.workflow_user)
        with self.assertRaisesRegex(AccessError, "company_id"):
            as_user.raise_exception(
                self.doc,
                "wm_test_category",
                "bump",
                severity="critical",
                dedupe_key="b-key",
                company_id=self.company_b.id,
            )
        # without naming the company: a new exception in the user's own company
        mine = as_user.raise_exception(
            self.doc, "wm_test_category", "mine", severity="critical", dedupe_key="b-key"
        )
        self.assertNotEqual(mine, theirs)
        self.assertEqual(mine.sudo().company_id, self.company_a)
        self.assertEqual((theirs.occurrence_count, theirs.severity), (1, "low"))

    def test_non_su_raise_never_merges_into_an_unreadable_row(self):
        # a manager allowed in both companies, with only company A active
        theirs = self.Exception.raise_exception(
            self.doc,
            "wm_test_category",
            "B",
            dedupe_key="b-key",
            company_id=self.company_b.id,
        )
        manager = self.Exception.with_user(self.workflow_manager).with_context(
            allowed_company_ids=self.company_a.ids
        )
        with self.assertRaisesRegex(AccessError, "company_id"):
            manager.raise_exception(
                self.doc, "wm_test_category", "x", dedupe_key="b-key", company_id=self.company_b.id
            )
        self.assertEqual(theirs.occurrence_count, 1)

    def test_shipped_categories_are_system(self):
        for code in (
            "sla_breach",
            "stale_record",
            "automation_failure",
            "cron_failure",
            "anomaly",
            "security_signal",
        ):
            category = self.env["workflow.exception.category"]._get_by_code(code)
            self.assertTrue(category.is_system, code)
        self.assertFalse(self.category.is_system)
        # managers configure categories, but not what is a system one
        with self.assertRaisesRegex(AccessError, "is_system"):
            self.signal_category.with_user(self.workflow_manager).write({"is_system": False})
        with self.assertRaisesRegex(AccessError, "is_system"):
            self.env["workflow.exception.category"].with_user(self.workflow_manager).create(
                {"code": "wm_fake_system", "name": "Fake", "is_system": True}
            )
        with self.assertRaises(AccessError):
            self.signal_category.with_user(self.workflow_manager).write({"active": False})
        # what a system category does stays configurable
        self.signal_category.with_user(self.workflow_manager).write({"response_hours": 2.0})

    def test_system_categories_are_raised_by_the_engine_only(self):
        # the attack: a user creates an unrouted exception with the dedupe key of the
        # approval bypass signal; the real alert would merge into it and the user dismiss it
        for user in (self.workflow_user, self.workflow_manager):
            with self.subTest(user=user.login), self.assertRaisesRegex(AccessError, "engine"):
                self.Exception.with_user(user).create(
                    {
                        "name": "nothing to see",
                        "category_id": self.signal_category.id,
                        "team_id": False,
                        "dedupe_key": "signal:approval_bypass",
                    }
                )
        with self.assertRaisesRegex(AccessError, "engine"):
            self.Exception.with_user(self.workflow_user).raise_exception(
                self.doc, "security_signal", "nothing to see", dedupe_key="signal:approval_bypass"
            )
        # managers still create exceptions in their own categories
        own = self.Exception.with_user(self.workflow_manager).create(
            {"name": "by hand", "category_id": self.category.id}
        )
        self.assertEqual(own.team_id, self.team_a)
        self.assertTrue(own.dedupe_key.startswith("manual:"))

    def test_protected_fields(self):
        Exception = self.Exception.with_user(self.workflow_user)
        base = {"name": "mine", "category_id": self.category.id}
        for fname, value in (
            ("team_id", self.team_other.id),
            ("team_id", False),
            ("company_id", self.company_b.id),
            ("resolved_by_id", self.user_admin.id),
            ("resolved_at", "2020-01-01 00:00:00"),
            ("first_seen", "2020-01-01 00:00:00"),
            ("last_seen", "2020-01-01 00:00:00"),
            ("occurrence_count", 99),
            ("dedupe_key", "signal:approval_bypass"),
            ("escalation_level", 3),
            ("state", "resolved"),
        ):
            with (
                self.subTest(create=fname),
                self.assertRaisesRegex((AccessError, UserError), fname),
            ):
                Exception.create(dict(base, **{fname: value}))
        mine = Exception.create(base)
        self.assertEqual(mine.team_id, self.team_a)
        for fname, value in (
            ("team_id", self.team_other.id),
            ("company_id", self.company_b.id),
            ("resolved_by_id", self.user_admin.id),
            ("resolved_at", "2020-01-01 00:00:00"),
            ("first_seen", "2020-01-01 00:00:00"),
            ("last_seen", "2020-01-01 00:00:00"),
            ("occurrence_count", 99),
            ("dedupe_key", "other"),
            ("escalation_level", 3),
            ("category_id", self.category_no_hours.id),
            ("res_model", "res.users"),
            ("res_id", self.user_admin.id),
            ("node_ref", "stock.warehouse,999"),
        ):
            with self.subTest(write=fname), self.assertRaisesRegex(AccessError, fname):
                mine.write({fname: value})
        # the harmless fields stay editable, and the engine's own writes still work
        mine.write({"description": "details", "severity": "high", "user_id": self.workflow_user.id})
        self.assertEqual(mine.state, "assigned")
        mine.action_escalate()
        self.assertEqual(mine.escalation_level, 1)
        self.assertEqual(mine.sudo().team_id, self.team_escalation)

    def test_category_moves_through_the_engine(self):
        exc = self.Exception.with_user(self.workflow_user).create(
            {"name": "misfiled", "category_id": self.category.id}
        )
        self.assertEqual(exc.team_id, self.team_a)
        with self.assertRaisesRegex(AccessError, "category_id"):
            exc.write({"category_id": self.category_no_hours.id})
        # the one door (AI suggestions reviewed by a person): the team follows
        exc._move_to_category(self.category_no_hours)
        self.assertEqual(exc.category_id, self.category_no_hours)
        self.assertEqual(exc.sudo().team_id, self.team_other)
        # never into or out of a system category outside engine code
        mine = self.Exception.with_user(self.workflow_manager).create(
            {"name": "mine", "category_id": self.category.id}
        )
        with self.assertRaisesRegex(AccessError, "system"):
            mine._move_to_category(self.signal_category)
        signal = self.Exception.raise_exception(self.doc, "security_signal", "burst")
        with self.assertRaisesRegex(AccessError, "administrators"):
            signal.with_user(self.workflow_manager)._move_to_category(self.category)
        # a move the engine proposed (an AI suggestion a person accepts) may reach a
        # system category, with the person's write access; a security signal still
        # leaves its category by an administrator only
        stale = self.env.ref("workflow_monitor_base.category_stale_record")
        mine._move_to_category(stale, proposed_by_engine=True)
        self.assertEqual(mine.category_id, stale)
        with self.assertRaisesRegex(AccessError, "administrators"):
            signal.with_user(self.workflow_manager)._move_to_category(
                self.category, proposed_by_engine=True
            )
        self.assertEqual(signal.category_id, self.signal_category)
        theirs = self.Exception.raise_exception(
            self.doc, "wm_test_category", "other team", dedupe_key="t", team_id=self.team_other.id
        )
        with self.assertRaises(AccessError):
            theirs.with_user(self.workflow_user)._move_to_category(
                self.category_no_hours, proposed_by_engine=True
            )
        with self.assertRaisesRegex(AccessError, "system"):
            signal.with_user(self.workflow_admin)._move_to_category(self.category)
        signal.with_user(self.workflow_admin)._move_to_category(
            self.category, proposed_by_engine=True
        )
        self.assertEqual(signal.category_id, self.category)

    def test_state_write_goes_through_the_action_checks(self):
        exc = self.Exception.raise_exception(self.doc, "wm_test_category", "kanban")
        mine = exc.with_user(self.workflow_user)
        # the kanban drags the state
        mine.write({"state": "in_progress"})
        self.assertEqual(exc.state, "in_progress")
        with self.assertRaisesRegex(UserError, "Resolution"):
            mine.write({"state": "resolved"})
        with self.assertRaisesRegex(UserError, "Resolution"):
            mine.write({"state": "dismissed"})
        with freeze_time(NOW):
            mine.write({"state": "resolved", "resolution": "done by drag"})
        self.assertEqual(exc.state, "resolved")
        self.assertEqual(exc.resolved_by_id, self.workflow_user)
        self.assertEqual(exc.resolved_at, NOW)
        resolved = self.events_of(self.doc, "exception").filtered(
            lambda e: e.payload["action"] == "resolved"
        )
        self.assertEqual(len(resolved), 1)
        # dragged back: reopened like action_reopen
        mine.write({"state": "new"})
        self.assertEqual(exc.state, "new")
        self.assertFalse(exc.resolved_at)
        self.assertFalse(exc.resolved_by_id)
        # reopening by drag is refused while another open one tracks the same problem
        mine.action_resolve()
        self.Exception.raise_exception(self.doc, "wm_test_category", "kanban")
        with self.assertRaisesRegex(UserError, "cannot be reopened"):
            mine.write({"state": "assigned"})

    def test_only_administrators_close_security_signals(self):
        signal = self.Exception.raise_exception(
            self.env.company, "security_signal", "bypass burst", dedupe_key="signal:approval_bypass"
        )
        signal.resolution = "looked into it"
        for user in (self.workflow_user, self.workflow_manager):
            as_user = signal.with_user(user)
            for close in (
                as_user.action_dismiss,
                as_user.action_resolve,
                lambda u=as_user: u.write({"state": "dismissed"}),
                lambda u=as_user: u.write({"state": "resolved"}),
            ):
                with (
                    self.subTest(user=user.login),
                    self.assertRaisesRegex(AccessError, "administrator"),
                ):
                    close()
            with self.assertRaises(AccessError):
                as_user.unlink()
        self.assertEqual(signal.state, "new")
        signal.with_user(self.workflow_admin).action_dismiss()
        self.assertEqual(signal.state, "dismissed")

    def test_sla_sweep_dedupes_per_company(self):
        self.make_policy(calendar_id=False, target_hours=1.0, warning_hours=0.0)
        doc = self.confirm_at(FRI_15, name="S-company")
        instance = self.instance_of(doc)
        self.assertEqual(instance.company_id, self.company_a)
        key = f"sla:{instance.id}:{self.stage_confirmed.id}"
        # an open exception with the same key in another company
        theirs = self.Exception.raise_exception(
            doc, "sla_breach", "other company", dedupe_key=key, company_id=self.company_b.id
        )
        self.sweep_at(FRI_15 + timedelta(hours=2))
        self.assertEqual(theirs.occurrence_count, 1, "the sweep did not merge into company B")
        ours = self.open_exceptions("sla_breach", dedupe_key=key, company_id=self.company_a.id)
        self.assertEqual(len(ours), 1)
        self.assertEqual(ours.instance_id, instance)


@tagged("post_install", "-at_install")
class TestCronDeactivation(GovernanceCommon):
    """5. A job Odoo deactivated after repeated failures keeps its alert open and listed
    until an administrator re-enables it and it runs successfully."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env.flush_all()
        cls.env.cr.execute(
            "UPDATE ir_cron SET nextcall = %s, failure_count = 0, first_failure_date = NULL",
            [NOW + timedelta(days=30)],
        )
        cls.env["ir.cron"].invalidate_model()
        cls.cron = cls.env.ref("workflow_monitor_base.ir_cron_kpi_snapshot")

    def watch(self, when):
        with freeze_time(when):
            return self.env["ir.cron"]._workflow_health_watch()

    def run_outcome(self, when, status):
        """What Odoo's cron runner does after a run of the job (ir_cron._process_job)."""
        self.env.flush_all()
        self.env.cr.execute("SELECT * FROM ir_cron WHERE id = %s", [self.cron.id])
        job = self.env.cr.dictfetchone()
        with freeze_time(when):
            self.env["ir.cron"]._update_failure_count(job, status)
        self.env["ir.cron"].invalidate_model()

    def cron_exception(self):
        return self.open_exceptions("cron_failure", res_model="ir.cron", res_id=self.cron.id)

    def technical_crons(self, when):
        with freeze_time(when):
            data = (
                self.env["workflow.dashboard"].with_user(self.workflow_admin).get_dashboard_data({})
            )
        return {cron["id"]: cron for cron in data["technical"]["crons"]}

    def test_deactivated_job_stays_open_and_listed(self):
        self.cron.write({"failure_count": 4, "first_failure_date": NOW - timedelta(days=8)})
        self.watch(NOW)
        exc = self.cron_exception()
        self.assertEqual(len(exc), 1)
        # the fifth failure over more than seven days: Odoo deactivates the job and resets
        # its failure count in one UPDATE
        self.run_outcome(NOW + timedelta(minutes=5), CompletionStatus.FAILED)
        self.assertFalse(self.cron.active)
        self.assertEqual(self.cron.failure_count, 0)
        self.assertTrue(self.cron.workflow_deactivated_at)
        self.watch(NOW + timedelta(minutes=15))
        self.assertEqual(self.cron_exception(), exc, "still open")
        self.assertEqual(exc.severity, "critical")
        # the failing-jobs KPI still counts it (Odoo reset its failure count)
        kpi = self.env.ref("workflow_monitor_base.kpi_failing_crons")
        values = kpi._compute_values(NOW, NOW + timedelta(days=1))
        self.assertEqual({v["value"] for v in values}, {1})
        listed = self.technical_crons(NOW + timedelta(minutes=16))
        self.assertIn(self.cron.id, listed)
        self.assertTrue(listed[self.cron.id]["workflow_deactivated_at"])
        # re-enabled by an administrator: still open until it runs successfully
        self.cron.with_user(self.user_admin).write({"active": True})
        self.watch(NOW + timedelta(minutes=30))
        self.assertEqual(self.cron_exception(), exc)
        self.assertIn(self.cron.id, self.technical_crons(NOW + timedelta(minutes=31)))
        self.run_outcome(NOW + timedelta(minutes=40), CompletionStatus.FULLY_DONE)
        self.assertFalse(self.cron.workflow_deactivated_at)
        self.watch(NOW + timedelta(minutes=45))
        self.assertFalse(self.cron_exception())
        self.assertEqual(exc.state, "resolved")

    def test_deactivation_marker_is_not_user_writable(self):
        with self.assertRaises(AccessError):
            self.cron.with_user(self.user_admin).write({"workflow_deactivated_at": False})


@tagged("post_install", "-at_install")
class TestDeadEnds(GovernanceCommon):
    """6. Other public methods of the engine's models, called by users without the
    rights they would need."""

    def test_kpi_snapshot_needs_a_manager(self):
        kpi = self.env.ref("workflow_monitor_base.kpi_open_exceptions")
        self.Exception.raise_exception(self.doc, "wm_test_category", "something open")
        Value = self.env["workflow.kpi.value"]
        Value.search([("kpi_id", "=", kpi.id)]).unlink()
        before = 0
        for user in (self.workflow_user, self.plain_user, self.portal_user):
            with self.subTest(user=user.login), self.assertRaises(AccessError):
                kpi.with_user(user).action_snapshot_now()
        self.assertEqual(Value.search_count([("kpi_id", "=", kpi.id)]), before)
        kpi.with_user(self.workflow_manager).action_snapshot_now()
        self.assertGreater(Value.search_count([("kpi_id", "=", kpi.id)]), before)

    def test_exception_actions_need_write_access(self):
        theirs = self.Exception.raise_exception(
            self.doc,
            "wm_test_category",
            "other team",
            dedupe_key="other",
            team_id=self.team_other.id,
        )
        theirs.resolution = "x"
        as_user = theirs.with_user(self.workflow_user)
        for action in (
            as_user.action_escalate,
            as_user.action_resolve,
            as_user.action_dismiss,
            as_user.action_start,
        ):
            with self.subTest(action=action.__name__), self.assertRaises(AccessError):
                action()
        self.assertEqual((theirs.state, theirs.escalation_level), ("new", 0))
        for user in (self.plain_user, self.portal_user):
            for action in ("action_reopen", "action_open_document", "action_assign_to_me"):
                with self.subTest(user=user.login, action=action), self.assertRaises(AccessError):
                    getattr(theirs.with_user(user), action)()

    def test_dashboard_and_instances_refused_without_the_groups(self):
        instance = self.instance_of(self.doc)
        for user in (self.plain_user, self.portal_user):
            with self.subTest(user=user.login):
                with self.assertRaises(AccessError):
                    self.env["workflow.dashboard"].with_user(user).get_dashboard_data({})
                with self.assertRaises(AccessError):
                    instance.with_user(user).action_open_document()
                with self.assertRaises(AccessError):
                    self.Event.with_user(user).log_events([{"event_type": "custom"}])
