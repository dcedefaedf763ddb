# Copyright 2026 Workflow Monitor
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

import logging
from datetime import timedelta

from odoo import SUPERUSER_ID, _, api, fields, models
from odoo.tools import SQL

_logger = logging.getLogger(__name__)

# Why an inbound request was refused before its sender was authenticated. Such requests
# are counted here, never stored one by one: a flood must not grow a table with the
# number of requests (DESIGN.md section 10).
REFUSAL_REASONS = [
    ("unknown_key", "Unknown inbound key"),
    ("disabled", "Inbound disabled or integration archived"),
    ("paused", "Integration paused"),
    ("too_large", "Body too large to be verified"),
    ("missing_signature", "Missing or malformed signature headers"),
    ("bad_timestamp", "Timestamp outside the tolerance"),
    ("bad_signature", "Signature does not match"),
]
# reason -> name of the security signal it feeds (workflow.event._log_security_signal);
# a disabled or paused integration, or an oversized body, is no sign of an attack
REFUSAL_SIGNALS = {
    "unknown_key": "webhook_unknown_key",
    "missing_signature": "webhook_signature",
    "bad_timestamp": "webhook_signature",
    "bad_signature": "webhook_signature",
}
# Security signals: the first refusal of a bucket is logged as a signal event
# (workflow.event._log_security_signal), and the one that reaches the signal threshold
# raises the security_signal exception; the others are only counted. A flood of any
# size thus writes at most two events per integration, reason and hour.


def bucket_start(moment):
    """The start of the hour bucket of ``moment`` (a naive UTC datetime)."""
    return moment.replace(minute=0, second=0, microsecond=0)


