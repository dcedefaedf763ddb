# Copyright 2026 Workflow Monitor
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

import logging
from datetime import datetime, time, timedelta

from odoo import _, api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL

from odoo.addons.workflow_monitor_base.models.workflow_exception import OPEN_STATES

from ..tools.robust import robust_z, same_weekday_history, two_sided_confidence

KEY_PREFIX = "ai_anomaly:"
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")

_logger = logging.getLogger(__name__)


class WorkflowAiAnomaly(models.AbstractModel):
    """Anomalies on KPI snapshots and on the daily rate of stage events per flow and
    node: robust z-score (median / MAD) against the same weekday of the previous weeks,
    only with enough history. Each anomaly is an ``anomaly`` exception with the evidence
    in its description; it resolves by itself when the next run no longer sees it."""

    _name = "workflow.ai.anomaly"
    _description = "Workflow AI Anomaly Detector"

    @api.model
    def _cron_detect_anomalies(self, day=None):
        day = fields.Date.to_date(day) or (fields.Date.today() - timedelta(days=1))
        found = self._detect(day)
        self.env["ir.cron"]._notify_progress(done=len(found), remaining=0)
        return found

    @api.model
    def _detect(self, day):
        """Evaluate ``day`` (default: yesterday, the last complete day), raise and
        resolve anomaly exceptions. Returns the list of anomalies found (dicts)."""
        settings = self.env["workflow.ai.provider"]._ai_settings()
        weeks = settings["anomaly_weeks"]
        series = self._kpi_series(day, weeks)
        series.update(self._event_series(day, weeks))
        anomalies = []
        for key, (points, meta) in series.items():
            anomaly = self._evaluate(points, day, settings)
            if anomaly:
                anomaly.update(meta, key=key)
                anomalies.append(anomaly)
        self._raise(anomalies, day)
        self.env["workflow.ai.log"]._log(
            "anomaly",
            _("Anomaly detection for %(day)s", day=day),
            message=_(
                "%(series)s series checked, %(count)s anomaly(ies).",
                series=len(series),
                count=len(anomalies),
            ),
        )
        return anomalies

    @api.model
    def _evaluate(self, points, day, settings):
        """The anomaly of ``points`` ({date: value}) on ``day``, or None: robust z
        against the same weekday of the previous weeks, with a minimum history."""
        if day not in points:
            return None
        history = same_weekday_history(points, day, settings["anomaly_weeks"])
        if len(history) < settings["anomaly_min_history"]:
            return None
        value = points[day]
        z, center, mad = robust_z(value, [v for _d, v in history])
        if abs(z) < settings["anomaly_z"]:
            return None
        return {
            "day": day,
            "value": value,
            "median": center,
            "mad": mad,
            "z": z,
            "history": history,
            "confidence": two_sided_confidence(z),
        }

    # ------------------------------------------------------------
    # SERIES
    # ------------------------------------------------------------

    @api.model
    def _kpi_series(self, day, weeks):
        """{key: ({date: value}, meta)} of every KPI x company x node with a value on
        ``day``. One query."""
        self.env["workflow.kpi.value"].flush_model()
        self.env.cr.execute(
            SQL(
                """SELECT v.kpi_id, v.company_id, COALESCE(v.node_ref, ''), v.date, v.value
                     FROM workflow_kpi_value v
                     JOIN workflow_kpi k ON k.id = v.kpi_id AND k.active
                    WHERE v.date >= %s AND v.date <= %s""",
                day - timedelta(days=7 * weeks),
                day,
            )
        )
        raw = {}
        for kpi_id, company_id, node, date, value in self.env.cr.fetchall():
            raw.setdefault((kpi_id, company_id or 0, node), {})[date] = value
        kpis = self.env["workflow.kpi"].sudo().browse({key[0] for key in raw})
        names = {kpi.id: kpi for kpi in kpis}
        series = {}
        for (kpi_id, company_id, node), points in raw.items():
            if day not in points:
                continue
            kpi = names[kpi_id]
            series[f"{KEY_PREFIX}kpi:{kpi_id}:{company_id}:{node}"] = (
                points,
                {
                    "label": kpi.name + (f" ({node})" if node else ""),
                    "res_model": "workflow.kpi",
                    "res_id": kpi_id,
                    "company_id": company_id or False,
                    "direction": kpi.direction,
                    "unit": kpi.unit,
                },
            )
        return series

    @api.model
    def _event_series(self, day, weeks):
        """{key: ({date: count}, meta)}: stage events per day per company and flow, and
        per node for the nodes the dashboard offers. Days without events count as 0
        once a series has started, so a flow that stops is an anomaly too. One grouped
        query per node."""
        start = datetime.combine(day - timedelta(days=7 * weeks), time.min)
        end = datetime.combine(day + timedelta(days=1), time.min)
        base_domain = [
            ("event_type", "=", "stage"),
            ("occurred_at", ">=", start),
            ("occurred_at", "<", end),
        ]
        Dashboard = self.env["workflow.dashboard"]
        series = {}
        for node_ref, node_name in self._event_nodes():
            domain = list(base_domain)
            if node_ref:
                try:
                    domain += Dashboard._dashboard_node_domain("workflow.event", node_ref)
                except UserError:
                    continue
            for (definition, company_id), points in self._daily_event_counts(domain).items():
                label = _("Stage changes per day of %(flow)s", flow=definition.name)
                if node_ref:
                    label += f" ({node_name})"
                series[f"{KEY_PREFIX}events:{definition.id}:{company_id}:{node_ref or ''}"] = (
                    _fill_days(points, day),
                    {
                        "label": label,
                        "res_model": "workflow.definition",
                        "res_id": definition.id,
                        "company_id": company_id or False,
                        "direction": "higher_better",
                        "unit": "count",
                    },
                )
        return series

    @api.model
    def _event_nodes(self):
        """[(node ref, name)] whose event rates are watched; (False, '') is the whole
        company. The nodes are those the dashboard offers (hook of other modules)."""
        nodes = [(False, "")]
        try:
            nodes += [
                (node["ref"], node.get("name") or node["ref"])
                for node in self.env["workflow.dashboard"]._dashboard_nodes({})
            ]
        except (UserError, KeyError, TypeError) as error:
            _logger.debug("No node list for the anomaly detector: %s", error)
        return nodes

    @api.model
    def _daily_event_counts(self, domain):
        """{(definition, company id): {date: count}} of the events of ``domain``."""
        Event = self.env["workflow.event"].sudo()  # sudo: counts only, across companies
        groups = Event._read_group(
            domain, ["company_id", "definition_id", "occurred_at:day"], ["__count"]
        )
        counts = {}
        for company, definition, occurred, count in groups:
            if definition:
                points = counts.setdefault((definition, company.id), {})
                points[fields.Date.to_date(occurred)] = count
        return counts

    # ------------------------------------------------------------
    # EXCEPTIONS
    # ------------------------------------------------------------

    @api.model
    def _describe(self, anomaly):
        history = ", ".join(f"{WEEKDAYS[d.weekday()]} {d}: {v:g}" for d, v in anomaly["history"])
        return _(
            "%(label)s was %(value)g on %(weekday)s %(day)s.\n"
            "Usual for a %(weekday)s: median %(median)g, MAD %(mad)g over the last "
            "%(count)s same weekdays.\n"
            "Robust z-score: %(z)+.1f (flagged from ±%(threshold)g).\n"
            "History: %(history)s",
            label=anomaly["label"],
            value=anomaly["value"],
            weekday=WEEKDAYS[anomaly["day"].weekday()],
            day=anomaly["day"],
            median=anomaly["median"],
            mad=anomaly["mad"],
            count=len(anomaly["history"]),
            z=anomaly["z"],
            threshold=self.env["workflow.ai.provider"]._ai_settings()["anomaly_z"],
            history=history,
        )

    @api.model
    def _raise(self, anomalies, day):
        """Raise (or count again) one ``anomaly`` exception per anomaly, resolve ours
        that cleared, and attach the evidence as a suggestion. Returns the exceptions."""
        settings = self.env["workflow.ai.provider"]._ai_settings()
        Exception_ = self.env["workflow.exception"].sudo()  # sudo: the detector is the engine
        for anomaly in anomalies:
            anomaly["description"] = self._describe(anomaly)
        exceptions = Exception_.raise_exceptions(
            [self._exception_vals(anomaly, day, settings) for anomaly in anomalies]
        )
        self._resolve_cleared(anomalies)
        if exceptions:
            self._suggest(exceptions, anomalies)
        return exceptions

    @api.model
    def _exception_vals(self, anomaly, day, settings):
        """Values of the exception of one anomaly: high when far out on the bad side."""
        bad_side = (anomaly["z"] < 0) == (anomaly["direction"] == "higher_better")
        far = abs(anomaly["z"]) >= 2 * settings["anomaly_z"]
        return {
            "category_code": "anomaly",
            "name": _(
                "Anomaly: %(label)s at %(value)g on %(day)s (usual %(median)g)",
                label=anomaly["label"],
                value=anomaly["value"],
                day=day,
                median=anomaly["median"],
            ),
            "description": anomaly["description"],
            "severity": "high" if bad_side and far else "medium",
            "dedupe_key": anomaly["key"],
            "res_model": anomaly["res_model"],
            "res_id": anomaly["res_id"],
            "company_id": anomaly["company_id"] or self.env.company.id,
        }

    @api.model
    def _resolve_cleared(self, anomalies):
        """Resolve our anomaly exceptions not seen again; anomalies raised by other
        modules (keys without our prefix) are left alone."""
        Exception_ = self.env["workflow.exception"].sudo()
        others = Exception_.search(
            [("category_id.code", "=", "anomaly"), ("state", "in", OPEN_STATES)]
        ).filtered(lambda e: not e.dedupe_key.startswith(KEY_PREFIX))
        Exception_.resolve_cleared(
            "anomaly", [a["key"] for a in anomalies] + others.mapped("dedupe_key")
        )

    @api.model
    def _suggest(self, exceptions, anomalies):
        """One ``anomaly`` suggestion per exception with the evidence, unless the same
        one is already there (a rerun of the same day)."""
        Suggestion = self.env["workflow.ai.suggestion"].sudo()
        already = set(
            Suggestion.search(
                [("exception_id", "in", exceptions.ids), ("kind", "=", "anomaly")]
            ).mapped(lambda s: (s.exception_id.id, s.content))
        )
        vals = []
        for exception, anomaly in zip(exceptions, anomalies):
            content = _(
                "%(label)s: %(value)g instead of about %(median)g (z %(z)+.1f)",
                label=anomaly["label"],
                value=anomaly["value"],
                median=anomaly["median"],
                z=anomaly["z"],
            )
            if (exception.id, content) in already:
                continue
            vals.append(
                {
                    "exception_id": exception.id,
                    "kind": "anomaly",
                    "content": content,
                    "evidence": anomaly["description"],
                    "confidence": anomaly["confidence"],
                    "model_version": "median/MAD same weekday",
                }
            )
        return Suggestion.create(vals)


def _fill_days(points, day):
    """``points`` ({date: count}) with every day from the first one to ``day``, the
    missing ones at 0."""
    current, filled = min(points), {}
    while current <= day:
        filled[current] = points.get(current, 0)
        current += timedelta(days=1)
    return filled
