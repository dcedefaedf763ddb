# Copyright 2026 Workflow Monitor
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

import logging
from typing import NamedTuple

import psycopg2

from odoo import SUPERUSER_ID, _, api, fields, models
from odoo.exceptions import UserError

from odoo.addons.workflow_monitor_base.tools import clock

_logger = logging.getLogger(__name__)

# Memos that no client can reach. MEMO_HELD lives for the transaction (precommit data,
# cleared on commit and rollback): it only avoids logging the same blocked attempt twice.
# The others are kept on the cursor (``cr.cache``) by code that removes its entries in a
# ``finally``: the engine's own continuation, and the approvals an action consumed.
MEMO_HELD = "workflow_approval.held"
MEMO_CONTINUATION = "workflow_approval.continuation"
MEMO_CONSUMED = "workflow_approval.consumed"


class Trigger(NamedTuple):
    """A policy whose condition holds for a record, with what it measured."""

    record: models.BaseModel
    policy: "PolicySpec"  # noqa: F821 - workflow_approval_policy.PolicySpec
    measure: "Measure"
    values: dict  # what the approval covers (``_approval_hash_values``)
    digest: str  # their fingerprint


class Measure(NamedTuple):
    """What a condition measured on a document (``_approval_condition_<code>``)."""

    triggered: bool
    value: float
    amount: float


