# Copyright 2026 Workflow Monitor
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

from datetime import timedelta

from odoo import _, api, models
from odoo.tools import SQL

from odoo.addons.workflow_monitor_base.tools import clock, cron_run_alone

from .stock_warehouse import DISPATCH_DUE_SQL

OPEN_PICKING = ("draft", "done", "cancel")


class WorkflowDistributionDetector(models.AbstractModel):
    """Distribution detectors, one Scheduled Action each.

    Every detector is one grouped SQL query that returns the problems that exist now;
    the exceptions are upserted in one batch and the ones no longer seen are resolved
    (``resolve_cleared``), so a detector run twice changes nothing and fixes clear
    their exception by themselves. Thresholds come from the warehouse (Workflow
    Monitor page) or, when empty, from Settings.
    """

    _name = "workflow.distribution.detector"
    _description = "Workflow Monitor Distribution Detectors"

    # ------------------------------------------------------------
    # RUNNER
    # ------------------------------------------------------------

    @api.model
    def _detectors(self):
        """The detector codes, in the order a full pass runs them: each has its method
        ``_detect_<code>(now)``, its category and its cron. A module adding detectors
        (one file per concern) extends ``super()``'s tuple."""
        return (
            "late_delivery",
            "allocation_delay",
            "supplier_delay",
            "backorder_aging",
            "invoice_mismatch",
            "stock_shortage",
            "credit_hold",
        )

    @api.model
    def _cron_detect(self, detector):
        """Run one detector: raise what it sees, resolve what it no longer sees."""
        if detector not in self._detectors():
            raise ValueError(f"Unknown detector {detector}")
        if not cron_run_alone(self.env, f"workflow_monitor_detect_{detector}"):
            return 0
        self.env.flush_all()  # the detectors read the tables directly
        now = clock.now(self.env)
        vals_list = getattr(self, f"_detect_{detector}")(now)
        # sudo: detectors run as a scheduled action on every company's documents
        exceptions = self.env["workflow.exception"].sudo()
        exceptions.raise_exceptions(vals_list)
        exceptions.resolve_cleared(detector, [vals["dedupe_key"] for vals in vals_list])
        self._after_detect(detector, now)
        self.env["ir.cron"]._notify_progress(done=len(vals_list), remaining=0)
        return len(vals_list)

    def _after_detect(self, detector, now):
        """Hook run after a detector raised and resolved its exceptions (the causal
        chains' impact pass: workflow_causal_chain.py)."""

    def _param(self, key, default):
        value = self.env["ir.config_parameter"].sudo().get_param(f"workflow_monitor.{key}")
        return float(value) if value not in (None, False, "") else default

    def _rows(self, query):
        self.env.cr.execute(query)
        return self.env.cr.dictfetchall()

    def _vals(self, code, row, name, description, key, severity=None, res_model=None):
        warehouse_id = row.get("warehouse_id")
        return {
            "category_code": code,
            "res_model": res_model,
            "res_id": row["res_id"],
            "company_id": row["company_id"],
            "team_id": row.get("team_id") or False,
            "node_ref": f"stock.warehouse,{warehouse_id}" if warehouse_id else False,
            "name": name,
            "description": description,
            "dedupe_key": key,
            "severity": severity,
        }

    # ------------------------------------------------------------
    # DETECTORS
    # ------------------------------------------------------------

    def _detect_late_delivery(self, now):
        default = self._param("late_tolerance_hours", 4.0)
        rows = self._rows(
            SQL(
                """WITH %(rules)s, due AS (
                   SELECT p.id AS res_id, p.name, p.company_id, w.id AS warehouse_id,
                          w.workflow_team_id AS team_id, w.workflow_late_tolerance_hours,
                          %(due)s AS scheduled_date
                     FROM stock_picking p
                     JOIN stock_picking_type t ON t.id = p.picking_type_id
                                              AND t.code = 'outgoing'
                     LEFT JOIN stock_warehouse w ON w.id = t.warehouse_id
                     LEFT JOIN dispatch_rules r ON r.warehouse_id = t.warehouse_id
                     LEFT JOIN sale_order so ON so.id = p.sale_id
                    WHERE p.state NOT IN %(closed)s AND p.scheduled_date < %(now)s
                      -- shipments to transit are transfers (transfer_delay)
                      AND p.workflow_transfer_stage IS NULL)
               SELECT res_id, name, company_id, warehouse_id, team_id, scheduled_date,
                      EXTRACT(EPOCH FROM %(now)s - scheduled_date) / 3600.0 AS late_hours
                 FROM due
                WHERE scheduled_date + make_interval(secs => 3600 * COALESCE(
                        NULLIF(workflow_late_tolerance_hours, 0), %(default)s)) < %(now)s""",
                rules=self.env["stock.warehouse"]._workflow_dispatch_rules_sql(),
                due=SQL(DISPATCH_DUE_SQL),
                now=now,
                closed=OPEN_PICKING,
                default=default,
            )
        )
        return [
            self._vals(
                "late_delivery",
                row,
                _(
                    "Late delivery %(name)s: %(hours).1f h past its scheduled date",
                    name=row["name"],
                    hours=row["late_hours"],
                ),
                _("Scheduled for %(date)s (UTC).", date=row["scheduled_date"]),
                f"stock.picking,{row['res_id']}",
                severity="high" if row["late_hours"] > 48 else "medium",
                res_model="stock.picking",
            )
            for row in rows
        ]

    def _detect_allocation_delay(self, now):
        default = self._param("allocation_delay_hours", 24.0)
        rows = self._rows(
            SQL(
                """SELECT o.id AS res_id, o.name, o.company_id, w.id AS warehouse_id,
                      w.workflow_team_id AS team_id, o.date_order,
                      EXTRACT(EPOCH FROM %(now)s - o.date_order) / 3600.0 AS hours,
                      count(p.id) AS pickings
                 FROM sale_order o
                 JOIN stock_picking p ON p.sale_id = o.id AND p.state IN ('confirmed', 'waiting')
                 JOIN stock_picking_type t ON t.id = p.picking_type_id AND t.code = 'outgoing'
                 LEFT JOIN stock_warehouse w ON w.id = o.warehouse_id
                WHERE o.state = 'sale'
                  AND o.date_order + make_interval(secs => 3600 * COALESCE(
                        NULLIF(w.workflow_allocation_delay_hours, 0), %(default)s)) < %(now)s
                GROUP BY o.id, w.id""",
                now=now,
                default=default,
            )
        )
        return [
            self._vals(
                "allocation_delay",
                row,
                _(
                    "%(name)s not allocated %(hours).0f h after confirmation",
                    name=row["name"],
                    hours=row["hours"],
                ),
                _("%(count)s delivery(ies) still wait for stock.", count=row["pickings"]),
                f"sale.order,{row['res_id']}",
                res_model="sale.order",
            )
            for row in rows
        ]

    def _detect_supplier_delay(self, now):
        delay_days = self._param("supplier_delay_days", 1.0)
        rfq_days = self._param("rfq_answer_days", 3.0)
        late = self._rows(
            SQL(
                """SELECT o.id AS res_id, o.name, o.company_id, w.id AS warehouse_id,
                      w.workflow_team_id AS team_id, min(l.date_planned) AS planned,
                      count(*) AS lines, p.name AS vendor
                 FROM purchase_order o
                 JOIN purchase_order_line l ON l.order_id = o.id AND l.display_type IS NULL
                 JOIN res_partner p ON p.id = o.partner_id
                 LEFT JOIN stock_picking_type t ON t.id = o.picking_type_id
                 LEFT JOIN stock_warehouse w ON w.id = t.warehouse_id
                WHERE o.state = 'purchase' AND l.qty_received < l.product_qty
                  AND l.date_planned < %(limit)s
                GROUP BY o.id, w.id, p.name""",
                limit=now - timedelta(days=delay_days),
            )
        )
        unanswered = self._rows(
            SQL(
                """SELECT o.id AS res_id, o.name, o.company_id, w.id AS warehouse_id,
                      w.workflow_team_id AS team_id, i.stage_entered_at AS sent_at,
                      p.name AS vendor
                 FROM purchase_order o
                 JOIN res_partner p ON p.id = o.partner_id
                 JOIN workflow_instance i ON i.res_model = 'purchase.order' AND i.res_id = o.id
                 JOIN workflow_definition d ON d.id = i.definition_id AND d.code = 'procure_to_pay'
                 LEFT JOIN stock_picking_type t ON t.id = o.picking_type_id
                 LEFT JOIN stock_warehouse w ON w.id = t.warehouse_id
                WHERE o.state = 'sent' AND i.stage_entered_at < %(limit)s""",
                limit=now - timedelta(days=rfq_days),
            )
        )
        vals = [
            self._vals(
                "supplier_delay",
                row,
                _(
                    "%(name)s (%(vendor)s): %(count)s line(s) past their planned date",
                    name=row["name"],
                    vendor=row["vendor"],
                    count=row["lines"],
                ),
                _("Planned for %(date)s (UTC) and not fully received.", date=row["planned"]),
                f"po:{row['res_id']}",
                res_model="purchase.order",
            )
            for row in late
        ]
        vals += [
            self._vals(
                "supplier_delay",
                row,
                _(
                    "RFQ %(name)s sent to %(vendor)s is unanswered",
                    name=row["name"],
                    vendor=row["vendor"],
                ),
                _("Sent on %(date)s (UTC), still not confirmed.", date=row["sent_at"]),
                f"rfq:{row['res_id']}",
                severity="low",
                res_model="purchase.order",
            )
            for row in unanswered
        ]
        return vals

    def _detect_backorder_aging(self, now):
        default = self._param("backorder_aging_days", 5.0)
        rows = self._rows(
            SQL(
                """SELECT p.id AS res_id, p.name, p.company_id, w.id AS warehouse_id,
                      w.workflow_team_id AS team_id, b.name AS origin,
                      EXTRACT(EPOCH FROM %(now)s - p.date) / 86400.0 AS days
                 FROM stock_picking p
                 JOIN stock_picking b ON b.id = p.backorder_id
                 JOIN stock_picking_type t ON t.id = p.picking_type_id
                 LEFT JOIN stock_warehouse w ON w.id = t.warehouse_id
                WHERE p.state NOT IN %(closed)s
                  AND p.date + make_interval(secs => 86400 * COALESCE(
                        NULLIF(w.workflow_backorder_aging_days, 0), %(default)s)) < %(now)s""",
                now=now,
                closed=OPEN_PICKING,
                default=default,
            )
        )
        return [
            self._vals(
                "backorder_aging",
                row,
                _(
                    "Backorder %(name)s open for %(days).1f days",
                    name=row["name"],
                    days=row["days"],
                ),
                _("Backorder of %(origin)s.", origin=row["origin"]),
                f"stock.picking,{row['res_id']}",
                severity="high" if row["days"] > 14 else "medium",
                res_model="stock.picking",
            )
            for row in rows
        ]

    def _detect_invoice_mismatch(self, now):
        price_tolerance = self._param("invoice_price_tolerance", 2.0)
        qty_tolerance = self._param("invoice_qty_tolerance", 0.0)
        bills = self._mismatched_bills(price_tolerance, qty_tolerance)
        invoices = self._overinvoiced_orders(qty_tolerance)
        return [self._mismatched_bill_vals(row, price_tolerance) for row in bills] + [
            self._overinvoiced_order_vals(row) for row in invoices
        ]

    def _mismatched_bills(self, price_tolerance, qty_tolerance):
        """Vendor bills billing more than received, or at another price than ordered."""
        return self._rows(
            SQL(
                """WITH billed AS (
                   SELECT aml.purchase_line_id,
                          sum(CASE WHEN m.move_type = 'in_refund' THEN -aml.quantity
                                   ELSE aml.quantity END) AS qty
                     FROM account_move_line aml
                     JOIN account_move m ON m.id = aml.move_id
                    WHERE aml.purchase_line_id IS NOT NULL AND m.state != 'cancel'
                      AND m.move_type IN ('in_invoice', 'in_refund')
                    GROUP BY aml.purchase_line_id)
               SELECT m.id AS res_id, m.name, m.company_id, w.id AS warehouse_id,
                      w.workflow_team_id AS team_id, o.name AS po,
                      bool_or(b.qty > l.qty_received + %(qty_tol)s) AS qty_issue,
                      bool_or(l.price_unit != 0 AND abs(aml.price_unit - l.price_unit)
                              / abs(l.price_unit) * 100 > %(price_tol)s) AS price_issue
                 FROM account_move m
                 JOIN account_move_line aml ON aml.move_id = m.id
                 JOIN purchase_order_line l ON l.id = aml.purchase_line_id
                 JOIN purchase_order o ON o.id = l.order_id
                 JOIN billed b ON b.purchase_line_id = l.id
                 LEFT JOIN stock_picking_type t ON t.id = o.picking_type_id
                 LEFT JOIN stock_warehouse w ON w.id = t.warehouse_id
                WHERE m.move_type = 'in_invoice' AND m.state != 'cancel'
                GROUP BY m.id, w.id, o.name
               HAVING bool_or(b.qty > l.qty_received + %(qty_tol)s)
                   OR bool_or(l.price_unit != 0 AND abs(aml.price_unit - l.price_unit)
                              / abs(l.price_unit) * 100 > %(price_tol)s)""",
                qty_tol=qty_tolerance,
                price_tol=price_tolerance,
            )
        )

    def _overinvoiced_orders(self, qty_tolerance):
        """Confirmed sale orders with lines invoiced above the delivered quantity."""
        return self._rows(
            SQL(
                """SELECT o.id AS res_id, o.name, o.company_id, w.id AS warehouse_id,
                      w.workflow_team_id AS team_id, count(*) AS lines
                 FROM sale_order o
                 JOIN sale_order_line l ON l.order_id = o.id
                 LEFT JOIN stock_warehouse w ON w.id = o.warehouse_id
                WHERE o.state = 'sale' AND l.qty_delivered_method = 'stock_move'
                  AND l.qty_invoiced > l.qty_delivered + %(qty_tol)s
                GROUP BY o.id, w.id""",
                qty_tol=qty_tolerance,
            )
        )

    def _mismatched_bill_vals(self, row, price_tolerance):
        issues = []
        if row["qty_issue"]:
            issues.append(_("billed quantity above the received quantity"))
        if row["price_issue"]:
            issues.append(
                _(
                    "price differs from the purchase order by more than %(tol)s%%",
                    tol=price_tolerance,
                )
            )
        return self._vals(
            "invoice_mismatch",
            row,
            _(
                "Vendor bill %(name)s does not match %(po)s",
                name=row["name"] or "/",
                po=row["po"],
            ),
            "; ".join(issues).capitalize() + ".",
            f"account.move,{row['res_id']}",
            res_model="account.move",
        )

    def _overinvoiced_order_vals(self, row):
        return self._vals(
            "invoice_mismatch",
            row,
            _("%(name)s: invoiced more than delivered", name=row["name"]),
            _("%(count)s line(s) invoiced above the delivered quantity.", count=row["lines"]),
            f"sale.order,{row['res_id']}",
            res_model="sale.order",
        )

    def _detect_stock_shortage(self, now):
        rows = self._rows(
            SQL(
                """WITH demand AS (
                   SELECT m.product_id, t.warehouse_id, m.company_id,
                          sum(m.product_qty) AS demand, sum(m.quantity) AS reserved
                     FROM stock_move m
                     JOIN stock_picking_type t ON t.id = m.picking_type_id AND t.code = 'outgoing'
                    WHERE m.state IN ('confirmed', 'waiting', 'partially_available')
                      AND t.warehouse_id IS NOT NULL
                    GROUP BY m.product_id, t.warehouse_id, m.company_id),
               free AS (
                   SELECT q.product_id, w.id AS warehouse_id,
                          sum(q.quantity - q.reserved_quantity) AS free
                     FROM stock_quant q
                     JOIN stock_location l ON l.id = q.location_id AND l.usage = 'internal'
                     JOIN stock_warehouse w ON w.id = l.warehouse_id
                    GROUP BY q.product_id, w.id)
               SELECT d.product_id AS res_id, d.warehouse_id, d.company_id,
                      w.workflow_team_id AS team_id, w.name AS warehouse,
                      d.demand - d.reserved AS missing, COALESCE(f.free, 0) AS free
                 FROM demand d
                 JOIN stock_warehouse w ON w.id = d.warehouse_id
                 LEFT JOIN free f ON f.product_id = d.product_id
                                 AND f.warehouse_id = d.warehouse_id
                WHERE d.demand - d.reserved > COALESCE(f.free, 0)"""
            )
        )
        products = {
            p.id: p.display_name
            for p in self.env["product.product"].sudo().browse([r["res_id"] for r in rows])
        }
        return [
            self._vals(
                "stock_shortage",
                row,
                _(
                    "Shortage of %(product)s in %(warehouse)s",
                    product=products[row["res_id"]],
                    warehouse=row["warehouse"],
                ),
                _(
                    "Open demand not reserved: %(missing)s; free stock: %(free)s.",
                    missing=round(row["missing"], 2),
                    free=round(row["free"], 2),
                ),
                f"shortage:{row['res_id']}:{row['warehouse_id']}",
                severity="high",
                res_model="product.product",
            )
            for row in rows
        ]

    def _detect_credit_hold(self, now):
        rows = self._rows(
            SQL(
                """SELECT o.id AS res_id, o.name, o.company_id, w.id AS warehouse_id,
                      w.workflow_team_id AS team_id, p.commercial_partner_id AS partner_id,
                      sum(l.price_total * (l.product_uom_qty - l.qty_invoiced)
                          / NULLIF(l.product_uom_qty, 0)) AS amount_to_invoice
                 FROM sale_order o
                 JOIN sale_order_line l ON l.order_id = o.id AND l.product_uom_qty > l.qty_invoiced
                 JOIN res_partner p ON p.id = o.partner_id
                 JOIN res_company c ON c.id = o.company_id AND c.account_use_credit_limit
                 LEFT JOIN stock_warehouse w ON w.id = o.warehouse_id
                WHERE o.state = 'sale' AND o.invoice_status != 'invoiced'
                GROUP BY o.id, w.id, p.commercial_partner_id"""
            )
        )
        if not rows:
            return []
        partners = {r["partner_id"] for r in rows}
        self.env.cr.execute(
            SQL(
                """SELECT aml.partner_id, aml.company_id, sum(aml.amount_residual)
                 FROM account_move_line aml
                 JOIN account_account a ON a.id = aml.account_id
                                       AND a.account_type = 'asset_receivable'
                WHERE aml.parent_state = 'posted' AND aml.partner_id = ANY(%s)
                GROUP BY aml.partner_id, aml.company_id""",
                list(partners),
            )
        )
        receivable = {(p, c): amount for p, c, amount in self.env.cr.fetchall()}
        to_invoice = {}
        for row in rows:
            key = (row["partner_id"], row["company_id"])
            to_invoice[key] = to_invoice.get(key, 0.0) + (row["amount_to_invoice"] or 0.0)
        limits = {}
        Partner = self.env["res.partner"].sudo()
        for company_id in {r["company_id"] for r in rows}:
            for partner in Partner.with_company(company_id).browse(list(partners)):
                limits[(partner.id, company_id)] = (partner.credit_limit, partner.name)
        vals = []
        for row in rows:
            key = (row["partner_id"], row["company_id"])
            limit, partner_name = limits.get(key, (0.0, ""))
            exposure = receivable.get(key, 0.0) + to_invoice[key]
            if limit and exposure > limit:
                vals.append(
                    self._vals(
                        "credit_hold",
                        row,
                        _(
                            "%(name)s: %(partner)s is over its credit limit",
                            name=row["name"],
                            partner=partner_name,
                        ),
                        _(
                            "Exposure %(exposure)s (receivable and confirmed, not invoiced) for a "
                            "limit of %(limit)s.",
                            exposure=round(exposure, 2),
                            limit=round(limit, 2),
                        ),
                        f"sale.order,{row['res_id']}",
                        severity="high",
                        res_model="sale.order",
                    )
                )
        return vals
