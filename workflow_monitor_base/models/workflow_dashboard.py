# Copyright 2026 Workflow Monitor
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

from datetime import timedelta
from typing import NamedTuple

from odoo import _, api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import SQL

from ..tools.severity import SEVERITY_CODES
from .workflow_exception import OPEN_STATES


class AgeBucket(NamedTuple):
    key: str
    label: str
    low: int  # hours, included
    high: int | None  # hours, excluded; None: no upper bound


AGE_BUCKETS = (
    AgeBucket("lt4h", "< 4 h", 0, 4),
    AgeBucket("4_24h", "4-24 h", 4, 24),
    AgeBucket("1_3d", "1-3 d", 24, 72),
    AgeBucket("3_7d", "3-7 d", 72, 168),
    AgeBucket("gt7d", "> 7 d", 168, None),
)
SEVERITY_ORDER = tuple(reversed(SEVERITY_CODES))  # most severe first
TECHNICAL_CATEGORIES = ("automation_failure", "cron_failure", "security_signal")
CRON_FIELDS = (
    "cron_name",
    "active",
    "failure_count",
    "first_failure_date",
    "nextcall",
    "lastcall",
    "workflow_deactivated_at",
)
LAYER_GROUPS = (
    ("operations", "workflow_monitor_base.group_workflow_user"),
    ("executive", "workflow_monitor_base.group_workflow_manager"),
    ("technical", "workflow_monitor_base.group_workflow_admin"),
)


