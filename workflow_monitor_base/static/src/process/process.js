/** @odoo-module **/
/* Copyright 2026 Workflow Monitor
 * License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl). */

import { Component, onWillStart, useState } from "@odoo/owl";
import { _t } from "@web/core/l10n/translation";
import { registry } from "@web/core/registry";
import { useService } from "@web/core/utils/hooks";
import { useSetupAction } from "@web/search/action_hook";
import { standardActionServiceProps } from "@web/webclient/actions/action_service";
import { ARROWS, NODE_H, NODE_W, colourOf, layoutProcess } from "./process_layout";

const DEVIATION_LABELS = {
    skipped: _t("Skipped stages"),
    out_of_order: _t("Out of order"),
    rework: _t("Rework"),
};
const VARIANTS_SHOWN = 15;
const NAME_CHARS = 20; // a stage name longer than this is cut in its box (full in the tooltip)

/** 42 s, 12 min, 3.5 h, 2.1 d; a dash for no duration. */
export function formatDuration(seconds) {
    if (seconds === null || seconds === undefined) {
        return "–";
    }
    if (seconds < 60) {
        return _t("%s s", Math.round(seconds));
    }
    if (seconds < 3600) {
        return _t("%s min", Math.round(seconds / 60));
    }
    if (seconds < 86400) {
        return _t("%s h", (seconds / 3600).toFixed(1));
    }
    return _t("%s d", (seconds / 86400).toFixed(1));
}

/**
 * Process map: how the flows of one definition really ran in the period (one server
 * call, workflow.definition.get_process_screen). Every number opens the instances it
 * counts (workflow.definition.action_process_instances, same window and filters).
 */
export class WorkflowProcess extends Component {
    static template = "workflow_monitor_base.WorkflowProcess";
    static props = { ...standardActionServiceProps };

    setup() {
        this.orm = useService("orm");
        this.action = useService("action");
        this.NODE_W = NODE_W;
        this.NODE_H = NODE_H;
        this.arrows = ARROWS;
        this.deviationLabels = DEVIATION_LABELS;
        this.formatDuration = formatDuration;
        // back from a list (breadcrumb), the screen comes back with its flow and filters
        const restored = this.props.state || {};
        this.state = useState({
            screen: null,
            loading: true,
            error: null,
            allVariants: false,
            definition:
                restored.definition || this.props.action?.context?.definition_code || false,
            filters: restored.filters || { period_days: 30, company_ids: [], node: false },
        });
        useSetupAction({
            getLocalState: () => ({
                definition: this.state.definition,
                filters: { ...this.state.filters },
            }),
        });
        onWillStart(() => this.load());
    }

    async load() {
        this.state.loading = true;
        try {
            const screen = await this.orm.call("workflow.definition", "get_process_screen", [
                this.state.definition,
                this.state.filters,
            ]);
            this.state.screen = screen;
            this.state.definition = screen.definition;
            this.state.error = null;
        } catch (error) {
            this.state.error = error.data?.message || error.message || String(error);
        } finally {
            this.state.loading = false;
        }
    }

    get map() {
        return this.state.screen?.map;
    }

    get isEmpty() {
        return this.map && !this.map.instance_total;
    }

    get layout() {
        // cached per server answer: the template reads it many times per render
        const map = this.map;
        if (!map) {
            return null;
        }
        if (this._layoutOf !== map) {
            this._layoutOf = map;
            this._layout = layoutProcess(map, (edge) => this.edgeLabel(edge));
        }
        return this._layout;
    }

    get entries() {
        // the entry edges (no from stage) by stage, cached like the layout
        const map = this.map;
        if (this._entriesOf !== map) {
            this._entriesOf = map;
            this._entries = {};
            for (const edge of map?.edges || []) {
                if (!edge.from) {
                    this._entries[edge.to] = edge;
                }
            }
        }
        return this._entries;
    }

    get stageNames() {
        return Object.fromEntries((this.map?.nodes || []).map((n) => [n.stage, n.name]));
    }

    get variants() {
        const variants = this.map?.variants || [];
        return this.state.allVariants ? variants : variants.slice(0, VARIANTS_SHOWN);
    }

