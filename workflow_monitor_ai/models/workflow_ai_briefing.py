# Copyright 2026 Workflow Monitor
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

from datetime import timedelta

from markupsafe import Markup

from odoo import _, api, fields, models
from odoo.tools import html2plaintext

from odoo.addons.workflow_monitor_base.models.workflow_exception import OPEN_STATES
from odoo.addons.workflow_monitor_base.tools.severity import SEVERITY_CODES

SEVERITY_ORDER = tuple(reversed(SEVERITY_CODES))  # most severe first


class WorkflowAiBriefing(models.AbstractModel):
    """The daily operations briefing: figures taken from the data and put in a fixed
    template (no model writes the numbers), posted to the briefing channel and,
    optionally, e-mailed to a group. With the provider enabled, a short summary of the
    (masked) briefing is added on top, marked as AI-written."""

    _name = "workflow.ai.briefing"
    _description = "Workflow AI Briefing"

    @api.model
    def _briefing_data(self, company, now=None):
        now = fields.Datetime.to_datetime(now) or fields.Datetime.now()
        since = now - timedelta(days=1)
        Exception_ = self.env["workflow.exception"].sudo()  # sudo: figures of one company
        base = [("company_id", "=", company.id)]
        open_domain = base + [("state", "in", OPEN_STATES)]
        by_severity = dict(Exception_._read_group(open_domain, ["severity"], ["__count"]))
        top_categories = Exception_._read_group(
            open_domain, ["category_id"], ["__count"], order="__count desc", limit=5
        )
        Instance = self.env["workflow.instance"].sudo()
        data = {
            "company": company.name,
            "now": now,
            "since": since,
            "open_total": sum(by_severity.values()),
            "by_severity": [(sev, by_severity.get(sev, 0)) for sev in SEVERITY_ORDER],
            "new_count": Exception_.search_count(base + [("first_seen", ">=", since)]),
            "resolved_count": Exception_.search_count(
                base + [("state", "=", "resolved"), ("resolved_at", ">=", since)]
            ),
            "overdue_count": Exception_.search_count(
                open_domain + [("response_deadline", "<", now)]
            ),
            "sla_breached": Instance.search_count(
                base + [("state", "=", "running"), ("sla_state", "=", "breached")]
            ),
            "sla_breaches_new": Exception_.search_count(
                base + [("category_id.code", "=", "sla_breach"), ("first_seen", ">=", since)]
            ),
            "top_categories": [(category.name, count) for category, count in top_categories],
            "kpis_off_target": self._briefing_kpis(company, now),
            "anomalies": Exception_.search_count(
                open_domain + [("category_id.code", "=", "anomaly")]
            ),
            "to_review": self.env["workflow.ai.suggestion"]
            .sudo()
            .search_count([("company_id", "=", company.id), ("state", "=", "proposed")]),
            "ai_summary": False,
        }
        return data

    @api.model
    def _briefing_kpis(self, company, now):
        """The company-wide KPIs whose latest value of the last 7 days is off target,
        critical first."""
        # sudo: figures of one company, for the briefing of that company
        values = (
            self.env["workflow.kpi.value"]
            .sudo()
            .search(
                [
                    ("company_id", "=", company.id),
                    ("node_ref", "=", False),
                    ("date", ">=", (now - timedelta(days=7)).date()),
                ],
                order="date desc, id desc",
            )
        )
        latest = {}
        for value in values:
            latest.setdefault(value.kpi_id, value)
        kpis = []
        for kpi, value in latest.items():
            if not kpi.active:
                continue
            status = kpi._status_of(value.value)
            if status in ("warning", "critical"):
                kpis.append(
                    {
                        "name": kpi.name,
                        "value": value.value,
                        "target": kpi.target,
                        "unit": dict(kpi._fields["unit"].selection).get(kpi.unit, ""),
                        "status": status,
                        "date": value.date,
                    }
                )
        kpis.sort(key=lambda k: (k["status"] != "critical", k["name"]))
        return kpis

    @api.model
    def _render(self, data):
        return self.env["ir.qweb"]._render("workflow_monitor_ai.briefing_body", data)

    @api.model
    def _build(self, company, now=None):
        """(subject, html body, data) of the briefing of ``company``."""
        data = self._briefing_data(company, now)
        body = self._render(data)
        answer = self.env["workflow.ai.provider"]._summarize(html2plaintext(body))
        if answer:
            data["ai_summary"] = answer
            body = self._render(data)
        subject = _(
            "Operations briefing %(company)s, %(day)s",
            company=company.name,
            day=fields.Date.to_string(data["now"].date()),
        )
        return subject, Markup(body), data

    @api.model
    def _cron_daily_briefing(self, now=None):
        """Post one briefing per company (with exceptions or KPIs) to the channel and
        e-mail it to the configured group. A run that starts while another one posts
        does nothing: both would miss each other's log and post the briefing twice."""
        self.env.cr.execute(
            "SELECT pg_try_advisory_xact_lock(hashtext('workflow_monitor_ai_briefing'))"
        )
        if not self.env.cr.fetchone()[0]:
            return 0
        channel = self.env.ref(
            "workflow_monitor_ai.channel_workflow_briefing", raise_if_not_found=False
        )
        params = self.env["ir.config_parameter"].sudo()
        group_id = int(params.get_param("workflow_monitor_ai.briefing_group_id") or 0)
        group = self.env["res.groups"].sudo().browse(group_id).exists()
        posted = 0
        Log = self.env["workflow.ai.log"].sudo()
        for company in self.env["res.company"].sudo().search([]):
            subject, body, data = self._build(company, now)
            if not data["open_total"] and not data["new_count"] and not data["kpis_off_target"]:
                continue
            # idempotent: one briefing per company and day, even if the job runs twice
            if Log.search_count(
                [("kind", "=", "briefing"), ("name", "=", subject), ("company_id", "=", company.id)]
            ):
                continue
            if channel and channel.active:
                channel.sudo().message_post(
                    body=body,
                    subject=subject,
                    message_type="comment",
                    subtype_xmlid="mail.mt_comment",
                    author_id=self.env.ref("base.partner_root").id,
                )
            if group:
                self._send_mail(group, company, subject, body)
            self.env["workflow.ai.log"]._log(
                "briefing", subject, company_id=company.id, response=html2plaintext(body)
            )
            posted += 1
        self.env["ir.cron"]._notify_progress(done=posted, remaining=0)
        return posted

    @api.model
    def _send_mail(self, group, company, subject, body):
        users = group.users.filtered(lambda u: u.email and u.active and company in u.company_ids)
        if not users:
            return self.env["mail.mail"]
        # sudo: an outgoing e-mail of the engine, to the group chosen by an administrator
        return (
            self.env["mail.mail"]
            .sudo()
            .create(
                {
                    "subject": subject,
                    "body_html": body,
                    "email_from": company.email_formatted or self.env.user.email_formatted,
                    "email_to": ",".join(users.mapped("email_formatted")),
                    "auto_delete": True,
                }
            )
        )
