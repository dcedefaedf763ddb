# Copyright 2026 Workflow Monitor
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

from datetime import timedelta

from odoo import _, api, fields, models

from odoo.addons.workflow_monitor_base.models.workflow_exception import OPEN_STATES

# Exceptions of these categories are signals (something broke underneath), not the
# symptoms whose burst we explain.
SIGNAL_CATEGORIES = ("integration_failure", "cron_failure", "automation_failure")
# Fields of the linked documents that may explain a burst (when the model has them).
DOCUMENT_FIELDS = (
    "warehouse_id",
    "picking_type_id",
    "product_id",
    "partner_id",
    "carrier_id",
    "user_id",
)
BASELINE_DAYS = 14
MIN_SUPPORT = 2
MIN_LIFT = 1.5
OVERLAP = timedelta(hours=1)


class WorkflowAiRootCause(models.AbstractModel):
    """Root-cause candidates for a burst of exceptions.

    Each exception of the burst is described by signals: the integration, scheduled
    action and automation failures open around its time, and what it shares with the
    others (document model, document, company, team, owner, and the warehouse, product,
    partner, carrier and user of its document). A signal's lift is its share in the
    burst divided by its (smoothed) share among the exceptions of the previous
    ``BASELINE_DAYS`` days; candidates are ranked by lift, with their counts as evidence.
    """

    _name = "workflow.ai.root.cause"
    _description = "Workflow AI Root Cause"

    # ------------------------------------------------------------
    # RANKING (pure)
    # ------------------------------------------------------------

    @api.model
    def _rank(self, burst_signals, baseline_signals, limit=5):
        """[{signal, lift, burst_count, burst_total, base_count, base_total}] by lift.

        :param burst_signals: list of sets of signal keys, one per burst exception
        :param baseline_signals: the same for the baseline exceptions
        """
        burst_total, base_total = len(burst_signals), len(baseline_signals)
        if not burst_total:
            return []
        burst_counts, base_counts = {}, {}
        for signals in burst_signals:
            for signal in signals:
                burst_counts[signal] = burst_counts.get(signal, 0) + 1
        for signals in baseline_signals:
            for signal in signals:
                base_counts[signal] = base_counts.get(signal, 0) + 1
        ranked = []
        for signal, count in burst_counts.items():
            if count < MIN_SUPPORT:
                continue
            base = base_counts.get(signal, 0)
            # Laplace smoothing: a signal never seen before does not get an infinite lift
            lift = (count / burst_total) / ((base + 1) / (base_total + 2))
            if lift < MIN_LIFT:
                continue
            ranked.append(
                {
                    "signal": signal,
                    "lift": lift,
                    "burst_count": count,
                    "burst_total": burst_total,
                    "base_count": base,
                    "base_total": base_total,
                }
            )
        ranked.sort(key=lambda c: (-c["lift"], -c["burst_count"], str(c["signal"])))
        return ranked[:limit]

    # ------------------------------------------------------------
    # SIGNALS
    # ------------------------------------------------------------

    @api.model
    def _symptom_domain(self, company, start, end):
        return [
            ("company_id", "=", company.id),
            ("first_seen", ">=", start),
            ("first_seen", "<", end),
            ("category_id.code", "not in", SIGNAL_CATEGORIES),
            ("category_id.code", "!=", "anomaly"),
        ]

    @api.model
    def _signals(self, exceptions, company):
        """({exception id: set of signal keys}, {signal key: label})."""
        labels = {}
        signals = {e.id: set() for e in exceptions}
        if not exceptions:
            return signals, labels
        # co-occurring technical failures: one query for the whole period
        start = min(exceptions.mapped("first_seen")) - OVERLAP
        end = max(exceptions.mapped("first_seen")) + OVERLAP
        Exception_ = self.env["workflow.exception"].sudo()  # sudo: names of signals only
        failures = Exception_.search(
            [
                ("company_id", "=", company.id),
                ("category_id.code", "in", SIGNAL_CATEGORIES),
                ("first_seen", "<=", end),
                ("last_seen", ">=", start),
            ]
        )
        for exception in exceptions:
            moment = exception.first_seen
            for failure in failures:
                if failure.first_seen - OVERLAP <= moment <= failure.last_seen + OVERLAP:
                    key = f"failure:{failure.category_id.code}:{failure.dedupe_key}"
                    labels[key] = _(
                        "%(category)s open at the same time: %(name)s",
                        category=failure.category_id.name,
                        name=failure.name,
                    )
                    signals[exception.id].add(key)
                    kind_key = f"failure:{failure.category_id.code}"
                    labels[kind_key] = _(
                        "Any %(category)s open at the same time", category=failure.category_id.name
                    )
                    signals[exception.id].add(kind_key)
            if exception.res_model:
                key = f"model:{exception.res_model}"
                labels[key] = _("Same document type: %(model)s", model=exception.res_model)
                signals[exception.id].add(key)
                if exception.res_id:
                    key = f"record:{exception.res_model},{exception.res_id}"
                    labels[key] = _(
                        "Same document: %(ref)s",
                        ref=exception.res_ref.display_name if exception.res_ref else key[7:],
                    )
                    signals[exception.id].add(key)
            for fname, label in (
                ("team_id", _("Same team")),
                ("user_id", _("Same owner")),
                ("company_id", _("Same company")),
            ):
                value = exception[fname]
                if value:
                    key = f"{fname}:{value.id}"
                    labels[key] = f"{label}: {value.display_name}"
                    signals[exception.id].add(key)
        self._document_signals(exceptions, signals, labels)
        return signals, labels

    @api.model
    def _document_signals(self, exceptions, signals, labels):
        """Add the warehouse / product / partner / carrier / user of the linked
        documents, read in one batch per document model."""
        by_model = {}
        for exception in exceptions:
            if exception.res_model in self.env and exception.res_id:
                by_model.setdefault(exception.res_model, []).append(exception)
        for model_name, items in by_model.items():
            Model = self.env[model_name]
            names = [
                f
                for f in DOCUMENT_FIELDS
                if f in Model._fields and Model._fields[f].type == "many2one"
            ]
            if not names:
                continue
            # sudo: only ids and display names of the linked records become evidence
            documents = Model.sudo().browse({e.res_id for e in items}).exists()
            values = {doc.id: doc for doc in documents}
            for exception in items:
                doc = values.get(exception.res_id)
                if not doc:
                    continue
                for fname in names:
                    related = doc[fname]
                    if not related:
                        continue
                    key = f"doc:{fname}:{related._name},{related.id}"
                    labels[key] = _(
                        "Same %(field)s: %(value)s",
                        field=Model._fields[fname].string,
                        value=related.display_name,
                    )
                    signals[exception.id].add(key)

    # ------------------------------------------------------------
    # BURSTS
    # ------------------------------------------------------------

    @api.model
    def _candidates(self, company, start, end, limit=5):
        """Ranked candidates for the exceptions first seen in [start, end) of
        ``company``, against the ``BASELINE_DAYS`` before. Returns (candidates with
        labels, burst exceptions)."""
        Exception_ = self.env["workflow.exception"].sudo()  # sudo: counts and signals
        burst = Exception_.search(self._symptom_domain(company, start, end))
        if len(burst) < MIN_SUPPORT:
            return [], burst
        baseline = Exception_.search(
            self._symptom_domain(company, start - timedelta(days=BASELINE_DAYS), start),
            limit=5000,
            order="first_seen desc",
        )
        signals, labels = self._signals(burst | baseline, company)
        ranked = self._rank(
            [signals[e.id] for e in burst], [signals[e.id] for e in baseline], limit
        )
        for candidate in ranked:
            candidate["label"] = labels.get(candidate["signal"], candidate["signal"])
        return ranked, burst

    @api.model
    def _content(self, ranked, burst, start, end):
        lines = [
            _(
                "%(count)s exceptions between %(start)s and %(end)s. Most likely shared causes:",
                count=len(burst),
                start=start,
                end=end,
            )
        ]
        for rank, candidate in enumerate(ranked, 1):
            lines.append(
                _(
                    "%(rank)s. %(label)s - lift %(lift).1f: in %(count)s of %(total)s "
                    "exceptions of the burst, %(base)s of %(base_total)s before",
                    rank=rank,
                    label=candidate["label"],
                    lift=candidate["lift"],
                    count=candidate["burst_count"],
                    total=candidate["burst_total"],
                    base=candidate["base_count"],
                    base_total=candidate["base_total"],
                )
            )
        return "\n".join(lines)

    @api.model
    def _suggestion_vals(self, exception, ranked, burst, start, end):
        return {
            "exception_id": exception.id,
            "kind": "root_cause",
            "content": self._content(ranked, burst, start, end),
            "evidence": _(
                "Lift = share of the signal in the burst / its share among the exceptions "
                "of the previous %(days)s days (Laplace-smoothed). Counts are exceptions.",
                days=BASELINE_DAYS,
            ),
            "confidence": ranked[0]["burst_count"] / ranked[0]["burst_total"],
            "model_version": "lift over baseline",
            "related_exception_ids": [(6, 0, burst.ids[:200])],
        }

    @api.model
    def _suggest_for_exception(self, exception):
        """Root-cause suggestion for the time window around ``exception``."""
        settings = self.env["workflow.ai.provider"]._ai_settings()
        window = timedelta(hours=settings["burst_window_hours"])
        start, end = exception.first_seen - window, exception.first_seen + window
        ranked, burst = self._candidates(exception.company_id, start, end)
        if not ranked:
            return self.env["workflow.ai.suggestion"]
        Suggestion = self.env["workflow.ai.suggestion"].sudo()  # sudo: engine-written
        return Suggestion._refresh_proposed(
            [self._suggestion_vals(exception, ranked, burst, start, end)]
        )

    @api.model
    def _cron_root_cause(self, now=None):
        """Find bursts (at least ``burst_min_count`` exceptions in the last window, and
        three times the usual rate) per company; attach the ranked candidates to the open
        exceptions of the burst that have none yet."""
        settings = self.env["workflow.ai.provider"]._ai_settings()
        now = fields.Datetime.to_datetime(now) or fields.Datetime.now()
        hours = settings["burst_window_hours"]
        start = now - timedelta(hours=hours)
        Exception_ = self.env["workflow.exception"].sudo()
        Suggestion = self.env["workflow.ai.suggestion"].sudo()
        created = Suggestion
        for company in self.env["res.company"].sudo().search([]):
            count = Exception_.search_count(self._symptom_domain(company, start, now))
            if count < settings["burst_min_count"]:
                continue
            usual = (
                Exception_.search_count(
                    self._symptom_domain(company, start - timedelta(days=BASELINE_DAYS), start)
                )
                * hours
                / (BASELINE_DAYS * 24.0)
            )
            if count < 3 * usual:
                continue
            ranked, burst = self._candidates(company, start, now)
            if not ranked:
                continue
            todo = burst.filtered(lambda e: e.state in OPEN_STATES)[:50]
            has = set(
                Suggestion.search(
                    [("exception_id", "in", todo.ids), ("kind", "=", "root_cause")]
                ).exception_id.ids
            )
            created |= Suggestion.create(
                [
                    self._suggestion_vals(exception, ranked, burst, start, now)
                    for exception in todo
                    if exception.id not in has
                ]
            )
            self.env["workflow.ai.log"]._log(
                "root_cause",
                _("Burst of %(count)s exceptions", count=count),
                company_id=company.id,
                message=self._content(ranked, burst, start, now),
            )
        self.env["ir.cron"]._notify_progress(done=len(created), remaining=0)
        return created