    get windowText() {
        const window = this.state.screen.window;
        return _t("%(flows)s flows with a stage change from %(from)s to %(to)s", {
            flows: this.map.instance_total,
            from: window.date_from,
            to: window.date_to,
        });
    }

    get moreVariantsText() {
        return _t("Show %s more", this.hiddenVariants);
    }

    get variantsTitle() {
        return _t("Variants: the paths the flows took (%s)", this.map?.variants.length || 0);
    }

    get hiddenVariants() {
        const count = this.map?.variants.length || 0;
        return this.state.allVariants ? 0 : Math.max(0, count - VARIANTS_SHOWN);
    }

    get legend() {
        const bounds = this.layout?.bounds || [];
        const items = [];
        for (let i = 0; i <= bounds.length; i++) {
            const low = i ? formatDuration(bounds[i - 1]) : null;
            const high = i < bounds.length ? formatDuration(bounds[i]) : null;
            let label;
            if (!bounds.length) {
                label = _t("any median");
            } else if (low === null) {
                label = bounds[0] === 0 ? _t("0 s") : _t("≤ %s", high);
            } else if (high === null) {
                label = _t("> %s", low);
            } else {
                label = _t("%(low)s – %(high)s", { low, high });
            }
            items.push({ key: i, colour: colourOf(i, bounds), label });
        }
        return items;
    }

    shortName(name) {
        return name.length > NAME_CHARS ? name.slice(0, NAME_CHARS - 1) + "…" : name;
    }

    /** The flows that made the move (the number its click lists) and the median; the
     * moves, when a flow made it more than once, are in the tooltip. */
    edgeLabel(edge) {
        return `${edge.instance_count} · ${formatDuration(edge.median_seconds)}`;
    }

    edgeTitle(edge) {
        const names = this.stageNames;
        return _t(
            "%(from)s → %(to)s: %(moves)s moves by %(flows)s flows; time in %(from)s: median %(median)s, p90 %(p90)s",
            {
                from: names[edge.from],
                to: names[edge.to],
                moves: edge.count,
                flows: edge.instance_count,
                median: formatDuration(edge.median_seconds),
                p90: formatDuration(edge.p90_seconds),
            }
        );
    }

    nodeTitle(node) {
        return _t(
            "%(name)s: entered %(entries)s times by %(flows)s flows; median time in it %(median)s",
            {
                name: node.name,
                entries: node.count,
                flows: node.instance_count,
                median: formatDuration(node.median_seconds),
            }
        );
    }

    /** After the node's clickable count: " flows", and the entries when they differ. */
    nodeFlowsText(node) {
        if (node.count !== node.instance_count) {
            return _t(" flows (%s entries)", node.count);
        }
        return _t(" flows");
    }

    get startedText() {
        return _t(" started here");
    }

    nodeMedian(node) {
        if (node.median_seconds === null && (node.is_final || node.is_cancel)) {
            return node.is_cancel ? _t("cancelled: end") : _t("final: end");
        }
        return _t("median %s", formatDuration(node.median_seconds));
    }

    sharePercent(share) {
        return `${(share * 100).toFixed(1)} %`;
    }

    async onDefinitionChange(ev) {
        this.state.definition = ev.target.value;
        this.state.allVariants = false;
        await this.load();
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

    async open(kind, key) {
        const action = await this.orm.call("workflow.definition", "action_process_instances", [
            this.state.definition,
            this.state.filters,
            kind,
            key,
        ]);
        return this.action.doAction(action);
    }

    openNode(node) {
        return this.open("node", node.stage);
    }

    openEdge(edge) {
        return this.open("edge", [edge.from, edge.to]);
    }

    openVariant(variant) {
        return this.open("variant", variant.path);
    }

    openDeviation(deviation) {
        return this.open(deviation.kind, deviation.key);
    }

    onKeyOpen(ev, callback) {
        if (ev.key === "Enter" || ev.key === " ") {
            ev.preventDefault();
            callback();
        }
    }
}

registry.category("actions").add("workflow_monitor_process", WorkflowProcess);
