# Copyright 2026 Workflow Monitor
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

"""The outbox and the inbox: the message model itself (fields, states, queueing,
replay, retention).

The same model is extended, one responsibility per file:

- ``workflow_integration_message_delivery.py``: claim, lease, send, retry (the delivery
  job, ``_cron_deliver``);
- ``workflow_integration_message_inbox.py``: store, verify, dedupe, order and dispatch
  inbound webhooks (``_inbound_receive``, ``_process_inbound``, ``_cron_retry_inbound``);
- ``workflow_integration_message_handlers.py``: the table of inbound message types and
  their handlers.
"""

import json
import logging
import random
import uuid
from datetime import timedelta

from odoo import SUPERUSER_ID, _, api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL

_logger = logging.getLogger(__name__)

DIRECTIONS = [("out", "Outbound"), ("in", "Inbound")]
MESSAGE_STATES = [
    ("pending", "Pending"),
    ("sending", "Sending"),
    ("delivered", "Delivered"),
    ("failed", "Failed (will retry)"),
    ("dead", "Dead Letter"),
    ("received", "Received"),
    ("processed", "Processed"),
    ("duplicate", "Duplicate"),
    ("stale", "Stale (out of order)"),
    ("rejected", "Rejected"),
]
# Standard Webhooks retry schedule: delay before attempt n+1 (seconds), then 24 h
RETRY_SCHEDULE = (5, 300, 1800, 7200, 18000, 36000, 86400)
RETRY_JITTER = 0.2  # +/- 20 %
# states whose messages the retention job deletes once old enough
PURGED_STATES = ("delivered", "processed", "duplicate", "stale", "rejected")
MAX_ERROR = 2000  # characters of an error text stored on a message
GROUP_ADMIN = "workflow_monitor_base.group_workflow_admin"
GROUP_MANAGER = "workflow_monitor_base.group_workflow_manager"


def retry_delay(attempts, rng=random):
    """Seconds before the next attempt after ``attempts`` failed ones (with jitter)."""
    base = RETRY_SCHEDULE[min(attempts, len(RETRY_SCHEDULE)) - 1] if attempts else 0
    return base * (1 + rng.uniform(-RETRY_JITTER, RETRY_JITTER))


def message_body(payload):
    """The exact bytes sent (and signed) for a payload: compact JSON, UTF-8."""
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()


def new_webhook_id():
    return "msg_" + uuid.uuid4().hex