class WorkflowApprovalGate(models.AbstractModel):
    """The enforcement engine behind every door of a gated model.

    Three questions, asked by the doors of :class:`workflow.approval.mixin`:

    - :meth:`_hold` (the buttons): which records must wait? It creates the requests (or
      approves low risk at once) and never raises, so the requests survive.
    - :meth:`_pass` (the transition itself: write of the final state, a lower door): is
      an unused approval there for exactly these values? It consumes it, or refuses.
    - :meth:`_check_locked` (a change of a done document): do the new values still have
      an approval? Otherwise the change is refused.

    Independent of context, user and sudo: policies, conditions and requests are read as
    the engine, only the decision goes back to the caller."""

    _name = "workflow.approval.gate"
    _description = "Approval Gate"

    # ------------------------------------------------------------
    # THE THREE QUESTIONS
    # ------------------------------------------------------------

    @api.model
    def _hold(self, records, door):
        """(held records, requests they wait for) for a button of ``records``."""
        triggers, by_key = self._match(records)
        Request = self.env["workflow.approval.request"].sudo()
        if not triggers:
            return records.browse(), Request
        now = clock.now(self.env)
        held_ids, waiting, outdated, blocked = set(), Request, Request, Request
        to_create = []
        for trigger in triggers:
            record, policy = trigger.record, trigger.policy
            requests = by_key.get((record.id, policy.id), Request)
            if requests.filtered(lambda r, t=trigger: r._is_usable(t.digest)):
                continue
            same = requests.filtered(
                lambda r, t=trigger: r.state == "pending" and r.values_hash == t.digest
            )
            if same:
                held_ids.add(record.id)
                waiting |= same[0]
                blocked |= same[0]
                continue
            outdated |= requests.filtered(lambda r: r.state == "pending")
            vals = self._request_vals(trigger, now)
            if vals["state"] == "pending":
                held_ids.add(record.id)
            to_create.append(vals)
        outdated._cancel_outdated(now)
        created = Request.create(to_create) if to_create else Request
        auto = created.filtered("auto_approved")
        new_pending = created - auto
        auto._log_approval_events("auto_approved")
        for policy in new_pending.policy_id:
            requests = new_pending.filtered(lambda r, p=policy: r.policy_id == p)
            requests._enter_tier(policy.tier_ids[:1], now)
        new_pending._log_approval_events("requested")
        if blocked:
            self._log_blocked(records.browse(sorted(set(blocked.mapped("res_id")))), blocked, door)
        held = records.browse(sorted(held_ids))
        memo = self.env.cr.precommit.data.setdefault(MEMO_HELD, set())
        memo.update((held._name, rid) for rid in held.ids)
        return held, waiting | new_pending

    @api.model
    def _pass(self, records, door):
        """The gated transition of ``records`` happens now: consume the approval of each
        triggered policy (an approved, unused request for the current values, or an
        auto-approval), or refuse the whole transition with a UserError."""
        triggers, by_key = self._match(records)
        if not triggers:
            return
        Request = self.env["workflow.approval.request"].sudo()
        now = clock.now(self.env)
        consume, auto_vals, refused = Request, [], []
        for trigger in triggers:
            requests = by_key.get((trigger.record.id, trigger.policy.id), Request)
            usable = requests.filtered(lambda r, t=trigger: r._is_usable(t.digest))
            if usable:
                consume |= usable[0]
                continue
            vals = self._request_vals(trigger, now)
            if vals["state"] == "approved":
                auto_vals.append(vals)
            else:
                refused.append((trigger, requests.filtered(lambda r: r.state == "pending")))
        if refused:
            self._refuse(refused, door)
        created = Request.create(auto_vals) if auto_vals else Request
        created._log_approval_events("auto_approved")
        consumed = consume | created
        consumed.write({"consumed_at": now})
        consumed._log_approval_events("consumed")
        self.env.cr.cache.setdefault(MEMO_CONSUMED, set()).update(consumed.ids)

    @api.model
    def _check_locked(self, records, door):
        """``records`` are done and their approved values just changed: refuse unless an
        approval covers the new values (approved for them, or left by the action)."""
        triggers, by_key = self._match(records)
        Request = self.env["workflow.approval.request"].sudo()
        refused = []
        for trigger in triggers:
            requests = by_key.get((trigger.record.id, trigger.policy.id), Request)
            if not requests.filtered(
                lambda r, t=trigger: r.state == "approved"
                and t.digest in (r.values_hash, r.consumed_hash)
            ):
                refused.append((trigger, Request))
        if refused:
            self._refuse(refused, door, locked=True)

    # ------------------------------------------------------------
    # MATCHING
    # ------------------------------------------------------------

    @api.model
    def _match(self, records):
        """([Trigger], {(res_id, policy id): requests}) for the active policies of the
        model of ``records``: which conditions hold, and the live requests."""
        policies = self.env["workflow.approval.policy"]._policy_specs(records._name)
        if not policies or not records:
            return [], {}
        # sudo: conditions read totals, costs and customer credit the user may not see;
        # only the decision (held or not) goes back to the caller.
        records_su = records.sudo()
        fingerprints, triggers = {}, []
        for policy in policies:
            for record in records_su._approval_in_scope(policy):
                measure = record._approval_measure(policy)
                if not measure.triggered:
                    continue
                if record.id not in fingerprints:
                    fingerprints[record.id] = record._approval_values()
                values, digest = fingerprints[record.id]
                triggers.append(
                    Trigger(record.with_env(records.env), policy, measure, values, digest)
                )
        if not triggers:
            return [], {}
        existing = (
            self.env["workflow.approval.request"]
            .sudo()
            .search(
                [
                    ("res_model", "=", records._name),
                    ("res_id", "in", list(fingerprints)),
                    ("policy_id", "in", [policy.id for policy in policies]),
                    ("state", "in", ("pending", "approved")),
                ],
                order="id desc",
            )
        )
        by_key = {}
        for request in existing:
            key = (request.res_id, request.policy_id.id)
            by_key[key] = by_key.get(key, request.browse()) | request
        return triggers, by_key

    @api.model
    def _request_vals(self, trigger, now):
        record, policy, measure = trigger.record.sudo(), trigger.policy, trigger.measure
        auto = bool(policy.auto_approve_below) and measure.amount < policy.auto_approve_below
        requester = record._approval_requester()
        return {
            "policy_id": policy.id,
            "res_model": record._name,
            "res_id": record.id,
            "res_name": record.display_name,
            "company_id": record._approval_company().id,
            "requester_id": requester.id,
            "author_ids": [fields.Command.set((record._approval_authors() | requester).ids)],
            "state": "approved" if auto else "pending",
            "auto_approved": auto,
            "decided_at": now if auto else False,
            "requested_at": now,
            "amount": measure.amount,
            "condition_value": measure.value,
            "values_hash": trigger.digest,
            "values_json": trigger.values,
            "context_html": record._approval_context_html(policy, measure),
            "execution_state": "done" if auto else "none",
        }

    # ------------------------------------------------------------
    # REFUSALS AND THEIR TRACE
    # ------------------------------------------------------------

    @api.model
    def _refuse(self, refused, door, locked=False):
        """Log the refused transitions outside this transaction (the UserError rolls it
        back), then raise a UserError that says which approval is needed."""
        held = refused[0][0].record.browse(sorted({t.record.id for t, _r in refused}))
        pending = self.env["workflow.approval.request"].sudo()
        for _trigger, requests in refused:
            pending |= requests
        self._log_blocked(held, pending, door, outside=True)
        trigger = refused[0][0]
        record = trigger.record
        if locked:
            message = _(
                "%(document)s is already %(action)sed with approved values: this change "
                "needs a new approval (policy: %(policy)s). Cancel or reset the document, "
                "make the change and use the %(action)s button again: it asks for the "
                "approval.",
                document=record.display_name,
                policy=trigger.policy.name,
                action=record._approval_action,
            )
        else:
            message = _(
                "%(documents)s must be approved before they can be %(action)sed "
                "(policy: %(policy)s; requests: %(requests)s). Use the %(action)s button: "
                "it asks for the approval.",
                documents=", ".join(held.mapped("display_name")[:10]),
                policy=trigger.policy.name,
                requests=", ".join(pending.mapped("name")[:10]) or _("none yet"),
                action=record._approval_action,
            )
        raise UserError(message)

    @api.model
    def _log_blocked(self, held, requests, door, outside=False):
        """A held attempt on a record that already waits (or a refused transition): an
        ``approval`` event plus an ``approval_bypass`` security signal. Not counted twice
        in one transaction, nor for the engine's own continuation."""
        memo = self.env.cr.precommit.data.get(MEMO_HELD, set())
        continuing = self.env.cr.cache.get(MEMO_CONTINUATION, set())
        by_record = {}
        for request in requests:
            by_record.setdefault(request.res_id, request)
        events, signals = [], []
        for record in held:
            key = (record._name, record.id)
            if not outside and (key in memo or key in continuing):
                continue
            request = by_record.get(record.id)
            events.append(
                {
                    "res_model": record._name,
                    "res_id": record.id,
                    "company_id": record.sudo()._approval_company().id,
                    "payload": {
                        "action": "blocked",
                        "door": door,
                        "request_id": request.id if request else False,
                        "request": request.name if request else False,
                        "context_keys": sorted(str(k) for k in self.env.context)[:20],
                    },
                }
            )
            # the engine's own continuation and the superuser's scheduled jobs (e.g. the
            # auto-post of a waiting bill) are blocked and logged, but are no bypass attempt
            if key not in continuing and self.env.uid != SUPERUSER_ID:
                message = _(
                    "%(user)s attempted to %(action)s %(document)s without its approval "
                    "(%(request)s, door: %(door)s).",
                    user=self.env.user.name,
                    action=record._approval_action,
                    document=record.display_name,
                    request=request.name if request else "-",
                    door=door,
                )
                signals.append(("approval_bypass", message, record._name, record.id))
        if not events:
            return
        if outside:
            self._log_outside(events, signals)
            return
        self.env["workflow.event"]._log_events(
            [dict(e, event_type="approval", occurred_at=clock.now(self.env)) for e in events]
        )
        for signal in signals:
            self.env["workflow.event"]._log_security_signal(*signal)

    @api.model
    def _log_outside(self, events, signals):
        """Write events and security signals from a separate cursor: they must survive
        the UserError that refuses the attempt. The user is named in the payload too: if
        the user (or company) row is not committed yet, the row is written without it."""
        uid = self.env.uid
        events = [dict(e, payload=dict(e["payload"], uid=uid)) for e in events]
        for strict in (True, False):
            try:
                with self.env.registry.cursor() as cr:
                    env = api.Environment(cr, SUPERUSER_ID, {})
                    env["workflow.event"]._log_events(
                        [
                            dict(
                                e,
                                event_type="approval",
                                source="user",
                                user_id=uid if strict else False,
                                company_id=e.get("company_id") if strict else False,
                            )
                            for e in events
                        ]
                    )
                    for signal, message, res_model, res_id in signals:
                        env["workflow.event"]._log_security_signal(
                            signal, message, res_model, res_id
                        )
                return
            except psycopg2.IntegrityError:
                continue
            except Exception:  # noqa: BLE001 - logging must never hide the refusal itself
                _logger.exception("Could not log the refused approval attempt")
                return

    @api.model
    def _notification(self, held, requests):
        names = ", ".join(held.mapped("display_name")[:10])
        request_names = ", ".join(requests.mapped("name")[:10])
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "title": _("Waiting for approval"),
                "message": _(
                    "%(documents)s must be approved first (%(requests)s). The approvers "
                    "were notified; the action runs by itself once approved.",
                    documents=names,
                    requests=request_names or "-",
                ),
                "type": "warning",
                "sticky": False,
                "next": {"type": "ir.actions.client", "tag": "soft_reload"},
            },
        }