class WorkflowIntegrationRefusal(models.Model):
    """Counters of refused inbound requests, one row per integration, reason and hour.

    Requests whose sender is not authenticated (unknown key, bad signature...) are
    counted by an upsert from a separate READ COMMITTED transaction: a flood of any size
    adds at most one row per integration, reason and hour, concurrent requests never
    conflict, and the count survives whatever happens to the request's transaction.
    Authenticated requests are stored as messages instead."""

    _name = "workflow.integration.refusal"
    _description = "Refused Inbound Requests"
    _order = "bucket_start desc, id desc"
    _rec_name = "reason"

    integration_id = fields.Many2one(
        "workflow.integration",
        index=True,
        ondelete="cascade",
        readonly=True,
        help="Empty: the inbound key of the request matches no integration.",
    )
    company_id = fields.Many2one(
        related="integration_id.company_id", store=True, index=True, readonly=True
    )
    reason = fields.Selection(REFUSAL_REASONS, required=True, readonly=True)
    http_status = fields.Integer(string="HTTP Status", readonly=True)
    bucket_start = fields.Datetime(string="Hour", required=True, readonly=True)
    count = fields.Integer(readonly=True, default=0, aggregator="sum")
    first_seen = fields.Datetime(readonly=True)
    last_seen = fields.Datetime(readonly=True)
    last_remote_addr = fields.Char(string="Last Sender Address", readonly=True)
    last_reference = fields.Char(
        readonly=True, help="Reference given in the answer to the last refused request."
    )

    @api.private
    def init(self):
        # the upsert key: an unknown key has no integration
        self.env.cr.execute(
            """CREATE UNIQUE INDEX IF NOT EXISTS workflow_integration_refusal_bucket_uniq
                   ON workflow_integration_refusal
                      ((COALESCE(integration_id, 0)), reason, bucket_start)"""
        )

    def _compute_display_name(self):
        labels = dict(self._fields["reason"].selection)
        for refusal in self:
            refusal.display_name = _(
                "%(reason)s (%(integration)s)",
                reason=labels.get(refusal.reason, refusal.reason),
                integration=refusal.integration_id.name or _("unknown key"),
            )

    # ------------------------------------------------------------
    # ENGINE
    # ------------------------------------------------------------

    @api.model
    @api.private
    def _count_refusal(self, integration_id, reason, status, reference, remote_addr=None):
        """Count one refused request and feed the security signal a bounded number of
        times. Runs in its own transaction (see the class); returns the new count of
        the bucket."""
        registry = self.env.registry
        now = fields.Datetime.now()
        with registry.cursor() as cr:
            if not registry.in_test_mode():
                # a concurrent upsert of the same bucket waits for the row, never fails
                # with a serialization error as REPEATABLE READ would
                cr.execute("SET TRANSACTION ISOLATION LEVEL READ COMMITTED")
            env = api.Environment(cr, SUPERUSER_ID, {})
            cr.execute(
                SQL(
                    """INSERT INTO workflow_integration_refusal AS r
                              (integration_id, company_id, reason, http_status, bucket_start,
                               count, first_seen, last_seen, last_remote_addr, last_reference,
                               create_uid, create_date, write_uid, write_date)
                       VALUES (%(integration)s,
                               (SELECT company_id FROM workflow_integration
                                 WHERE id = %(integration)s),
                               %(reason)s, %(status)s, %(bucket)s, 1, %(now)s, %(now)s,
                               %(addr)s, %(ref)s, %(uid)s, %(now)s, %(uid)s, %(now)s)
                  ON CONFLICT ((COALESCE(integration_id, 0)), reason, bucket_start)
                    DO UPDATE SET count = r.count + 1,
                                  http_status = EXCLUDED.http_status,
                                  last_seen = EXCLUDED.last_seen,
                                  last_remote_addr = EXCLUDED.last_remote_addr,
                                  last_reference = EXCLUDED.last_reference,
                                  write_date = EXCLUDED.write_date
                    RETURNING r.count""",
                    integration=integration_id,
                    reason=reason,
                    status=status,
                    bucket=bucket_start(now),
                    now=now,
                    addr=(remote_addr or "")[:64] or None,
                    ref=reference,
                    uid=SUPERUSER_ID,
                )
            )
            count = cr.fetchone()[0]
            Refusal = env["workflow.integration.refusal"]
            signal = REFUSAL_SIGNALS.get(reason)
            threshold = Refusal._signal_threshold()
            if signal and (count == 1 or count == threshold):
                try:
                    with cr.savepoint():
                        Refusal._feed_security_signal(
                            integration_id, reason, signal, reference, remote_addr, count
                        )
                except Exception:
                    # the count above is what matters; the signal is fed next bucket
                    _logger.exception("Could not feed the security signal %s", signal)
        return count

    @api.model
    @api.private
    def _feed_security_signal(self, integration_id, reason, signal, reference, remote_addr, count):
        """First refusal of a bucket: one signal event (which may raise the exception
        when the signals of the last hour reach the threshold). Refusal that reaches the
        threshold within the bucket: the ``security_signal`` exception itself."""
        integration = self.env["workflow.integration"].browse(integration_id)
        company = integration.company_id or self.env.company
        labels = dict(self._fields["reason"].selection)
        where = integration.name or _("an unknown inbound key")
        if count == 1:
            self.env["workflow.event"].with_company(company)._log_security_signal(
                signal,
                _(
                    "Inbound webhook refused (%(reason)s) for %(integration)s from "
                    "%(address)s, reference %(reference)s; the next ones of this hour are "
                    "counted under Integrations > Refused Requests.",
                    reason=labels[reason],
                    integration=where,
                    address=remote_addr or "?",
                    reference=reference,
                ),
                res_model="workflow.integration" if integration else None,
                res_id=integration.id or None,
            )
            return
        threshold = self._signal_threshold()
        self.env["workflow.exception"].with_company(company).raise_exception(
            integration or company,
            "security_signal",
            _(
                "%(count)s '%(signal)s' security signals in the last hour (threshold "
                "%(threshold)s)",
                count=count,
                signal=signal,
                threshold=threshold,
            ),
            dedupe_key=f"signal:{signal}",
            description=_(
                "%(count)s inbound requests refused (%(reason)s) for %(integration)s within "
                "the hour, the last one from %(address)s (reference %(reference)s). See "
                "Integrations > Refused Requests for the exact counts.",
                count=count,
                reason=labels[reason],
                integration=where,
                address=remote_addr or "?",
                reference=reference,
            ),
            company_id=company.id,
        )

    @api.model
    def _signal_threshold(self):
        """Refused requests per integration, reason and hour that raise the
        ``security_signal`` exception (0: never), the suite's signal threshold."""
        return int(
            self.env["ir.config_parameter"]
            .sudo()
            .get_param("workflow_monitor.security_signal_threshold", 10)
            or 0
        )

    @api.model
    @api.private
    def _purge_old(self, days):
        """Delete the buckets older than ``days`` (the message retention)."""
        if days <= 0:
            return 0
        self.env.cr.execute(
            SQL(
                "DELETE FROM workflow_integration_refusal WHERE bucket_start < %s",
                fields.Datetime.now() - timedelta(days=days),
            )
        )
        self.invalidate_model()
        return self.env.cr.rowcount
