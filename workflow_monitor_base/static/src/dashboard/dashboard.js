/** @odoo-module **/
/* Copyright 2026 Workflow Monitor
 * License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl). */

import { Component, onMounted, onWillStart, onWillUnmount, useState } from "@odoo/owl";
import { _t } from "@web/core/l10n/translation";
import { registry } from "@web/core/registry";
import { useService } from "@web/core/utils/hooks";
import { standardActionServiceProps } from "@web/webclient/actions/action_service";
import { KpiTile } from "./kpi_tile/kpi_tile";
import { CausesPanel } from "./causes_panel/causes_panel";

const TAB_LABELS = {
    executive: _t("Executive"),
    operations: _t("Operations"),
    technical: _t("Technical"),
};
const SEVERITY_LABELS = {
    critical: _t("Critical"),
    high: _t("High"),
    medium: _t("Medium"),
    low: _t("Low"),
};

/**
 * Workflow Monitor dashboard: one server call (workflow.dashboard.get_dashboard_data)
 * gives every figure with the domain it counts, and each figure opens that list.
 */
export class WorkflowDashboard extends Component {
    static template = "workflow_monitor_base.WorkflowDashboard";
    static components = { KpiTile, CausesPanel };
    static props = { ...standardActionServiceProps };

    setup() {
        this.orm = useService("orm");
        this.action = useService("action");
        this.severityLabels = SEVERITY_LABELS;
        this.state = useState({
            data: null,
            loading: true,
            error: null,
            tab: null,
            filters: { period_days: 30, company_ids: [], node: false },
        });
        onWillStart(() => this.load());
        onMounted(() => this.scheduleRefresh());
        onWillUnmount(() => clearTimeout(this.refreshTimer));
    }

    async load() {
        this.state.loading = true;
        try {
            const data = await this.orm.call("workflow.dashboard", "get_dashboard_data", [
                this.state.filters,
            ]);
            this.state.data = data;
            this.state.error = null;
            if (!this.state.tab || !data.layers.includes(this.state.tab)) {
                this.state.tab = data.layers.includes("operations") ? "operations" : data.layers[0];
            }
        } catch (error) {
            this.state.error = error.data?.message || error.message || String(error);
        } finally {
            this.state.loading = false;
        }
    }

    scheduleRefresh() {
        clearTimeout(this.refreshTimer);
        const seconds = this.state.data?.refresh_seconds;
        if (seconds && seconds >= 5) {
            this.refreshTimer = setTimeout(async () => {
                await this.load();
                this.scheduleRefresh();
            }, seconds * 1000);
        }
    }

    get tabs() {
        const order = ["executive", "operations", "technical"];
        return order
            .filter((layer) => this.state.data?.layers.includes(layer))
            .map((layer) => ({ key: layer, label: TAB_LABELS[layer] }));
    }

    get kpis() {
        const data = this.state.data;
        if (!data) {
            return [];
        }
        return this.state.tab === "executive"
            ? data.kpis
            : data.kpis.filter((kpi) => kpi.layer === this.state.tab);
    }

    get maxThroughput() {
        const days = this.state.data?.throughput?.days || [];
        return Math.max(1, ...days.map((day) => day.events));
    }

    heat(count, total) {
        if (!count) {
            return "o_wm_heat_0";
        }
        const share = count / Math.max(total, 1);
        return share > 0.5 ? "o_wm_heat_3" : share > 0.2 ? "o_wm_heat_2" : "o_wm_heat_1";
    }

    setTab(tab) {
        this.state.tab = tab;
    }

    async onFilterChange(key, ev) {
        const value = ev.target.value;
        if (key === "company_ids") {
            this.state.filters.company_ids = value ? [parseInt(value)] : [];
        } else if (key === "period_days") {
            this.state.filters.period_days = parseInt(value);
        } else {
            this.state.filters.node = value || false;
        }
        await this.load();
    }

    openList(resModel, domain, name, views = null) {
        return this.action.doAction({
            type: "ir.actions.act_window",
            name,
            res_model: resModel,
            domain,
            views: views || [
                [false, "list"],
                [false, "form"],
            ],
            target: "current",
        });
    }

    openRecord(resModel, resId, name) {
        return this.action.doAction({
            type: "ir.actions.act_window",
            name,
            res_model: resModel,
            res_id: resId,
            views: [[false, "form"]],
            target: "current",
        });
    }

    openAging(row, index) {
        const bucket = this.state.data.buckets[index];
        const label = index === null ? "" : ` (${bucket.label})`;
        const domain = index === null ? row.domain : row.domains[index];
        return this.openList("workflow.instance", domain, `${row.stage}${label}`);
    }

    openExceptions(row, index) {
        const domain = index === null ? row.domain : row.domains[index];
        return this.openList("workflow.exception", domain, row.category);
    }

    openKpi(kpi) {
        if (kpi.documents) {
            const last = kpi.trend[kpi.trend.length - 1];
            return this.openList(kpi.documents.model, kpi.documents.domain, `${kpi.name} (${last.date})`);
        }
        return this.openList("workflow.kpi.value", kpi.domain, kpi.name, [
            [false, "list"],
            [false, "graph"],
        ]);
    }
}

registry.category("actions").add("workflow_monitor_dashboard", WorkflowDashboard);
