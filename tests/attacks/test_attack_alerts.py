# Copyright 2026 Workflow Monitor
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

"""Alert attacks (DESIGN.md section 10, "Alerts"): fake or silenced security signals,
engine entry points called over RPC, exception fields set by hand, another company's
exceptions."""

import re

from odoo.tests import tagged

from .common import AttackCase


@tagged("post_install", "-at_install")
class TestAttackAlerts(AttackCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        Category = cls.env["workflow.exception.category"]
        cls.cat_signal = Category.search([("code", "=", "security_signal")])
        cls.cat_stale = Category.search([("code", "=", "stale_record")])
        cls.admin = cls.env.ref("base.user_admin")
        cls.other_team = cls.env["workflow.team"].create({"name": "WM attack other team"})

    def exception(self, category=None, company=None, **vals):
        """An open exception raised by the engine (as the superuser)."""
        company = company or self.company
        return self.env["workflow.exception"].create(
            dict(
                {
                    "name": f"WM attack {category or 'stale'} exception",
                    "category_id": (category or self.cat_stale).id,
                    "company_id": company.id,
                    "res_model": "res.partner",
                    "res_id": (self.partner_b if company == self.company_b else self.customer).id,
                },
                **vals,
            )
        )

    def exceptions_keyed(self, like):
        self.env.flush_all()
        self.env.invalidate_all()
        return self.env["workflow.exception"].sudo().search([("dedupe_key", "=like", like)])

    # ------------------------------------------------------------
    # 10. security signals
    # ------------------------------------------------------------

    def test_attack10_user_creates_a_security_signal(self):
        client = self.rpc(self.wf_user)
        before = self.exceptions_keyed("signal:approval_bypass")
        self.assertRefused(
            self.execute,
            client,
            "workflow.exception",
            "create",
            {
                "name": "47 'approval_bypass' security signals in the last hour",
                "category_id": self.cat_signal.id,
                "dedupe_key": "signal:approval_bypass",
                "severity": "critical",
            },
        )
        self.assertEqual(self.exceptions_keyed("signal:approval_bypass"), before)

    def test_attack10_manager_dismisses_a_security_signal(self):
        signal = self.exception(self.cat_signal, dedupe_key="signal:wm_attack", severity="high")
        manager = self.rpc(self.wf_manager)
        self.call_or_none(
            self.execute,
            manager,
            "workflow.exception",
            "write",
            [signal.id],
            {"resolution": "False alarm, closing"},
        )
        with self.door("a manager dismisses"):
            self.assertRefused(
                self.execute, manager, "workflow.exception", "action_dismiss", [signal.id]
            )
        with self.door("outcome"):
            self.assertIn(self.reread(signal).state, ("new", "assigned", "in_progress"))
        self.assertDoorsClosed()
        # an administrator may
        admin = self.rpc(self.wf_admin)
        self.execute(
            admin,
            "workflow.exception",
            "write",
            [signal.id],
            {"resolution": "Pen test of the approval gate, agreed with security"},
        )
        self.execute(admin, "workflow.exception", "action_dismiss", [signal.id])
        signal = self.reread(signal)
        self.assertEqual(signal.state, "dismissed")
        self.assertEqual(signal.resolved_by_id, self.wf_admin)

    # ------------------------------------------------------------
    # 11. engine entry points over RPC
    # ------------------------------------------------------------

    def test_attack11_engine_entry_points_over_rpc(self):
        open_exception = self.exception(dedupe_key="wm-atk-still-open")
        for user in (self.wf_user, self.wf_manager):
            client = self.rpc(user)
            key = f"wm-atk-forged-{user.login}"
            with self.door(f"{user.login}: raise_exception"):
                self.assertRefused(
                    self.execute,
                    client,
                    "workflow.exception",
                    "raise_exception",
                    False,
                    "stale_record",
                    "Forged by hand",
                    res_model="res.partner",
                    res_id=self.customer.id,
                    company_id=self.company.id,
                    dedupe_key=f"{key}-1",
                )
            with self.door(f"{user.login}: raise_exceptions"):
                self.assertRefused(
                    self.execute,
                    client,
                    "workflow.exception",
                    "raise_exceptions",
                    [
                        {
                            "category_code": "stale_record",
                            "name": "Forged by hand",
                            "res_model": "res.partner",
                            "res_id": self.customer.id,
                            "dedupe_key": f"{key}-2",
                        }
                    ],
                )
            with self.door(f"{user.login}: resolve_cleared"):
                self.assertRefused(
                    self.execute,
                    client,
                    "workflow.exception",
                    "resolve_cleared",
                    "stale_record",
                    [],
                )
        with self.door("outcome: nothing raised"):
            self.assertFalse(self.exceptions_keyed("wm-atk-forged-%"))
        with self.door("outcome: nothing resolved"):
            self.assertIn(self.reread(open_exception).state, ("new", "assigned", "in_progress"))
        self.assertDoorsClosed()

    def test_attack11_company_b_exception_never_returned_or_merged(self):
        exception_b = self.exception(company=self.company_b, dedupe_key="wm-atk-b", severity="low")
        self.assertEqual(exception_b.occurrence_count, 1)
        client = self.rpc(self.wf_user)
        returned = []
        for method, args in (
            (
                "raise_exceptions",
                (
                    [
                        {
                            "category_code": "stale_record",
                            "name": "probe",
                            "dedupe_key": "wm-atk-b",
                            "severity": "high",
                        }
                    ],
                ),
            ),
            ("raise_exception", (False, "stale_record", "probe")),
        ):
            kwargs = {}
            if method == "raise_exception":
                kwargs = {
                    "dedupe_key": "wm-atk-b",
                    "severity": "high",
                    "res_model": "res.partner",
                    "res_id": self.customer.id,
                    "company_id": self.company.id,
                }
            result = self.call_or_none(
                self.execute, client, "workflow.exception", method, *args, **kwargs
            )
            returned.append(str(result))
            # ids as a list, or the repr of a recordset "workflow.exception(7,)"
            ids = [int(i) for i in re.findall(r"\d+", str(result))] if result else []
            with self.door(f"{method} returns company B's id"):
                self.assertNotIn(exception_b.id, ids, f"{method} returned {result}")
        with self.door("outcome: company B's exception changed"):
            exception_b = self.reread(exception_b)
            self.assertEqual(
                (exception_b.severity, exception_b.occurrence_count),
                ("low", 1),
                f"calls returned {returned}",
            )
        self.assertDoorsClosed()

    # ------------------------------------------------------------
    # 12. fields set by hand
    # ------------------------------------------------------------

    def test_attack12_manager_writes_engine_fields(self):
        exception = self.exception(dedupe_key="wm-atk-hand")
        before = {
            "team_id": exception.team_id,
            "company_id": exception.company_id,
            "resolved_by_id": exception.resolved_by_id,
            "first_seen": exception.first_seen,
        }
        manager = self.rpc(self.wf_manager)
        forged = {
            "team_id": self.other_team.id,
            "company_id": self.company_b.id,
            "resolved_by_id": self.admin.id,
            "first_seen": "2020-01-01 00:00:00",
        }
        for fname, value in forged.items():
            with self.door(f"write {fname}"):
                self.assertRefused(
                    self.execute,
                    manager,
                    "workflow.exception",
                    "write",
                    [exception.id],
                    {fname: value},
                )
        exception = self.reread(exception)
        for fname, value in before.items():
            with self.door(f"outcome: {fname}"):
                self.assertEqual(exception[fname], value, f"{fname} changed")
        signal = self.exception(self.cat_signal, dedupe_key="signal:wm_attack_drag")
        with self.door("drag a security signal to dismissed"):
            self.assertRefused(
                self.execute,
                manager,
                "workflow.exception",
                "write",
                [signal.id],
                {"state": "dismissed", "resolution": "Nothing to see"},
            )
        with self.door("outcome: security signal"):
            self.assertIn(self.reread(signal).state, ("new", "assigned", "in_progress"))
        self.assertDoorsClosed()