class WorkflowDashboard(models.AbstractModel):
    """Everything the Workflow Monitor dashboard shows, in one call, from grouped
    queries (never by loading records). Each figure comes with the domain of the list
    it summarises, so the client drills down to exactly the records counted."""

    _name = "workflow.dashboard"
    _description = "Workflow Monitor Dashboard"

    @api.model
    def get_dashboard_data(self, filters=None):
        filters = self._dashboard_filters(filters or {})
        layers = self._dashboard_layers()
        if not layers:
            raise AccessError(
                _("The Workflow Monitor dashboard needs the Workflow Monitor / User group.")
            )
        now = fields.Datetime.now()
        data = {
            "generated_at": fields.Datetime.to_string(now),
            "layers": layers,
            "filters": filters,
            "companies": [[company.id, company.name] for company in self.env.companies],
            "nodes": self._dashboard_nodes(filters),
            "refresh_seconds": int(
                self.env["ir.config_parameter"]
                .sudo()
                .get_param("workflow_monitor.dashboard_refresh_seconds", 60)
            ),
            "buckets": [{"key": bucket.key, "label": bucket.label} for bucket in AGE_BUCKETS],
        }
        if "operations" in layers:
            data["aging"] = self._dashboard_aging(filters, now)
            data["exceptions"] = self._dashboard_exceptions(filters, now)
            data["sla"] = self._dashboard_sla(filters, now)
            data["throughput"] = self._dashboard_throughput(filters, now)
            data["stage_times"] = self._dashboard_stage_times(filters, now)
            data["causes"] = self._dashboard_causes(filters)
            data["risk"] = self._dashboard_risk(filters)
        data["kpis"] = self._dashboard_kpis(filters, layers)
        if "technical" in layers:
            data["technical"] = self._dashboard_technical(filters, now)
        return data

    # ------------------------------------------------------------
    # FILTERS AND ACCESS
    # ------------------------------------------------------------

    @api.model
    def _dashboard_layers(self):
        return [layer for layer, group in LAYER_GROUPS if self.env.user.has_group(group)]

    @api.model
    def _dashboard_filters(self, filters):
        # the filters come from the client as they are: refuse what is not well formed
        if not isinstance(filters, dict):
            raise UserError(_("The dashboard filters must be an object."))
        allowed = self.env.companies.ids
        requested = filters.get("company_ids") or []
        try:
            if not isinstance(requested, (list, tuple)):
                raise TypeError(requested)
            requested = [int(c) for c in requested]
        except (TypeError, ValueError):
            raise UserError(
                _("The companies must be given by their ids (field: company).")
            ) from None
        company_ids = [c for c in requested if c in allowed]
        if requested and not company_ids:
            raise UserError(_("You cannot see the dashboard of these companies (field: company)."))
        if filters.get("node") and not isinstance(filters["node"], str):
            raise UserError(_("Unknown node '%(node)s' (field: node).", node=filters["node"]))
        period = filters.get("period_days")
        try:
            period_days = 30 if period is None or period is False or period == "" else int(period)
        except (TypeError, ValueError):
            period_days = 0
        if not 1 <= period_days <= 366:
            raise UserError(_("The period must be between 1 and 366 days (field: period)."))
        return {
            "company_ids": company_ids or allowed,
            "node": filters.get("node") or False,
            "period_days": period_days,
        }

    @api.model
    def _dashboard_nodes(self, filters):
        """Hook: [{'ref': 'stock.warehouse,3', 'name': ...}] offered as node filter."""
        return []

    @api.model
    def _dashboard_node_domain(self, model_name, node):
        """Extra domain restricting ``model_name`` records to a node."""
        if not node:
            return []
        if node not in {n["ref"] for n in self._dashboard_nodes({})}:
            raise UserError(_("Unknown node '%(node)s' (field: node).", node=node))
        if model_name == "workflow.event":
            return [("instance_id.node_ref", "=", node)]
        return [("node_ref", "=", node)]

    def _base_domain(self, model_name, filters):
        domain = [("company_id", "in", filters["company_ids"])]
        return domain + self._dashboard_node_domain(model_name, filters["node"])

    @staticmethod
    def _bucket_domain(field, now, low, high):
        domain = []
        if low:
            domain.append((field, "<=", fields.Datetime.to_string(now - timedelta(hours=low))))
        if high is not None:
            domain.append((field, ">", fields.Datetime.to_string(now - timedelta(hours=high))))
        return domain

    def _bucket_domains(self, domain, field, now):
        """``domain`` restricted to each age bucket of ``field``, in bucket order."""
        return [
            domain + self._bucket_domain(field, now, bucket.low, bucket.high)
            for bucket in AGE_BUCKETS
        ]

    @staticmethod
    def _bucket_case(column, now):
        """SQL CASE giving the index of the age bucket of ``column`` at ``now``; the
        bounds are the ones of :meth:`_bucket_domain`, so counts and lists agree."""
        whens = [
            SQL("WHEN %s > %s THEN %s", column, now - timedelta(hours=bucket.high), index)
            for index, bucket in enumerate(AGE_BUCKETS)
            if bucket.high is not None
        ]
        return SQL("CASE %s ELSE %s END", SQL(" ").join(whens), len(AGE_BUCKETS) - 1)

    def _grouped(self, model_name, domain, columns, groupby):
        """Run ``SELECT columns ... GROUP BY groupby`` over ``domain`` with the user's
        record rules applied (the query of ``_search``)."""
        self.env[model_name].flush_model()
        query = self.env[model_name]._search(domain)
        query.order = None
        query.groupby = groupby
        self.env.cr.execute(query.select(*columns))
        return self.env.cr.fetchall()

    # ------------------------------------------------------------
    # OPERATIONS
    # ------------------------------------------------------------

    def _dashboard_aging(self, filters, now):
        Instance = self.env["workflow.instance"]
        table = Instance._table
        domain = self._base_domain("workflow.instance", filters) + [("state", "=", "running")]
        bucket = self._bucket_case(SQL.identifier(table, "stage_entered_at"), now)
        rows = self._grouped(
            "workflow.instance",
            domain,
            [
                SQL.identifier(table, "definition_id"),
                SQL.identifier(table, "stage_id"),
                bucket,
                SQL("count(*)"),
            ],
            SQL("1, 2, 3"),
        )
        definitions = self.env["workflow.definition"].sudo().browse({r[0] for r in rows})
        stages = self.env["workflow.stage"].sudo().browse({r[1] for r in rows if r[1]})
        stage_info = {s.id: (s.sequence, s.name) for s in stages}
        def_names = {d.id: d.name for d in definitions}
        table_rows = {}
        for definition_id, stage_id, bucket_index, count in rows:
            key = (definition_id, stage_id or False)
            row = table_rows.setdefault(
                key,
                {
                    "definition_id": definition_id,
                    "definition": def_names.get(definition_id, ""),
                    "stage_id": stage_id or False,
                    "stage": stage_info.get(stage_id, (0, _("No stage")))[1],
                    "sequence": stage_info.get(stage_id, (0, ""))[0],
                    "counts": [0] * len(AGE_BUCKETS),
                    "total": 0,
                },
            )
            row["counts"][bucket_index] += count
            row["total"] += count
        result = sorted(table_rows.values(), key=lambda r: (r["definition"], r["sequence"]))
        for row in result:
            row["domain"] = domain + [
                ("definition_id", "=", row["definition_id"]),
                ("stage_id", "=", row["stage_id"]),
            ]
            row["domains"] = self._bucket_domains(row["domain"], "stage_entered_at", now)
            row["extra"] = {}
        return {
            "rows": result,
            "total": sum(r["total"] for r in result),
            "domain": domain,
            "columns": self._dashboard_aging_columns(domain, result),
        }

    def _dashboard_aging_columns(self, domain, rows):
        """Extra columns of the queue-aging table (``domain``: its open instances),
        declared by other modules: each returns ``{"key", "label", "help"}`` and fills
        ``row["extra"][key]`` of the ``rows`` with ``{"count", "domain"}`` (a subset of
        the row's instances, the domain opening exactly them). Base has none; approvals
        adds "awaiting approval"."""
        return []

    def _dashboard_exceptions(self, filters, now):
        domain = self._base_domain("workflow.exception", filters) + [("state", "in", OPEN_STATES)]
        result = self._exception_rows(domain, now)
        by_severity = {sev: 0 for sev in SEVERITY_ORDER}
        for row in result:
            by_severity[row["severity"]] += row["total"]
        overdue_domain = domain + [("response_deadline", "<", fields.Datetime.to_string(now))]
        overdue = self._grouped("workflow.exception", overdue_domain, [SQL("count(*)")], None)
        return {
            "rows": result,
            "total": sum(by_severity.values()),
            "by_severity": [
                {
                    "severity": sev,
                    "count": by_severity[sev],
                    "domain": domain + [("severity", "=", sev)],
                }
                for sev in SEVERITY_ORDER
            ],
            "overdue": overdue[0][0] if overdue else 0,
            "overdue_domain": overdue_domain,
            "domain": domain,
        }

    def _exception_rows(self, domain, now):
        """Open exceptions as category x severity rows of age-bucket counts, most
        severe first, each with the domains of its cells."""
        table = self.env["workflow.exception"]._table
        bucket = self._bucket_case(SQL.identifier(table, "first_seen"), now)
        rows = self._grouped(
            "workflow.exception",
            domain,
            [
                SQL.identifier(table, "category_id"),
                SQL.identifier(table, "severity"),
                bucket,
                SQL("count(*)"),
            ],
            SQL("1, 2, 3"),
        )
        categories = {
            c.id: c.name
            for c in self.env["workflow.exception.category"].sudo().browse({r[0] for r in rows})
        }
        matrix = {}
        for category_id, severity, bucket_index, count in rows:
            row = matrix.setdefault(
                (category_id, severity),
                {
                    "category_id": category_id,
                    "category": categories.get(category_id, ""),
                    "severity": severity,
                    "counts": [0] * len(AGE_BUCKETS),
                    "total": 0,
                },
            )
            row["counts"][bucket_index] += count
            row["total"] += count
        result = sorted(
            matrix.values(), key=lambda r: (SEVERITY_ORDER.index(r["severity"]), r["category"])
        )
        for row in result:
            row["domain"] = domain + [
                ("category_id", "=", row["category_id"]),
                ("severity", "=", row["severity"]),
            ]
            row["domains"] = self._bucket_domains(row["domain"], "first_seen", now)
        return result

    def _dashboard_sla(self, filters, now):
        table = self.env["workflow.instance"]._table
        base = self._base_domain("workflow.instance", filters) + [("state", "=", "running")]
        soon = fields.Datetime.to_string(now + timedelta(hours=24))
        at_risk_domain = base + [
            ("sla_state", "in", ("on_track", "warning")),
            ("sla_deadline", "<=", soon),
        ]
        breached_domain = base + [("sla_state", "=", "breached")]
        warning_domain = base + [("sla_state", "=", "warning")]
        rows = self._grouped(
            "workflow.instance",
            base + [("sla_state", "in", ("on_track", "warning", "breached"))],
            [
                SQL(
                    "count(*) FILTER (WHERE %s IN ('on_track', 'warning') AND %s <= %s)",
                    SQL.identifier(table, "sla_state"),
                    SQL.identifier(table, "sla_deadline"),
                    now + timedelta(hours=24),
                ),
                SQL("count(*) FILTER (WHERE %s = 'breached')", SQL.identifier(table, "sla_state")),
                SQL("count(*) FILTER (WHERE %s = 'warning')", SQL.identifier(table, "sla_state")),
            ],
            None,
        )
        at_risk, breached, warning = rows[0] if rows else (0, 0, 0)
        Instance = self.env["workflow.instance"]
        top = Instance.search_read(
            at_risk_domain,
            ["name", "stage_id", "sla_deadline", "sla_state", "definition_id"],
            order="sla_deadline asc",
            limit=10,
        )
        worst = Instance.search_read(
            breached_domain,
            ["name", "stage_id", "sla_deadline", "definition_id"],
            order="sla_deadline asc",
            limit=10,
        )
        return {
            "at_risk": at_risk,
            "at_risk_domain": at_risk_domain,
            "breached": breached,
            "breached_domain": breached_domain,
            "warning": warning,
            "warning_domain": warning_domain,
            "at_risk_items": top,
            "breached_items": worst,
        }

    @api.model
    def _dashboard_risk(self, filters):
        """Hook for workflow_monitor_ai: the riskiest open instances by predicted breach
        risk, as ``{state, message, domain, items: [{id, name, risk, stage,
        definition}]}`` in one query; empty here (the dashboard then shows no list)."""
        return []

    def _dashboard_throughput(self, filters, now):
        table = self.env["workflow.event"]._table
        start = (now - timedelta(days=filters["period_days"] - 1)).replace(
            hour=0, minute=0, second=0, microsecond=0
        )
        domain = self._base_domain("workflow.event", filters) + [
            ("event_type", "=", "stage"),
            ("occurred_at", ">=", fields.Datetime.to_string(start)),
        ]
        rows = self._grouped(
            "workflow.event",
            domain,
            [
                SQL("date_trunc('day', %s)::date", SQL.identifier(table, "occurred_at")),
                SQL("count(*)"),
                SQL(
                    "count(*) FILTER (WHERE %s IN (SELECT id FROM workflow_stage WHERE is_final))",
                    SQL.identifier(table, "stage_to_id"),
                ),
            ],
            SQL("1"),
        )
        counts = {day: (count, finished) for day, count, finished in rows}
        days = []
        for offset in range(filters["period_days"]):
            day = (start + timedelta(days=offset)).date()
            count, finished = counts.get(day, (0, 0))
            day_start = fields.Datetime.to_string(start + timedelta(days=offset))
            day_end = fields.Datetime.to_string(start + timedelta(days=offset + 1))
            days.append(
                {
                    "date": fields.Date.to_string(day),
                    "events": count,
                    "completed": finished,
                    "domain": domain
                    + [("occurred_at", ">=", day_start), ("occurred_at", "<", day_end)],
                }
            )
        return {"days": days, "total": sum(d["events"] for d in days), "domain": domain}

    def _dashboard_stage_times(self, filters, now):
        """Time spent in each stage of each flow within the period: exits, p50 and p90
        (one grouped query); each row opens the stage events it measures."""
        table = self.env["workflow.event"]._table
        start = (now - timedelta(days=filters["period_days"] - 1)).replace(
            hour=0, minute=0, second=0, microsecond=0
        )
        domain = self._base_domain("workflow.event", filters) + [
            ("event_type", "=", "stage"),
            ("stage_from_id", "!=", False),
            ("duration_seconds", "!=", False),
            ("occurred_at", ">=", fields.Datetime.to_string(start)),
        ]
        duration = SQL.identifier(table, "duration_seconds")
        rows = self._grouped(
            "workflow.event",
            domain,
            [
                SQL.identifier(table, "definition_id"),
                SQL.identifier(table, "stage_from_id"),
                SQL("count(*)"),
                SQL("percentile_cont(0.5) WITHIN GROUP (ORDER BY %s) / 3600.0", duration),
                SQL("percentile_cont(0.9) WITHIN GROUP (ORDER BY %s) / 3600.0", duration),
            ],
            SQL("1, 2"),
        )
        # the events keep the ids of stages a module uninstall removed: those are skipped
        stages = self.env["workflow.stage"].sudo().browse({r[1] for r in rows}).exists()
        definitions = (
            self.env["workflow.definition"].sudo().browse({r[0] for r in rows if r[0]}).exists()
        )
        stage_info = {s.id: (s.sequence, s.name) for s in stages}
        def_names = {d.id: d.name for d in definitions}
        rows = [row for row in rows if row[1] in stage_info]
        result = [
            {
                "definition_id": definition_id or False,
                "definition": def_names.get(definition_id, ""),
                "stage_id": stage_id,
                "stage": stage_info.get(stage_id, (0, ""))[1],
                "sequence": stage_info.get(stage_id, (0, ""))[0],
                "count": count,
                "p50_hours": round(p50 or 0.0, 2),
                "p90_hours": round(p90 or 0.0, 2),
                "domain": domain
                + [("definition_id", "=", definition_id), ("stage_from_id", "=", stage_id)],
            }
            for definition_id, stage_id, count, p50, p90 in rows
        ]
        result.sort(key=lambda r: (r["definition"], r["sequence"]))
        return {"rows": result, "domain": domain}

    def _dashboard_causes(self, filters, limit=10):
        """Causal chains: the open causes with the most impacted documents and revenue at
        risk (open impacts of open causes, both readable by the user), in one query; each
        row drills down to its cause and to its impacts (their documents: through
        ``workflow.exception.action_view_impacted_documents``)."""
        Exception_ = self.env["workflow.exception"]
        Exception_.flush_model()
        self.env["workflow.exception.category"].flush_model(["name"])
        table = Exception_._table
        domain = self._base_domain("workflow.exception", filters) + [
            ("state", "in", OPEN_STATES),
            ("cause_exception_id.state", "in", OPEN_STATES),
        ]
        query = Exception_._search(domain)
        cause = SQL.identifier(table, "cause_exception_id")
        query.groupby = cause
        query.order = SQL("3 DESC, 4 DESC, 1")
        query.limit = limit
        self.env.cr.execute(
            query.select(
                cause,
                SQL(
                    """(SELECT json_build_array(c.name, c.severity, k.code,
                                                COALESCE(k.name ->> %s, k.name ->> 'en_US'))
                          FROM workflow_exception c
                          JOIN workflow_exception_category k ON k.id = c.category_id
                         WHERE c.id = %s)""",
                    self.env.lang or "en_US",
                    cause,
                ),
                SQL(
                    "count(DISTINCT (%s, %s))",
                    SQL.identifier(table, "res_model"),
                    SQL.identifier(table, "res_id"),
                ),
                SQL("COALESCE(sum(%s), 0)::float8", SQL.identifier(table, "impact_amount")),
                SQL("count(*)"),
                SQL("count(*) OVER ()"),
            )
        )
        rows = self.env.cr.fetchall()
        causes = []
        for cause_id, (name, severity, code, category), documents, amount, impacts, _n in rows:
            causes.append(
                {
                    "cause_id": cause_id,
                    "name": name,
                    "severity": severity,
                    "category_code": code,
                    "category": category,
                    "documents": documents,
                    "impacts": impacts,
                    "amount": amount,
                    "cause_domain": [("id", "=", cause_id)],
                    "impact_domain": domain + [("cause_exception_id", "=", cause_id)],
                }
            )
        return {
            "rows": causes,
            "cause_count": rows[0][5] if rows else 0,
            "currency_id": self.env.company.currency_id.id,
            "domain": domain,
        }

    # ------------------------------------------------------------
    # EXECUTIVE (KPI tiles)
    # ------------------------------------------------------------

    def _dashboard_kpis(self, filters, layers):
        kpis = self.env["workflow.kpi"].search([("layer", "in", layers)])
        if not kpis:
            return []
        self.env["workflow.kpi.value"].flush_model()
        node = filters["node"] or ""
        self.env.cr.execute(
            SQL(
                """SELECT kpi_id, date, value FROM (
                       SELECT kpi_id, date, avg(value) AS value,
                              row_number() OVER (PARTITION BY kpi_id ORDER BY date DESC) AS rn
                         FROM workflow_kpi_value
                        WHERE kpi_id = ANY(%s) AND company_id = ANY(%s)
                          AND COALESCE(node_ref, '') = %s
                        GROUP BY kpi_id, date) v
                    WHERE rn <= 14
                    ORDER BY kpi_id, date""",
                kpis.ids,
                filters["company_ids"],
                node,
            )
        )
        trends = {}
        for kpi_id, day, value in self.env.cr.fetchall():
            trends.setdefault(kpi_id, []).append(
                {"date": fields.Date.to_string(day), "value": value}
            )
        tiles = []
        for kpi in kpis:
            trend = trends.get(kpi.id, [])
            value = trend[-1]["value"] if trend else None
            documents = trend and kpi._kpi_documents(
                trend[-1]["date"], filters["company_ids"], filters["node"]
            )
            target, warning = kpi._kpi_target(filters["node"])
            tiles.append(
                {
                    "id": kpi.id,
                    "code": kpi.code,
                    "name": kpi.name,
                    "unit": kpi.unit,
                    "layer": kpi.layer,
                    "direction": kpi.direction,
                    "target": target,
                    "warning": warning,
                    "value": value,
                    "trend": trend,
                    "status": kpi._status_of(value, filters["node"])
                    if value is not None
                    else "none",
                    "description": kpi.description or "",
                    "domain": [
                        ("kpi_id", "=", kpi.id),
                        ("company_id", "in", filters["company_ids"]),
                    ]
                    + ([("node_ref", "=", node)] if node else [("node_ref", "=", False)]),
                    # the records behind the last value, when the provider names them
                    "documents": documents or False,
                }
            )
        return tiles

    # ------------------------------------------------------------
    # TECHNICAL
    # ------------------------------------------------------------

    def _dashboard_technical(self, filters, now):
        return {
            "crons": self._technical_crons(now),
            # sudo: a count of the active jobs, nothing else is read
            "cron_count": self.env["ir.cron"].sudo().search_count([("active", "=", True)]),
            "exceptions": self._technical_exceptions(filters),
            "integrations": self._dashboard_integrations(filters, now),
        }

    def _technical_crons(self, now):
        """The 20 unhealthy scheduled actions the health watch alerts on, worst first."""
        IrCron = self.env["ir.cron"]
        # sudo: workflow admins see the health of scheduled actions (name, failures,
        # lag) without being system administrators; nothing else is read. Jobs Odoo
        # deactivated after repeated failures stay listed (inactive ones included) until
        # they run successfully again.
        crons = (
            IrCron.sudo()
            .with_context(active_test=False)
            .search_read(
                IrCron._workflow_unhealthy_domain(now, IrCron._workflow_lag_minutes()),
                list(CRON_FIELDS),
                order="workflow_deactivated_at desc nulls last, failure_count desc, nextcall asc",
                limit=20,
            )
        )
        for cron in crons:
            cron["lag_minutes"] = (
                max(0, int((now - cron["nextcall"]).total_seconds() // 60))
                if cron["nextcall"]
                else 0
            )
        return crons

    def _technical_exceptions(self, filters):
        """Open automation, scheduled action and security exceptions per category."""
        # sudo: categories are configuration, read for their code and name only
        Category = self.env["workflow.exception.category"].sudo()
        category_ids = Category.search([("code", "in", TECHNICAL_CATEGORIES)]).ids
        domain = self._base_domain("workflow.exception", filters) + [
            ("state", "in", OPEN_STATES),
            ("category_id", "in", category_ids),
        ]
        rows = self._grouped(
            "workflow.exception",
            domain,
            [SQL("%s", SQL.identifier("workflow_exception", "category_id")), SQL("count(*)")],
            SQL("1"),
        )
        names = {c.id: (c.code, c.name) for c in Category.browse([r[0] for r in rows])}
        return [
            {
                "code": names[cid][0],
                "name": names[cid][1],
                "count": count,
                "domain": domain + [("category_id", "=", cid)],
            }
            for cid, count in rows
        ]

    def _dashboard_integrations(self, filters, now):
        """Hook for workflow_monitor_integrations: health of each integration."""
        return []