class WorkflowIntegrationMessage(models.Model):
    """The outbox and the inbox: every webhook sent or received, with its delivery
    state. Outbound messages are written in the business transaction and delivered
    after commit by the delivery scheduled action."""

    _name = "workflow.integration.message"
    _description = "Integration Message"
    _inherit = ["workflow.document.link.mixin"]
    _order = "id desc"
    _rec_name = "webhook_id"

    direction = fields.Selection(DIRECTIONS, required=True, default="out", index=True)
    integration_id = fields.Many2one(
        "workflow.integration", required=True, index=True, ondelete="cascade"
    )
    company_id = fields.Many2one(related="integration_id.company_id", store=True, index=True)
    route_id = fields.Many2one(
        "workflow.integration.route", index="btree_not_null", ondelete="set null"
    )
    webhook_id = fields.Char(
        string="Webhook ID",
        required=True,
        copy=False,
        default=lambda self: new_webhook_id(),
        help="The webhook-id header: unique per integration and direction, kept on replay "
        "so receivers can drop duplicates.",
    )
    event_type = fields.Char(
        index=True,
        help="Kind of message (workflow event type, ping, inbound type such as carrier.status).",
    )
    payload = fields.Json()
    payload_text = fields.Text(string="Payload (JSON)", compute="_compute_payload_text")
    raw_body = fields.Text(help="First bytes of an inbound body that could not be parsed.")
    state = fields.Selection(MESSAGE_STATES, required=True, default="pending", index=True)
    attempts = fields.Integer(readonly=True, default=0)
    next_attempt_at = fields.Datetime(default=fields.Datetime.now)
    lease_until = fields.Datetime(
        readonly=True, help="A message still 'sending' after this moment is sent again."
    )
    last_attempt_at = fields.Datetime(readonly=True)
    last_http_status = fields.Integer(string="HTTP Status", readonly=True)
    last_error = fields.Text(readonly=True)
    latency_ms = fields.Float(string="Latency (ms)", readonly=True, aggregator="avg")
    delivered_at = fields.Datetime(readonly=True)
    processed_at = fields.Datetime(readonly=True)
    correlation_id = fields.Char(index="btree_not_null")
    external_execution_id = fields.Char(
        index="btree_not_null", help="Execution id in the other system (e.g. n8n)."
    )
    ordering_key = fields.Char(
        help="Inbound updates with the same key are applied in occurred_at order; older "
        "ones are stored as stale."
    )
    occurred_at = fields.Datetime(help="When the change happened in the sending system.")
    res_model = fields.Char(index="btree_not_null")

    @api.private
    def init(self):
        cr = self.env.cr
        # webhook-id is unique per integration and direction; duplicates and rejected
        # requests are stored too (every request is kept) but do not take the id
        cr.execute(
            """CREATE UNIQUE INDEX IF NOT EXISTS workflow_integration_message_webhook_uniq
                   ON workflow_integration_message (integration_id, direction, webhook_id)
                WHERE state NOT IN ('duplicate', 'rejected')"""
        )
        # the delivery queue: due outbound messages in order
        cr.execute(
            """CREATE INDEX IF NOT EXISTS workflow_integration_message_queue_idx
                   ON workflow_integration_message (next_attempt_at, id)
                WHERE direction = 'out' AND state IN ('pending', 'failed')"""
        )
        # order per document: the delivery claims a message only when no earlier one
        # of its integration and document is unsettled
        cr.execute(
            """CREATE INDEX IF NOT EXISTS workflow_integration_message_document_queue_idx
                   ON workflow_integration_message (integration_id, res_model, res_id, id)
                WHERE direction = 'out' AND state IN ('pending', 'failed', 'sending')
                  AND res_id IS NOT NULL"""
        )
        cr.execute(
            """CREATE INDEX IF NOT EXISTS workflow_integration_message_lease_idx
                   ON workflow_integration_message (lease_until) WHERE state = 'sending'"""
        )
        # health figures: recent attempts per integration
        cr.execute(
            """CREATE INDEX IF NOT EXISTS workflow_integration_message_health_idx
                   ON workflow_integration_message (integration_id, last_attempt_at)
                WHERE direction = 'out'"""
        )
        cr.execute(
            """CREATE INDEX IF NOT EXISTS workflow_integration_message_order_idx
                   ON workflow_integration_message (integration_id, ordering_key, occurred_at)
                WHERE direction = 'in' AND state = 'processed' AND ordering_key IS NOT NULL"""
        )

    # ------------------------------------------------------------
    # COMPUTES
    # ------------------------------------------------------------

    @api.depends("payload")
    def _compute_payload_text(self):
        for message in self:
            message.payload_text = (
                json.dumps(message.payload, indent=2, sort_keys=True, default=str)
                if message.payload is not None
                else False
            )

    def _compute_display_name(self):
        for message in self:
            message.display_name = f"{message.event_type or '-'} {message.webhook_id}"

    # ------------------------------------------------------------
    # CRUD
    # ------------------------------------------------------------

    @api.model_create_multi
    def create(self, vals_list):
        messages = super().create(vals_list)
        if any(vals.get("direction", "out") == "out" for vals in vals_list):
            self._schedule_delivery_trigger()
        return messages

    @api.model
    @api.private
    def _queue_outbound(self, vals_list):
        """Write outbound messages in the current (business) transaction: they exist
        only if it commits, and the delivery job is triggered right after the commit."""
        if not vals_list:
            return self.browse()
        now = fields.Datetime.now()
        for vals in vals_list:
            vals.setdefault("direction", "out")
            vals.setdefault("state", "pending")
            vals.setdefault("next_attempt_at", now)
        messages = self.create(vals_list)
        # may run at pre-commit (deferred capture): write everything before COMMIT
        messages.flush_recordset()
        return messages

    @api.model
    @api.private
    def _schedule_delivery_trigger(self):
        """Trigger the delivery job once, after the current transaction commits."""
        cr = self.env.cr
        if cr.postcommit.data.get("workflow_webhook_trigger"):
            return
        cr.postcommit.data["workflow_webhook_trigger"] = True
        registry = self.env.registry

        @cr.postcommit.add
        def trigger_delivery():
            try:
                with registry.cursor() as new_cr:
                    env = api.Environment(new_cr, SUPERUSER_ID, {})
                    cron = env.ref(
                        "workflow_monitor_integrations.ir_cron_webhook_delivery",
                        raise_if_not_found=False,
                    )
                    if cron:
                        cron._trigger()
            except Exception:
                # the messages are committed: the job's own schedule delivers them
                _logger.exception("Could not trigger the webhook delivery job")

    # ------------------------------------------------------------
    # ACTIONS
    # ------------------------------------------------------------

    def _check_workflow_group(self, group):
        self.env["workflow.integration"]._check_workflow_group(group)

    def action_replay(self):
        """Send again (outbound) or process again (inbound). Outbound messages keep
        their webhook-id, so receivers can tell a replay from a new message. Inbound
        ones go through the same checks as when they arrived."""
        self._check_workflow_group(GROUP_ADMIN)
        outbound = self.filtered(lambda m: m.direction == "out" and m.state != "sending")
        inbound = self.filtered(
            lambda m: m.direction == "in" and m.state in ("failed", "received", "dead", "stale")
        )
        if not outbound and not inbound:
            raise UserError(_("Nothing to replay: messages being sent cannot be replayed."))
        if outbound:
            outbound.write(
                {
                    "state": "pending",
                    "attempts": 0,
                    "next_attempt_at": fields.Datetime.now(),
                    "lease_until": False,
                    "last_error": False,
                }
            )
            self._schedule_delivery_trigger()
        if inbound:
            inbound.write({"state": "received", "attempts": 0})
            inbound._process_inbound()
        return True

    def action_open_document(self):
        self._check_workflow_group(GROUP_MANAGER)
        return super().action_open_document()

    # ------------------------------------------------------------
    # RETENTION
    # ------------------------------------------------------------

    @api.model
    @api.private
    def _purge_old_messages(self, batch_size=10000):
        """Delete settled messages older than the retention setting, and the refusal
        counters of the same age."""
        days = int(
            self.env["ir.config_parameter"]
            .sudo()
            .get_param("workflow_monitor.integration_message_retention_days", 30)
        )
        if days <= 0:
            return 0
        self.flush_model()
        self.env.cr.execute(
            SQL(
                """DELETE FROM workflow_integration_message WHERE id IN (
                       SELECT id FROM workflow_integration_message
                        WHERE state IN %s AND create_date < %s
                        LIMIT %s FOR UPDATE SKIP LOCKED)""",
                PURGED_STATES,
                fields.Datetime.now() - timedelta(days=days),
                batch_size,
            )
        )
        purged = self.env.cr.rowcount
        self.invalidate_model()
        self.env["workflow.integration.refusal"]._purge_old(days)
        return purged
