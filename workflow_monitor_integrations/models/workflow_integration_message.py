import json
import logging
import random
import threading
import time
import uuid
from datetime import timedelta

import psycopg2
import requests

from odoo import SUPERUSER_ID, _, api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL

from odoo.addons.workflow_monitor_base.tools import bulk_update, commit_chunk
from odoo.addons.workflow_monitor_base.tools.context import server_context

from ..tools import signature

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
CIRCUIT_MAX_COOLDOWN = 3600
DEFAULT_LEASE_SECONDS = 300
INBOUND_RETRY_STATES = ("received", "failed")
MAX_ERROR = 2000
GROUP_ADMIN = "workflow_monitor_base.group_workflow_admin"
GROUP_MANAGER = "workflow_monitor_base.group_workflow_manager"
PG_INT_MAX = 2**31 - 1
# event types a webhook may log: the others are written by the engine only (SLA,
# exceptions, approvals, configuration audit)
INBOUND_EVENT_TYPES = ("stage", "integration", "custom")
# categories raised by the engine only (DESIGN.md section 10): never from a webhook
ENGINE_CATEGORIES = (
    "sla_breach",
    "stale_record",
    "automation_failure",
    "cron_failure",
    "anomaly",
    "security_signal",
)

# keep-alive HTTP sessions per cron thread and integration
_sessions = threading.local()


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
    # DELIVERY
    # ------------------------------------------------------------

    @api.model
    def _lease_seconds(self):
        return int(
            self.env["ir.config_parameter"]
            .sudo()
            .get_param("workflow_monitor.webhook_lease_seconds", DEFAULT_LEASE_SECONDS)
        )

    @api.model
    @api.private
    def _reclaim_expired_leases(self, now):
        """Messages left 'sending' by a crashed worker go back to 'pending'."""
        self.env.cr.execute(
            SQL(
                """UPDATE workflow_integration_message
                      SET state = 'pending', lease_until = NULL, next_attempt_at = %(now)s,
                          last_error = 'Lease expired while sending (worker stopped?): sent again.'
                    WHERE id IN (SELECT id FROM workflow_integration_message
                                  WHERE state = 'sending' AND lease_until < %(now)s
                                    FOR UPDATE SKIP LOCKED)""",
                now=now,
            )
        )
        return self.env.cr.rowcount

    @api.model
    def _delivery_integrations(self, now):
        """{id: settings} of active integrations, split into open for delivery, in probe
        (circuit half-open: one message) and blocked (paused or circuit open)."""
        self.env["workflow.integration"].flush_model()
        self.env.cr.execute(
            """SELECT id, url, signing_secret, timeout_seconds, max_attempts,
                      circuit_threshold, circuit_cooldown_seconds, circuit_open_until,
                      COALESCE(circuit_trips, 0) AS circuit_trips,
                      COALESCE(consecutive_failures, 0) AS consecutive_failures,
                      paused, name, company_id
                 FROM workflow_integration WHERE active"""
        )
        open_, probing, blocked = {}, {}, {}
        for row in self.env.cr.dictfetchall():
            if row["paused"]:
                blocked[row["id"]] = row
            elif row["consecutive_failures"] >= row["circuit_threshold"]:
                if row["circuit_open_until"] and row["circuit_open_until"] > now:
                    blocked[row["id"]] = row
                else:
                    probing[row["id"]] = row
            else:
                open_[row["id"]] = row
        return open_, probing, blocked

    @api.model
    @api.private
    def _claim(self, integration_ids, limit, now, lease_until):
        """Take up to ``limit`` due messages of these integrations, skipping rows other
        workers hold, and mark them 'sending' under a lease."""
        if not integration_ids or limit <= 0:
            return []
        self.env.cr.execute(
            SQL(
                """WITH due AS (
                       SELECT id FROM workflow_integration_message
                        WHERE direction = 'out' AND state IN ('pending', 'failed')
                          AND next_attempt_at <= %(now)s
                          AND integration_id = ANY(%(ids)s)
                     ORDER BY next_attempt_at, id
                        LIMIT %(limit)s
                          FOR UPDATE SKIP LOCKED)
                   UPDATE workflow_integration_message m
                      SET state = 'sending', lease_until = %(lease)s
                     FROM due WHERE m.id = due.id
                RETURNING m.id, m.integration_id, m.route_id, m.webhook_id, m.payload,
                          COALESCE(m.attempts, 0), m.state""",
                now=now,
                ids=list(integration_ids),
                limit=limit,
                lease=lease_until,
            )
        )
        return sorted(self.env.cr.fetchall())

    @api.model
    def _session(self, integration_id, url):
        """A keep-alive session per cron thread and endpoint. Proxy settings of the
        environment (HTTP(S)_PROXY, NO_PROXY) are resolved once for the endpoint instead
        of on every request (requests rescans os.environ for each call otherwise)."""
        cache = getattr(_sessions, "by_integration", None)
        if cache is None:
            cache = _sessions.by_integration = {}
        session = cache.get((integration_id, url))
        if session is None:
            session = cache[(integration_id, url)] = requests.Session()
            session.headers["User-Agent"] = "Odoo-Workflow-Monitor-Webhooks/1.0"
            session.proxies = requests.utils.get_environ_proxies(url)
            session.trust_env = False
        return session

    @api.model
    @api.private
    def _post(self, integration, webhook_id, body):
        """POST one signed body; returns (HTTP status or None, error or None, ms)."""
        headers = signature.sign_headers(
            integration["signing_secret"], webhook_id, body, key=integration.get("_key")
        )
        headers["Content-Type"] = "application/json"
        start = time.perf_counter()
        status, error = None, None
        try:
            response = self._session(integration["id"], integration["url"]).post(
                integration["url"],
                data=body,
                headers=headers,
                timeout=integration["timeout_seconds"],
                allow_redirects=False,
            )
            status = response.status_code
            if not 200 <= status < 300:
                error = f"HTTP {status}: {response.text[:500]}"
        except requests.Timeout:
            error = f"Timeout: no answer within {integration['timeout_seconds']} s"
        except requests.RequestException as exc:
            error = f"{type(exc).__name__}: {exc}"[:MAX_ERROR]
        return status, error, (time.perf_counter() - start) * 1000.0

    @api.model
    @api.private
    def _cron_deliver(self, batch_size=200, time_budget=50):
        """Deliver due outbound messages, batch after batch, within ``time_budget``
        seconds (the cron runner stops after 10 progress batches, so the loop is here).

        Each batch is claimed with FOR UPDATE SKIP LOCKED and marked 'sending' under a
        lease before anything is sent: two workers never send the same message, and a
        message left 'sending' by a crashed worker is sent again once the lease expires.
        """
        started = time.monotonic()
        done = 0
        commit_chunk(self.env)  # start each batch in a fresh transaction (see _read_committed)
        self._read_committed()
        reclaimed = self._reclaim_expired_leases(fields.Datetime.now())
        if reclaimed:
            _logger.warning("%s webhook message(s) reclaimed after their lease expired", reclaimed)
        touched = set()
        while True:
            sent = self._deliver_batch(batch_size, started, time_budget, touched=touched)
            done += sent
            commit_chunk(self.env)
            if not sent or time.monotonic() - started >= time_budget:
                break
        self._read_committed()
        if touched:
            self.env["workflow.integration"].browse(list(touched))._refresh_health()
        remaining = self._schedule_next_run()
        self.env["ir.cron"]._notify_progress(done=done, remaining=remaining)
        return done

    @api.model
    def _read_committed(self):
        """Run the coming transaction in READ COMMITTED when it has not started yet
        (the cron commits between batches). Odoo's default REPEATABLE READ would fail
        with a serialization error whenever another worker commits a claimed row or the
        integration's counters after our snapshot; READ COMMITTED with SKIP LOCKED is
        the queue pattern PostgreSQL documents. Inside an open transaction (tests,
        callers mid-transaction) nothing changes."""
        connection = self.env.cr._cnx
        if connection.info.transaction_status == psycopg2.extensions.TRANSACTION_STATUS_IDLE:
            self.env.cr.execute("SET TRANSACTION ISOLATION LEVEL READ COMMITTED")
            return True
        return False

    @api.model
    @api.private
    def _deliver_batch(self, batch_size, started=None, time_budget=None, touched=None):
        """Claim and send one batch; the ids of the integrations it touched are added to
        ``touched`` (a set) when given, for one health refresh at the end of the job."""
        self._read_committed()
        now = fields.Datetime.now()
        lease_seconds = self._lease_seconds()
        lease_until = now + timedelta(seconds=lease_seconds)
        open_, probing, _blocked = self._delivery_integrations(now)
        claimed = self._claim(open_, batch_size, now, lease_until)
        for integration_id in probing:  # half-open circuit: a single probe each
            claimed += self._claim([integration_id], 1, now, lease_until)
        if not claimed:
            return 0
        settings = {**open_, **probing}
        claim_clock = time.monotonic()
        results = []  # (id, state, attempts, attempt_at, status, error, ms, delivered_at, next_at)
        released = []
        failures = {iid: settings[iid]["consecutive_failures"] for iid in settings}
        touched_now = {}
        dead, gone_routes = [], {}
        for msg_id, integration_id, route_id, webhook_id, payload, attempts, _state in claimed:
            integration = settings[integration_id]
            # a probe (half-open circuit) starts above the threshold: only failures of
            # this batch can trip the circuit
            tripped = (
                integration_id in touched_now
                and failures[integration_id] >= integration["circuit_threshold"]
            )
            # stop early: circuit opened in this batch, or the lease is about to expire
            if tripped or time.monotonic() - claim_clock > lease_seconds * 0.8:
                released.append(msg_id)
                continue
            if not integration["url"]:
                status, error, ms = None, "The integration has no endpoint URL.", 0.0
            else:
                if "_key" not in integration:
                    integration["_key"] = signature.secret_key(integration["signing_secret"])
                status, error, ms = self._post(integration, webhook_id, message_body(payload))
            attempt_at = fields.Datetime.now()
            attempts += 1
            stats = touched_now.setdefault(integration_id, {"success": None, "failure": None})
            if error is None:
                results.append(
                    (msg_id, "delivered", attempts, attempt_at, status, None, ms, attempt_at, None)
                )
                failures[integration_id] = 0
                stats["success"] = attempt_at
            else:
                failures[integration_id] += 1
                stats["failure"] = (attempt_at, error)
                if status == 410:
                    state, next_at = "dead", None
                    if route_id:
                        gone_routes[route_id] = (integration_id, msg_id)
                elif attempts >= integration["max_attempts"]:
                    state, next_at = "dead", None
                else:
                    state = "failed"
                    next_at = attempt_at + timedelta(seconds=retry_delay(attempts))
                results.append(
                    (
                        msg_id,
                        state,
                        attempts,
                        attempt_at,
                        status,
                        error[:MAX_ERROR],
                        ms,
                        None,
                        next_at,
                    )
                )
                if state == "dead":
                    dead.append((msg_id, integration_id, route_id, status, error))
        self._store_results(results, released)
        self._update_integrations(settings, touched_now, failures, probing)
        if gone_routes:
            self._disable_gone_routes(gone_routes)
        if dead:
            self._raise_dead_letters(dead, settings)
        # health: at once when something failed (down must show quickly), otherwise
        # once at the end of the job's call (see _cron_deliver)
        failing = [iid for iid, stats in touched_now.items() if stats["failure"]]
        if failing:
            self.env["workflow.integration"].browse(failing)._refresh_health()
        if touched is not None:
            touched.update(touched_now)
        return len(results)

    @api.model
    @api.private
    def _store_results(self, results, released):
        cr = self.env.cr
        now = fields.Datetime.now()
        if results:
            bulk_update(
                cr,
                self._table,
                (
                    ("id", "int4"),
                    ("state", "varchar"),
                    ("attempts", "int4"),
                    ("last_attempt_at", "timestamp"),
                    ("last_http_status", "int4"),
                    ("last_error", "text"),
                    ("latency_ms", "float8"),
                    ("delivered_at", "timestamp"),
                    ("next_attempt_at", "timestamp"),
                    ("lease_until", "timestamp"),
                    ("write_date", "timestamp"),
                    ("write_uid", "int4"),
                ),
                [row + (None, now, self.env.uid) for row in results],
            )
        if released:
            # not sent (circuit opened or lease nearly over): back to the queue untouched
            cr.execute(
                SQL(
                    """UPDATE workflow_integration_message
                          SET state = CASE WHEN attempts > 0 THEN 'failed' ELSE 'pending' END,
                              lease_until = NULL
                        WHERE id = ANY(%s) AND state = 'sending'""",
                    released,
                )
            )
        self.invalidate_model()

    @api.model
    @api.private
    def _update_integrations(self, settings, touched, failures, probing):
        """Consecutive failures, last success/failure and the circuit breaker, in one
        UPDATE for the integrations of the batch."""
        if not touched:
            return
        now = fields.Datetime.now()
        rows = []
        for integration_id, stats in touched.items():
            integration = settings[integration_id]
            count = failures[integration_id]
            trips, open_until = integration["circuit_trips"], integration["circuit_open_until"]
            if count == 0:
                trips, open_until = 0, None
            elif count >= integration["circuit_threshold"]:
                # opened in this batch, or a failed probe: pause, doubling the cool-down
                cooldown = min(
                    integration["circuit_cooldown_seconds"] * (2**trips), CIRCUIT_MAX_COOLDOWN
                )
                trips += 1
                open_until = now + timedelta(seconds=cooldown)
            failure = stats["failure"]
            rows.append(
                (
                    integration_id,
                    count,
                    stats["success"],
                    failure[0] if failure else None,
                    failure[1][:250] if failure else None,
                    trips,
                    open_until,
                )
            )
        self.env.cr.execute(
            SQL(
                """UPDATE workflow_integration i
                      SET consecutive_failures = v.failures,
                          last_success_at = COALESCE(v.success, i.last_success_at),
                          last_failure_at = COALESCE(v.failure_at, i.last_failure_at),
                          last_error = COALESCE(v.error, i.last_error),
                          circuit_trips = v.trips,
                          circuit_open_until = v.open_until
                     FROM unnest(%s::int[], %s::int[], %s::timestamp[], %s::timestamp[],
                                 %s::varchar[], %s::int[], %s::timestamp[])
                          AS v(id, failures, success, failure_at, error, trips, open_until)
                    WHERE i.id = v.id""",
                *[list(col) for col in zip(*rows)],
            )
        )
        self.env["workflow.integration"].invalidate_model()

    @api.model
    @api.private
    def _disable_gone_routes(self, gone_routes):
        """410 Gone: the service asks us to stop. Deactivate the route, turn what it still
        queues into dead letters and tell the technical team once per route."""
        routes = self.env["workflow.integration.route"].sudo().browse(list(gone_routes))
        routes.write({"active": False})
        self.flush_model()
        self.env.cr.execute(
            SQL(
                """UPDATE workflow_integration_message
                      SET state = 'dead',
                          last_error = 'Route disabled: the service answered 410 Gone.'
                    WHERE route_id = ANY(%s) AND direction = 'out'
                      AND state IN ('pending', 'failed')""",
                routes.ids,
            )
        )
        self.invalidate_model()
        self.env["workflow.exception"].sudo().raise_exceptions(
            [
                {
                    "category_code": "integration_failure",
                    "record": route.integration_id,
                    "severity": "high",
                    "failure_kind": "structural",
                    "dedupe_key": f"integration_route_gone:{route.id}",
                    "name": _(
                        "%(integration)s answered 410 Gone: route %(route)s disabled",
                        integration=route.integration_id.name,
                        route=route.name,
                    ),
                    "description": _(
                        "The service no longer accepts these webhooks. Check its endpoint, "
                        "reactivate the route and replay the dead letters if it was a mistake."
                    ),
                    "company_id": route.integration_id.company_id.id or None,
                }
                for route in routes
            ]
        )

    @api.model
    @api.private
    def _raise_dead_letters(self, dead, settings):
        """One ``integration_failure`` per integration, counting its dead letters."""
        self.env["workflow.exception"].sudo().raise_exceptions(
            [
                {
                    "category_code": "integration_failure",
                    "res_model": "workflow.integration",
                    "res_id": integration_id,
                    "severity": "high",
                    "dedupe_key": f"integration_dead:{integration_id}",
                    "name": _(
                        "Webhooks to %(name)s became dead letters",
                        name=settings[integration_id]["name"],
                    ),
                    "description": _(
                        "Message %(webhook)s was given up after its last attempt (%(error)s). "
                        "Fix the cause, then replay the dead letters from Integrations > "
                        "Messages.",
                        webhook=msg_id,
                        error=(error or "")[:300],
                    ),
                    "company_id": settings[integration_id]["company_id"] or None,
                }
                for msg_id, integration_id, _route, _status, error in dead
            ]
        )

    @api.model
    @api.private
    def _schedule_next_run(self):
        """Count what is still due now; trigger the job for the next retry or the end of
        an open circuit. Returns the number of messages due now."""
        now = fields.Datetime.now()
        open_, probing, blocked = self._delivery_integrations(now)
        deliverable = list(open_) + list(probing)
        self.env.cr.execute(
            SQL(
                """SELECT count(*) FILTER (WHERE next_attempt_at <= %(now)s
                                             AND integration_id = ANY(%(ids)s)),
                          min(next_attempt_at) FILTER (WHERE next_attempt_at > %(now)s)
                     FROM workflow_integration_message
                    WHERE direction = 'out' AND state IN ('pending', 'failed')""",
                now=now,
                ids=deliverable,
            )
        )
        remaining, next_retry = self.env.cr.fetchone()
        moments = [next_retry] if next_retry else []
        moments += [
            row["circuit_open_until"]
            for row in blocked.values()
            if row["circuit_open_until"] and row["circuit_open_until"] > now
        ]
        cron = self.env.ref(
            "workflow_monitor_integrations.ir_cron_webhook_delivery", raise_if_not_found=False
        )
        if cron and moments:
            cron.sudo()._trigger(min(moments))
        return remaining

    # ------------------------------------------------------------
    # INBOUND
    # ------------------------------------------------------------

    @api.model
    def _inbound_handlers(self):
        """{message type: method name}; a handler gets (message, data) and returns the
        linked record (or None). Extend to accept new types."""
        return {
            "workflow.event": "_inbound_workflow_event",
            "workflow.exception": "_inbound_workflow_exception",
            "n8n.execution": "_inbound_n8n_execution",
            "carrier.status": "_inbound_carrier_status",
        }

    @api.model
    def _inbound_validate(self, envelope):
        """Schema check of an inbound body: None, or an error message for a 422."""
        if not isinstance(envelope, dict):
            return _("The body must be a JSON object with 'type' and 'data'.")
        kind = envelope.get("type")
        handlers = self._inbound_handlers()
        if kind not in handlers:
            return _(
                "Unknown message type %(type)r (field: type); accepted: %(types)s.",
                type=kind,
                types=", ".join(sorted(handlers)),
            )
        data = envelope.get("data")
        if not isinstance(data, dict):
            return _("'data' must be a JSON object (field: data).")
        occurred_at = envelope.get("occurred_at", data.get("occurred_at"))
        if occurred_at is not None and self._parse_datetime(occurred_at) is None:
            return _("'occurred_at' must be an ISO 8601 date and time (field: occurred_at).")
        required = {
            "workflow.event": (),
            "workflow.exception": ("category", "message"),
            "n8n.execution": ("execution_id", "status"),
            "carrier.status": ("tracking_ref", "status"),
        }.get(kind, ())
        missing = [key for key in required if not data.get(key)]
        if missing:
            return _("Missing field(s) in data: %(fields)s.", fields=", ".join(missing))
        res_model = data.get("res_model")
        if res_model is not None and not isinstance(res_model, str):
            return _("'res_model' must be a model name (field: data.res_model).")
        if res_model and res_model not in self.env:
            return _("Unknown model %(model)r (field: data.res_model).", model=res_model)
        res_id = data.get("res_id")
        if res_id is not None and (
            not isinstance(res_id, int) or isinstance(res_id, bool) or not 0 < res_id <= PG_INT_MAX
        ):
            return _(
                "'res_id' must be a record id, a positive integer up to %(max)s "
                "(field: data.res_id).",
                max=PG_INT_MAX,
            )
        for key, value in (
            ("data.correlation_id", data.get("correlation_id")),
            ("data.key", data.get("key")),
            ("key", envelope.get("key")),
        ):
            scalar = isinstance(value, (str, int)) and not isinstance(value, bool)
            if value is not None and (not scalar or len(str(value)) > 255):
                return _(
                    "'%(key)s' must be a string of at most 255 characters (field: %(key)s).",
                    key=key,
                )
        for key in ("definition", "stage_from", "stage_to", "dedupe_key"):
            if data.get(key) is not None and not isinstance(data[key], str):
                return _("'%(key)s' must be a string (field: data.%(key)s).", key=key)
        if data.get("payload") is not None and not isinstance(data["payload"], dict):
            return _("'payload' must be a JSON object (field: data.payload).")
        if kind == "workflow.exception":
            category = (
                self.env["workflow.exception.category"]
                .sudo()
                .search([("code", "=", data["category"])], limit=1)
            )
            if not category:
                return _(
                    "Unknown exception category %(code)r (field: data.category).",
                    code=data["category"],
                )
            if data.get("severity") and data["severity"] not in (
                "low",
                "medium",
                "high",
                "critical",
            ):
                return _(
                    "Unknown severity %(value)r (field: data.severity).", value=data["severity"]
                )
        if kind == "workflow.event":
            event_types = dict(self.env["workflow.event"]._fields["event_type"].selection)
            if data.get("event_type", "custom") not in event_types:
                return _(
                    "Unknown event type %(value)r (field: data.event_type).",
                    value=data.get("event_type"),
                )
        return None

    @api.model
    def _inbound_allowed_models(self, kind):
        """Models whose records a webhook of ``kind`` may name in data.res_model: the
        documents followed by a workflow (and, for events, the exceptions an outside
        service reports about). Extend to accept more."""
        models_ = set(
            self.env["workflow.definition"]
            .sudo()
            .with_context(active_test=False)
            .search([])
            .mapped("res_model")
        )
        if kind in ("workflow.event", "n8n.execution"):
            models_.add("workflow.exception")
        return models_

    @api.model
    def _inbound_refused_categories(self):
        """Codes of the exception categories a webhook may not raise: those the engine
        raises (system categories), except ``integration_failure``, which is what
        outside services report."""
        Category = self.env["workflow.exception.category"].sudo().with_context(active_test=False)
        codes = set(ENGINE_CATEGORIES)
        if "is_system" in Category._fields:
            codes.update(Category.search([("is_system", "=", True)]).mapped("code"))
        codes.discard("integration_failure")
        return codes

    @api.model
    def _inbound_scope_problem(self, integration, envelope):
        """None, or why a schema-valid message must not be applied: handlers act only
        on the integration's company and on the models they are written for. The
        message is then rejected (422) with this text."""
        kind = envelope.get("type")
        data = envelope.get("data") or {}
        if kind == "workflow.event":
            event_type = data.get("event_type") or "custom"
            if event_type not in INBOUND_EVENT_TYPES:
                return _(
                    "Events of type %(type)r are written by Odoo only; webhooks may log "
                    "%(types)s (field: data.event_type).",
                    type=event_type,
                    types=", ".join(INBOUND_EVENT_TYPES),
                )
        if (
            kind == "workflow.exception"
            and data.get("category") in self._inbound_refused_categories()
        ):
            return _(
                "The category %(code)r is raised by Odoo only (field: data.category).",
                code=data["category"],
            )
        res_model = data.get("res_model")
        if res_model:
            allowed = self._inbound_allowed_models(kind)
            if res_model not in allowed:
                return _(
                    "%(type)s webhooks do not act on %(model)s records; accepted models: "
                    "%(models)s (field: data.res_model).",
                    type=kind,
                    model=res_model,
                    models=", ".join(sorted(allowed)) or "-",
                )
        if kind == "workflow.event" and data.get("definition"):
            definition = (
                self.env["workflow.definition"]
                .sudo()
                .search([("code", "=", data["definition"])], limit=1)
            )
            if definition and res_model and definition.res_model != res_model:
                return _(
                    "The workflow %(code)s follows %(wf_model)s records, not %(model)s "
                    "(field: data.definition).",
                    code=definition.code,
                    wf_model=definition.res_model,
                    model=res_model,
                )
        if res_model and data.get("res_id"):
            # sudo: existence and company of the named record, nothing is returned
            record = self.env[res_model].sudo().browse(data["res_id"]).exists()
            if not record:
                return _(
                    "No %(model)s record with id %(id)s (field: data.res_id).",
                    model=res_model,
                    id=data["res_id"],
                )
            company = record.company_id if "company_id" in record._fields else None
            if company and company != integration.company_id:
                return _(
                    "The %(model)s record %(id)s belongs to another company than the "
                    "integration %(integration)s (field: data.res_id).",
                    model=res_model,
                    id=record.id,
                    integration=integration.name,
                )
        return None

    @api.model
    def _parse_datetime(self, value):
        if not isinstance(value, str):
            return None
        try:
            parsed = fields.Datetime.to_datetime(value.replace("T", " ").rstrip("Z")[:19])
        except ValueError:
            return None
        return parsed

    @api.model
    def _inbound_ordering(self, envelope):
        """(ordering key, occurred_at) of an inbound message, for out-of-order checks."""
        data = envelope.get("data") or {}
        kind = envelope.get("type")
        key = envelope.get("key") or data.get("key")
        if not key:
            if kind == "carrier.status":
                key = f"carrier:{data.get('tracking_ref')}"
            elif kind == "n8n.execution":
                key = f"n8n:{data.get('execution_id')}"
            elif kind == "workflow.event" and data.get("res_model") and data.get("res_id"):
                key = f"{data['res_model']},{data['res_id']}:{data.get('definition') or ''}"
        occurred_at = self._parse_datetime(envelope.get("occurred_at", data.get("occurred_at")))
        return (str(key)[:250] if key else None), occurred_at

    def _is_stale(self):
        """True when a newer update with the same ordering key was already applied."""
        self.ensure_one()
        if not self.ordering_key or not self.occurred_at:
            return False
        cr = self.env.cr
        # serialise updates of one key so two concurrent requests cannot both apply
        cr.execute(
            "SELECT pg_advisory_xact_lock(hashtext(%s))",
            [f"wm_inbound:{self.integration_id.id}:{self.ordering_key}"],
        )
        self.flush_model()
        cr.execute(
            """SELECT 1 FROM workflow_integration_message
                WHERE integration_id = %s AND direction = 'in' AND state = 'processed'
                  AND ordering_key = %s AND occurred_at > %s AND id <> %s LIMIT 1""",
            [self.integration_id.id, self.ordering_key, self.occurred_at, self.id],
        )
        return bool(cr.fetchone())

    @api.private
    def _process_inbound(self):
        """Run the handler of each received message in a savepoint, as the superuser in
        the integration's company: success -> 'processed', out of order -> 'stale',
        outside what the handler is written for -> 'rejected' (422), handler error ->
        'failed' (retried by the health job), never lost. The checks run again on each
        replay, so an edited payload cannot bypass them."""
        handlers = self._inbound_handlers()
        for message in self:
            if message.state not in INBOUND_RETRY_STATES:
                continue
            envelope = message.payload or {}
            integration = message.integration_id
            problem = self._inbound_validate(envelope) or self._inbound_scope_problem(
                integration, envelope
            )
            if problem:
                message.write(
                    {
                        "state": "rejected",
                        "last_http_status": 422,
                        "last_error": str(problem)[:MAX_ERROR],
                        "processed_at": fields.Datetime.now(),
                    }
                )
                continue
            if message._is_stale():
                message.write({"state": "stale", "processed_at": fields.Datetime.now()})
                continue
            # sudo: the sender is authenticated by the signature; the checks above keep
            # the handler on its company's documents of the models it is written for
            handler_self = message.sudo().with_company(integration.company_id)
            try:
                with self.env.cr.savepoint():
                    record = getattr(handler_self, handlers[envelope["type"]])(
                        envelope.get("data") or {}
                    )
                    vals = {
                        "state": "processed",
                        "processed_at": fields.Datetime.now(),
                        "attempts": message.attempts + 1,
                        "last_error": False,
                    }
                    if record:
                        vals.update(res_model=record._name, res_id=record.id)
                    message.write(vals)
            except Exception as error:
                _logger.warning("Inbound webhook %s failed: %s", message.webhook_id, error)
                # kept for the administrator (Integrations > Messages), never sent back
                message.write(
                    {
                        "state": "failed",
                        "attempts": message.attempts + 1,
                        "last_attempt_at": fields.Datetime.now(),
                        "last_error": f"{type(error).__name__}: {error}"[:MAX_ERROR],
                    }
                )
        return self

    @api.model
    @api.private
    def _cron_retry_inbound(self, batch_size=200):
        """Process again inbound messages whose handler failed (or that a crash left
        'received'); after max_attempts they become dead letters."""
        cutoff = fields.Datetime.now() - timedelta(minutes=1)
        self.flush_model()
        self.env.cr.execute(
            SQL(
                """SELECT m.id FROM workflow_integration_message m
                     JOIN workflow_integration i ON i.id = m.integration_id
                    WHERE m.direction = 'in' AND m.state IN %s
                      AND COALESCE(m.last_attempt_at, m.create_date) < %s
                    ORDER BY m.id LIMIT %s FOR UPDATE OF m SKIP LOCKED""",
                INBOUND_RETRY_STATES,
                cutoff,
                batch_size,
            )
        )
        messages = self.browse([row[0] for row in self.env.cr.fetchall()])
        exhausted = messages.filtered(lambda m: m.attempts >= m.integration_id.max_attempts)
        if exhausted:
            exhausted.write({"state": "dead"})
            self.env["workflow.exception"].sudo().raise_exceptions(
                [
                    {
                        "category_code": "integration_failure",
                        "record": message.integration_id,
                        "severity": "high",
                        "dedupe_key": f"integration_inbound_dead:{message.integration_id.id}",
                        "name": _(
                            "Inbound webhooks from %(name)s could not be processed",
                            name=message.integration_id.name,
                        ),
                        "description": message.last_error,
                    }
                    for message in exhausted
                ]
            )
        (messages - exhausted)._process_inbound()
        return messages

    @api.model
    @api.private
    def _purge_old_messages(self, batch_size=10000):
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
                        WHERE state IN ('delivered', 'processed', 'duplicate', 'stale', 'rejected')
                          AND create_date < %s
                        LIMIT %s FOR UPDATE SKIP LOCKED)""",
                fields.Datetime.now() - timedelta(days=days),
                batch_size,
            )
        )
        purged = self.env.cr.rowcount
        self.invalidate_model()
        self.env["workflow.integration.refusal"]._purge_old(days)
        return purged

    # handlers ------------------------------------------------------

    def _inbound_record(self, data):
        if data.get("res_model") and data.get("res_id"):
            record = self.env[data["res_model"]].browse(data["res_id"]).exists()
            return record or None
        return None

    def _inbound_context(self, data):
        """Labels of the events a webhook logs, as server flags (a client context can
        neither forge nor drop them)."""
        return server_context(
            workflow_source="webhook",
            workflow_source_ref=f"workflow.integration,{self.integration_id.id}",
            workflow_correlation_id=str(data.get("correlation_id") or self.webhook_id),
        )

    @api.private
    def _inbound_workflow_event(self, data):
        ctx = self._inbound_context(data)
        record = self._inbound_record(data)
        payload = dict(data.get("payload") or {}, webhook_id=self.webhook_id)
        if data.get("definition") and data.get("stage_to") and record:
            events = (
                self.env["workflow.instance"]
                .with_context(**ctx)
                ._move(
                    data["definition"],
                    {record: data["stage_to"]},
                    source="webhook",
                    payload=payload,
                )
            )
        else:
            vals = {
                key: data[key]
                for key in ("res_model", "res_id", "definition", "stage_from", "stage_to")
                if data.get(key)
            }
            vals.update(
                event_type=data.get("event_type") or "custom",
                source="webhook",
                source_ref=str(ctx["workflow_source_ref"]),
                correlation_id=str(ctx["workflow_correlation_id"]),
                payload=payload,
                occurred_at=self.occurred_at or fields.Datetime.now(),
                company_id=self.integration_id.company_id.id,
            )
            events = self.env["workflow.event"].with_context(**ctx)._log_events([vals])
        return record or events[:1]

    @api.private
    def _inbound_workflow_exception(self, data):
        record = self._inbound_record(data)
        integration = self.integration_id
        # the key is namespaced by the integration: a webhook counts again its own
        # exceptions, never merges into one raised by Odoo or another integration
        key = data.get("dedupe_key") or f"{data['category']}:{data['message']}"
        return self.env["workflow.exception"].raise_exception(
            record if record is not None else integration,
            data["category"],
            str(data["message"]),
            severity=data.get("severity") or None,
            dedupe_key=f"webhook:{integration.id}:{key}"[:250],
            description=data.get("description") or None,
            company_id=integration.company_id.id,
        )

    @api.private
    def _inbound_n8n_execution(self, data):
        status = str(data["status"]).lower()
        execution_id = str(data["execution_id"])
        self.external_execution_id = execution_id
        workflow = data.get("workflow_name") or data.get("workflow_id") or "?"
        if status in ("error", "failed", "crashed", "canceled", "cancelled"):
            lines = [
                _("n8n workflow: %(name)s (id %(id)s)", name=workflow, id=data.get("workflow_id")),
                _("Execution: %(id)s", id=execution_id),
            ]
            if data.get("node"):
                lines.append(_("Failed node: %(node)s", node=data["node"]))
            if data.get("error"):
                lines.append(_("Error: %(error)s", error=data["error"]))
            if data.get("url"):
                lines.append(_("Execution URL: %(url)s", url=data["url"]))
            return self.env["workflow.exception"].raise_exception(
                self.integration_id,
                "integration_failure",
                _("n8n execution %(id)s of %(name)s failed", id=execution_id, name=workflow),
                severity=data.get("severity") or None,
                dedupe_key=f"n8n_execution:{self.integration_id.id}:{execution_id}",
                description="\n".join(lines),
                company_id=self.integration_id.company_id.id,
            )
        return self._log_integration_event(
            {"n8n_execution": execution_id, "status": status, "workflow": workflow}, data
        )

    @api.private
    def _inbound_carrier_status(self, data):
        return self._log_integration_event(
            {
                "carrier_status": data["status"],
                "tracking_ref": data["tracking_ref"],
                "location": data.get("location"),
                "description": data.get("description"),
            },
            data,
        )

    def _log_integration_event(self, payload, data):
        record = self._inbound_record(data)
        ctx = self._inbound_context(data)
        events = (
            self.env["workflow.event"]
            .with_context(**ctx)
            ._log_events(
                [
                    {
                        "event_type": "integration",
                        "res_model": record._name if record else None,
                        "res_id": record.id if record else None,
                        "source": "webhook",
                        "source_ref": str(ctx["workflow_source_ref"]),
                        "correlation_id": str(ctx["workflow_correlation_id"]),
                        "occurred_at": self.occurred_at or fields.Datetime.now(),
                        "company_id": self.integration_id.company_id.id,
                        "payload": dict(payload, webhook_id=self.webhook_id),
                    }
                ]
            )
        )
        return record or events[:1]
