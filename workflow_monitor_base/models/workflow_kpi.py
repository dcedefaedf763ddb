# Copyright 2026 Workflow Monitor
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

import logging
from datetime import datetime, time, timedelta

import psycopg2

from odoo import _, api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools import SQL

from ..tools import clock

_logger = logging.getLogger(__name__)


class WorkflowKpi(models.Model):
    """A figure with a target. Values come from a provider method
    ``_kpi_compute_<provider>(date_from, date_to)``; consumer modules add providers
    with ``selection_add`` and a method of that name."""

    _name = "workflow.kpi"
    _description = "Workflow KPI"
    _inherit = ["workflow.config.audit.mixin"]
    _order = "layer, sequence, id"
    _workflow_audit_fields = ("target", "warning_threshold", "direction", "active", "provider")

    code = fields.Char(required=True)
    name = fields.Char(required=True, translate=True)
    description = fields.Text(help="The formula, in words.")
    sequence = fields.Integer(default=10)
    unit = fields.Selection(
        [("percent", "%"), ("hours", "Hours"), ("count", "Count"), ("amount", "Amount")],
        required=True,
        default="count",
    )
    direction = fields.Selection(
        [("higher_better", "Higher is better"), ("lower_better", "Lower is better")],
        required=True,
        default="higher_better",
    )
    target = fields.Float()
    warning_threshold = fields.Float(
        help="Between target and this value the KPI shows as a warning; beyond it, as critical."
    )
    provider = fields.Selection(
        [
            ("open_exceptions", "Open exceptions"),
            ("sla_compliance", "SLA compliance"),
            ("event_throughput", "Stage changes per day"),
            ("failing_crons", "Failing scheduled actions"),
            ("exception_resolution_time", "Exception resolution time"),
            ("manual_override_share", "Stage changes made by hand"),
        ],
        required=True,
    )
    layer = fields.Selection(
        [("executive", "Executive"), ("operations", "Operations"), ("technical", "Technical")],
        required=True,
        default="operations",
    )
    active = fields.Boolean(default=True)
    value_ids = fields.One2many("workflow.kpi.value", "kpi_id", string="Snapshots")
    last_value = fields.Float(compute="_compute_last_value")
    last_date = fields.Date(compute="_compute_last_value")
    status = fields.Selection(
        [
            ("ok", "On Target"),
            ("warning", "Warning"),
            ("critical", "Critical"),
            ("none", "No Data"),
        ],
        compute="_compute_last_value",
    )

    _sql_constraints = [("code_unique", "unique(code)", "The code of a KPI must be unique.")]

    @api.constrains("target", "warning_threshold", "direction")
    def _check_thresholds(self):
        for kpi in self:
            if not kpi.warning_threshold:
                continue
            wrong = (
                kpi.warning_threshold > kpi.target
                if kpi.direction == "higher_better"
                else kpi.warning_threshold < kpi.target
            )
            if wrong:
                raise ValidationError(
                    _(
                        "%(name)s: the warning threshold must lie on the bad side of the target "
                        "(field: Warning Threshold).",
                        name=kpi.name,
                    )
                )

    def _compute_last_value(self):
        values = self.env["workflow.kpi.value"].search(
            [
                ("kpi_id", "in", self.ids),
                ("node_ref", "=", False),
                ("company_id", "=", self.env.company.id),
            ],
            order="date desc, id desc",
        )
        last = {}
        for value in values:
            last.setdefault(value.kpi_id.id, value)
        for kpi in self:
            value = last.get(kpi.id)
            kpi.last_value = value.value if value else 0.0
            kpi.last_date = value.date if value else False
            kpi.status = kpi._status_of(value.value) if value else "none"

    def _kpi_target(self, node=False):
        """(target, warning threshold) for ``node`` ("model,id", or False for the
        company). Base: the KPI's own; a module whose nodes carry their own targets
        overrides it (distribution: the warehouse's target fill rate and on-time
        dispatch), keeping the warning band's width."""
        self.ensure_one()
        return self.target, self.warning_threshold

    def _status_of(self, value, node=False):
        self.ensure_one()
        target, warning = self._kpi_target(node)
        better = value >= target if self.direction == "higher_better" else value <= target
        if better:
            return "ok"
        if warning:
            within = value >= warning if self.direction == "higher_better" else value <= warning
            return "warning" if within else "critical"
        return "critical"

    # ------------------------------------------------------------
    # ACTIONS / SNAPSHOTS
    # ------------------------------------------------------------

    def action_snapshot_now(self):
        # the snapshot is written in SQL, past the access rights: managers only (they
        # configure KPIs), as for any change of the KPI itself
        self.check_access("write")
        self._snapshot(fields.Date.context_today(self))

    def action_view_values(self):
        self.ensure_one()
        self.check_access("read")
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "workflow_monitor_base.action_workflow_kpi_value"
        )
        action["domain"] = [("kpi_id", "=", self.id)]
        return action

    @api.model
    def _cron_kpi_snapshot(self, day=None):
        """Store today's value of every active KPI (upsert: re-running updates it)."""
        kpis = self.search([])
        kpis._snapshot(fields.Date.to_date(day) or clock.now(self.env).date())
        self.env["ir.cron"]._notify_progress(done=len(kpis), remaining=0)

    def _snapshot(self, day):
        date_from = datetime.combine(day, time.min)
        date_to = date_from + timedelta(days=1)
        rows = []
        for kpi in self:
            for value in kpi._compute_values(date_from, date_to):
                rows.append(
                    (
                        kpi.id,
                        day,
                        value.get("company_id"),
                        value.get("node_ref") or "",
                        value["value"],
                        value.get("numerator"),
                        value.get("denominator"),
                    )
                )
        if not rows:
            return
        now = fields.Datetime.now()
        upsert = SQL(
            """INSERT INTO workflow_kpi_value
                        (kpi_id, date, company_id, node_ref, value, numerator, denominator,
                         create_uid, create_date, write_uid, write_date)
                   SELECT k, d, c, NULLIF(n, ''), v, num, den, %(uid)s, %(now)s, %(uid)s, %(now)s
                     FROM unnest(%(k)s::int[], %(d)s::date[], %(c)s::int[], %(n)s::varchar[],
                                 %(v)s::float8[], %(num)s::float8[], %(den)s::float8[])
                          AS r(k, d, c, n, v, num, den)
                   ON CONFLICT (kpi_id, date, COALESCE(company_id, 0), COALESCE(node_ref, ''))
                   DO UPDATE SET value = EXCLUDED.value, numerator = EXCLUDED.numerator,
                                 denominator = EXCLUDED.denominator,
                                 write_date = EXCLUDED.write_date""",
            uid=self.env.uid,
            now=now,
            k=[r[0] for r in rows],
            d=[r[1] for r in rows],
            c=[r[2] for r in rows],
            n=[r[3] for r in rows],
            v=[r[4] for r in rows],
            num=[r[5] for r in rows],
            den=[r[6] for r in rows],
        )
        try:
            with self.env.cr.savepoint():
                self.env.cr.execute(upsert, log_exceptions=False)
        except psycopg2.errors.SerializationFailure:
            # Another worker stored values of the same day after this transaction began
            # (REPEATABLE READ cannot update rows it does not see). Its values are as
            # recent as ours: keep them rather than fail the whole job.
            _logger.info("KPI snapshot of %s stored by a concurrent worker; kept", day)
        self.env["workflow.kpi.value"].invalidate_model()

    def _compute_values(self, date_from, date_to):
        """Return [{company_id, node_ref, value, numerator, denominator}] from the provider."""
        self.ensure_one()
        method = getattr(self, f"_kpi_compute_{self.provider}", None)
        if method is None:
            raise UserError(
                _(
                    "KPI %(name)s: no method computes provider '%(provider)s' (field: Provider).",
                    name=self.name,
                    provider=self.provider,
                )
            )
        return method(date_from, date_to)

    def _kpi_documents(self, day, company_ids, node=False):
        """The records behind the value of ``day`` (what a tile opens):
        ``{"model", "domain"}`` from the provider's optional
        ``_kpi_documents_<provider>(date_from, date_to, company_ids, node)``, or False when
        the provider names none (the tile then opens its snapshots). Domains only: no
        query, whatever the number of tiles."""
        self.ensure_one()
        method = getattr(self, f"_kpi_documents_{self.provider}", None)
        if method is None:
            return False
        date_from = datetime.combine(fields.Date.to_date(day), time.min)
        return method(date_from, date_from + timedelta(days=1), company_ids, node)

    @staticmethod
    def _kpi_window(field, date_from, date_to):
        return [
            (field, ">=", fields.Datetime.to_string(date_from)),
            (field, "<", fields.Datetime.to_string(date_to)),
        ]

    def _kpi_stage_events(self, date_from, date_to, company_ids, node):
        if node:
            return False  # events carry no node; the company figure has no node twin
        return {
            "model": "workflow.event",
            "domain": [("event_type", "=", "stage"), ("company_id", "in", company_ids)]
            + self._kpi_window("occurred_at", date_from, date_to),
        }

    def _kpi_documents_event_throughput(self, date_from, date_to, company_ids, node):
        return self._kpi_stage_events(date_from, date_to, company_ids, node)

    def _kpi_documents_manual_override_share(self, date_from, date_to, company_ids, node):
        documents = self._kpi_stage_events(date_from, date_to, company_ids, node)
        if documents:
            documents["domain"].append(("source", "=", "user"))  # the numerator
        return documents

    def _kpi_documents_open_exceptions(self, date_from, date_to, company_ids, node):
        return {
            "model": "workflow.exception",
            "domain": [
                ("state", "in", ("new", "assigned", "in_progress")),
                ("company_id", "in", company_ids),
                ("first_seen", "<", fields.Datetime.to_string(date_to)),
            ]
            + ([("node_ref", "=", node)] if node else []),
        }

    def _kpi_documents_exception_resolution_time(self, date_from, date_to, company_ids, node):
        return {
            "model": "workflow.exception",
            "domain": [("state", "=", "resolved"), ("company_id", "in", company_ids)]
            + self._kpi_window("resolved_at", date_from, date_to)
            + ([("node_ref", "=", node)] if node else []),
        }

    # ------------------------------------------------------------
    # PROVIDERS (grouped SQL, one query each)
    # ------------------------------------------------------------

    def _kpi_rows(self, query):
        self.env["workflow.exception"].flush_model()
        self.env.cr.execute(query)
        return [
            {"company_id": company_id, "value": value or 0.0, "numerator": num, "denominator": den}
            for company_id, value, num, den in self.env.cr.fetchall()
        ]

    def _kpi_compute_open_exceptions(self, date_from, date_to):
        return self._kpi_rows(
            SQL(
                """SELECT company_id, count(*), count(*), NULL FROM workflow_exception
                WHERE state IN ('new', 'assigned', 'in_progress') AND first_seen < %s
                GROUP BY company_id""",
                date_to,
            )
        )

    def _kpi_compute_sla_compliance(self, date_from, date_to):
        return self._kpi_rows(
            SQL(
                """SELECT company_id,
                      100.0 * count(*) FILTER (WHERE payload->>'sla' = 'met') / count(*),
                      count(*) FILTER (WHERE payload->>'sla' = 'met'), count(*)
                 FROM workflow_event
                WHERE event_type = 'stage' AND occurred_at >= %s AND occurred_at < %s
                  AND payload->>'sla' IN ('met', 'missed')
                GROUP BY company_id""",
                date_from,
                date_to,
            )
        )

    def _kpi_compute_event_throughput(self, date_from, date_to):
        return self._kpi_rows(
            SQL(
                """SELECT company_id, count(*), count(*), NULL FROM workflow_event
                WHERE event_type = 'stage' AND occurred_at >= %s AND occurred_at < %s
                GROUP BY company_id""",
                date_from,
                date_to,
            )
        )

    def _kpi_compute_failing_crons(self, date_from, date_to):
        self.env["ir.cron"].flush_model(["active", "failure_count", "workflow_deactivated_at"])
        # a job Odoo deactivated after its failures still counts (its failure count was
        # reset by the deactivation) until it runs successfully again
        self.env.cr.execute(
            """SELECT count(*) FROM ir_cron
                WHERE workflow_deactivated_at IS NOT NULL OR (active AND failure_count > 0)"""
        )
        count = self.env.cr.fetchone()[0]
        return [
            {"company_id": company.id, "value": count, "numerator": count, "denominator": None}
            for company in self.env["res.company"].sudo().search([])
        ]

    def _kpi_compute_exception_resolution_time(self, date_from, date_to):
        return self._kpi_rows(
            SQL(
                """SELECT company_id, avg(EXTRACT(EPOCH FROM resolved_at - first_seen)) / 3600.0,
                      sum(EXTRACT(EPOCH FROM resolved_at - first_seen)) / 3600.0, count(*)
                 FROM workflow_exception
                WHERE state = 'resolved' AND resolved_at >= %s AND resolved_at < %s
                GROUP BY company_id""",
                date_from,
                date_to,
            )
        )

    def _kpi_compute_manual_override_share(self, date_from, date_to):
        # by hand: a person's click or write (source "user"); everything else (rules,
        # scheduled and server actions, webhooks, API, the system) is automation
        return self._kpi_rows(
            SQL(
                """SELECT company_id,
                      100.0 * count(*) FILTER (WHERE source = 'user') / count(*),
                      count(*) FILTER (WHERE source = 'user'), count(*)
                 FROM workflow_event
                WHERE event_type = 'stage' AND occurred_at >= %s AND occurred_at < %s
                GROUP BY company_id""",
                date_from,
                date_to,
            )
        )
