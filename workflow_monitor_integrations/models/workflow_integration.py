# Copyright 2026 Workflow Monitor
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

import uuid
from datetime import timedelta

from odoo import _, api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tools import SQL

from ..tools import signature

INTEGRATION_KINDS = [
    ("n8n", "n8n"),
    ("carrier", "Carrier"),
    ("marketplace", "Marketplace"),
    ("supplier", "Supplier"),
    ("other", "Other"),
]
HEALTH_STATES = [
    ("healthy", "Healthy"),
    ("degraded", "Degraded"),
    ("down", "Down"),
    ("paused", "Paused"),
]
HEALTH_COLORS = {"healthy": 10, "degraded": 2, "down": 1, "paused": 0}
# refused inbound requests are shown over this window on the integration
REFUSED_WINDOW_HOURS = 24
GROUP_ADMIN = "workflow_monitor_base.group_workflow_admin"
GROUP_MANAGER = "workflow_monitor_base.group_workflow_manager"


class WorkflowIntegration(models.Model):
    """An outside service (n8n, a carrier, a marketplace...) that Odoo sends signed
    webhooks to (routes, outbox) and receives signed webhooks from (inbox).

    This file holds its settings and user actions; the same model is extended by
    ``workflow_integration_circuit.py`` (the circuit breaker), ``_health.py`` (health
    figures and the down exception) and ``_metrics.py`` (Prometheus metrics)."""

    _name = "workflow.integration"
    _description = "Workflow Integration"
    _inherit = ["mail.thread", "workflow.config.audit.mixin", "workflow.cached.config.mixin"]
    _order = "sequence, name, id"
    # the cached route specs read these fields only: other writes (user settings, and
    # above all the health figures) keep every worker's caches
    _workflow_cache_fields = frozenset({"active", "company_id", "paused"})
    _workflow_audit_fields = (
        "name",
        "kind",
        "url",
        "active",
        "paused",
        "timeout_seconds",
        "max_attempts",
        "max_in_flight",
        "circuit_threshold",
        "inbound_enabled",
        "inbound_max_kb",
        "expected_interval_minutes",
        "company_id",
    )

    name = fields.Char(required=True, tracking=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True, tracking=True)
    kind = fields.Selection(INTEGRATION_KINDS, required=True, default="n8n", tracking=True)
    company_id = fields.Many2one(
        "res.company",
        required=True,
        index=True,
        default=lambda self: self.env.company,
        help="Only events of this company are sent, and inbound webhooks act on this "
        "company's documents only.",
    )
    url = fields.Char(
        string="Endpoint URL",
        tracking=True,
        help="Where outbound webhooks are POSTed (e.g. the production URL of an n8n "
        "Webhook node). Empty: this integration only receives.",
    )
    signing_secret = fields.Char(
        groups="workflow_monitor_base.group_workflow_admin",
        copy=False,
        default=lambda self: signature.generate_secret(),
        help="Standard Webhooks secret (whsec_<base64>) shared with the service: it signs "
        "outbound webhooks and verifies inbound ones.",
    )
    inbound_enabled = fields.Boolean(string="Accept Inbound Webhooks", default=True, tracking=True)
    inbound_uuid = fields.Char(
        string="Inbound Key",
        required=True,
        readonly=True,
        copy=False,
        index=True,
        default=lambda self: str(uuid.uuid4()),
        groups="workflow_monitor_base.group_workflow_admin",
    )
    inbound_url = fields.Char(
        compute="_compute_inbound_url", groups="workflow_monitor_base.group_workflow_admin"
    )
    inbound_max_kb = fields.Integer(
        string="Inbound Size Limit (KB)",
        default=256,
        help="Larger inbound requests are refused with HTTP 413.",
    )
    timeout_seconds = fields.Integer(
        string="Timeout (s)", default=10, help="Seconds to wait for the service's answer."
    )
    max_attempts = fields.Integer(
        default=8,
        help="Deliveries tried before a message becomes a dead letter (retries after 5 s, "
        "5 min, 30 min, 2 h, 5 h, 10 h, then every 24 h, with jitter).",
    )
    max_in_flight = fields.Integer(
        string="Concurrent Requests",
        default=8,
        help="Webhooks sent to this service at the same time (1 to 64). Messages about "
        "the same document are still sent one after the other, in order. A service that "
        "has not answered successfully yet, or is failing, gets fewer at once: never "
        "more than the failures left before the circuit breaker pauses it.",
    )
    circuit_threshold = fields.Integer(
        string="Failures Before Pause",
        default=5,
        help="Consecutive failed deliveries that open the circuit breaker: deliveries "
        "stop, then a single probe is tried after the cool-down.",
    )
    circuit_cooldown_seconds = fields.Integer(
        string="Cool-down (s)",
        default=60,
        help="First pause of the circuit breaker; doubled at each failed probe (at most 1 h).",
    )
    circuit_open_until = fields.Datetime(readonly=True, copy=False)
    circuit_trips = fields.Integer(readonly=True, copy=False, default=0)
    paused = fields.Boolean(
        readonly=True, copy=False, tracking=True, help="Paused by hand: nothing is sent."
    )
    route_ids = fields.One2many("workflow.integration.route", "integration_id", string="Routes")
    route_count = fields.Integer(compute="_compute_counts")
    message_count = fields.Integer(compute="_compute_counts")

    # health (refreshed by the delivery and health scheduled actions)
    state = fields.Selection(
        HEALTH_STATES, default="healthy", required=True, readonly=True, copy=False, index=True
    )
    success_rate = fields.Float(
        string="Success Rate (%)",
        readonly=True,
        copy=False,
        default=100.0,
        help="Delivered / attempted outbound messages over the last 24 hours.",
    )
    latency_p95_ms = fields.Float(string="p95 Latency (ms)", readonly=True, copy=False)
    queue_depth = fields.Integer(
        readonly=True,
        copy=False,
        default=0,
        help="Outbound messages waiting (pending, sending, retrying).",
    )
    dead_count = fields.Integer(string="Dead Letters (24 h)", readonly=True, copy=False, default=0)
    consecutive_failures = fields.Integer(readonly=True, copy=False, default=0)
    last_success_at = fields.Datetime(readonly=True, copy=False)
    last_failure_at = fields.Datetime(readonly=True, copy=False)
    last_error = fields.Char(readonly=True, copy=False)
    health_checked_at = fields.Datetime(readonly=True, copy=False)
    color = fields.Integer(compute="_compute_color")
    inbound_refused_count = fields.Integer(
        string="Refused Requests (24 h)",
        compute="_compute_inbound_refused",
        help="Inbound requests refused before their sender was authenticated (bad or "
        "missing signature, stale timestamp, body too large, paused or disabled) over "
        "the last 24 hours. They are counted, not stored one by one.",
    )
    inbound_refused_last_at = fields.Datetime(
        string="Last Refused Request", compute="_compute_inbound_refused"
    )

    _sql_constraints = [
        ("inbound_uuid_unique", "unique(inbound_uuid)", "The inbound key must be unique."),
    ]

    @api.private
    def init(self):
        result = super().init()
        # the open-circuit and pause filters run before every delivery batch
        self.env.cr.execute(
            """CREATE INDEX IF NOT EXISTS workflow_integration_active_idx
                   ON workflow_integration (id) WHERE active"""
        )
        return result

    # ------------------------------------------------------------
    # COMPUTES AND CONSTRAINTS
    # ------------------------------------------------------------

    def _compute_inbound_url(self):
        base_url = self.env["ir.config_parameter"].sudo().get_param("web.base.url", "")
        for integration in self:
            integration.inbound_url = (
                f"{base_url}/workflow_monitor/hook/{integration.inbound_uuid}"
                if integration.inbound_uuid
                else False
            )

    def _compute_counts(self):
        Route = self.env["workflow.integration.route"].with_context(active_test=False)
        routes = dict(
            Route._read_group([("integration_id", "in", self.ids)], ["integration_id"], ["__count"])
        )
        messages = dict(
            self.env["workflow.integration.message"]._read_group(
                [("integration_id", "in", self.ids)], ["integration_id"], ["__count"]
            )
        )
        for integration in self:
            integration.route_count = routes.get(integration, 0)
            integration.message_count = messages.get(integration, 0)

    def _compute_inbound_refused(self):
        since = fields.Datetime.now() - timedelta(hours=REFUSED_WINDOW_HOURS)
        # sudo: counters of the integrations the user reads, nothing else is returned
        groups = (
            self.env["workflow.integration.refusal"]
            .sudo()
            ._read_group(
                [("integration_id", "in", self.ids), ("bucket_start", ">=", since)],
                ["integration_id"],
                ["count:sum", "last_seen:max"],
            )
        )
        figures = {integration.id: (count, last) for integration, count, last in groups}
        for integration in self:
            count, last = figures.get(integration.id, (0, False))
            integration.inbound_refused_count = count
            integration.inbound_refused_last_at = last

    @api.depends("state")
    def _compute_color(self):
        for integration in self:
            integration.color = HEALTH_COLORS.get(integration.state, 0)

    @api.constrains(
        "url",
        "timeout_seconds",
        "max_attempts",
        "max_in_flight",
        "circuit_threshold",
        "circuit_cooldown_seconds",
        "inbound_max_kb",
    )
    def _check_settings(self):
        for integration in self:
            url = integration.url or ""
            if url and not url.startswith(("http://", "https://")):
                raise ValidationError(
                    _(
                        "%(name)s: the endpoint must start with http:// or https:// (field: "
                        "Endpoint URL).",
                        name=integration.name,
                    )
                )
            checks = (
                ("timeout_seconds", 1, 120),
                ("max_attempts", 1, 20),
                ("max_in_flight", 1, 64),
                ("circuit_threshold", 1, 1000),
                ("circuit_cooldown_seconds", 1, 86400),
                ("inbound_max_kb", 1, 10240),
            )
            for fname, low, high in checks:
                if not low <= integration[fname] <= high:
                    raise ValidationError(
                        _(
                            "%(name)s: %(field)s must be between %(low)s and %(high)s.",
                            name=integration.name,
                            field=integration._fields[fname].string,
                            low=low,
                            high=high,
                        )
                    )

    @api.constrains("signing_secret")
    def _check_secret(self):
        for integration in self.sudo():
            try:
                signature.secret_key(integration.signing_secret)
            except ValueError as error:
                raise ValidationError(
                    _(
                        "%(name)s: %(error)s (field: Signing Secret).",
                        name=integration.name,
                        error=error,
                    )
                ) from error

    # ------------------------------------------------------------
    # CRUD
    # ------------------------------------------------------------

    def _auto_init(self):
        # company_id became required: integrations of "all companies" (empty) belong to
        # the first company from now on, their routes and messages with them
        cr = self.env.cr
        cr.execute(
            """SELECT 1 FROM information_schema.columns
                WHERE table_name = 'workflow_integration' AND column_name = 'company_id'"""
        )
        if cr.fetchone():
            cr.execute(
                """UPDATE workflow_integration
                      SET company_id = (SELECT min(id) FROM res_company)
                    WHERE company_id IS NULL"""
            )
            if cr.rowcount:
                for table in ("workflow_integration_route", "workflow_integration_message"):
                    cr.execute(
                        SQL(
                            """UPDATE %(table)s t SET company_id = i.company_id
                                 FROM workflow_integration i
                                WHERE t.integration_id = i.id AND t.company_id IS NULL""",
                            table=SQL.identifier(table),
                        )
                    )
        return super()._auto_init()

    # ------------------------------------------------------------
    # ACTIONS
    # ------------------------------------------------------------

    def _check_workflow_group(self, group):
        """User actions: refuse callers without ``group`` (engine code runs as the
        superuser). Any logged-in user can call a public method over RPC."""
        if self.env.su or self.env.user.has_group(group):
            return
        raise AccessError(
            _(
                "Only Workflow Monitor %(level)s users can do this on integrations.",
                level=_("administrators") if group == GROUP_ADMIN else _("managers"),
            )
        )

    def action_pause(self):
        self._check_workflow_group(GROUP_ADMIN)
        self.write({"paused": True, "state": "paused"})

    def action_resume(self):
        """Resume by hand: close the circuit breaker and deliver what waits."""
        self._check_workflow_group(GROUP_ADMIN)
        self.write({"paused": False})
        self._circuit_close()
        self._refresh_health()
        self.env["workflow.integration.message"]._schedule_delivery_trigger()

    def action_rotate_secret(self):
        self._check_workflow_group(GROUP_ADMIN)
        for integration in self:
            integration.signing_secret = signature.generate_secret()

    def action_refresh_health(self):
        """Managers may refresh the figures they read: the refresh itself writes
        derived figures only, as the health job does."""
        self._check_workflow_group(GROUP_MANAGER)
        self.check_access("read")
        # sudo: health figures are derived from the messages, not configuration
        self.sudo()._refresh_health()

    def action_send_test(self):
        """Queue a signed ``ping`` message, delivered by the outbox like any other."""
        self._check_workflow_group(GROUP_ADMIN)
        Message = self.env["workflow.integration.message"]
        for integration in self:
            if not integration.url:
                raise UserError(
                    _(
                        "%(name)s has no endpoint to send to (field: Endpoint URL).",
                        name=integration.name,
                    )
                )
        Message.create(
            [
                {
                    "direction": "out",
                    "integration_id": integration.id,
                    "event_type": "ping",
                    "payload": {
                        "type": "ping",
                        "timestamp": fields.Datetime.now().isoformat() + "Z",
                        "data": {"integration": integration.name},
                    },
                }
                for integration in self
            ]
        )

    def _open_related(self, xmlid, domain, context):
        self._check_workflow_group(GROUP_MANAGER)
        self.ensure_one()
        self.check_access("read")
        action = self.env["ir.actions.act_window"]._for_xml_id(xmlid)
        action["domain"] = domain
        action["context"] = context
        return action

    def action_view_messages(self):
        return self._open_related(
            "workflow_monitor_integrations.action_workflow_integration_message",
            [("integration_id", "=", self.id)],
            {"default_integration_id": self.id},
        )

    def action_view_routes(self):
        return self._open_related(
            "workflow_monitor_integrations.action_workflow_integration_route",
            [("integration_id", "=", self.id)],
            {"default_integration_id": self.id, "active_test": False},
        )

    def action_view_refusals(self):
        return self._open_related(
            "workflow_monitor_integrations.action_workflow_integration_refusal",
            [("integration_id", "=", self.id)],
            {},
        )
