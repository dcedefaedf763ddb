/** @odoo-module **/
/* Copyright 2026 Workflow Monitor
 * License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl). */

import { Component } from "@odoo/owl";

const UNITS = { percent: "%", hours: "h", count: "", amount: "" };

/** One KPI: value against target, colour from its status, 14-snapshot sparkline. */
export class KpiTile extends Component {
    static template = "workflow_monitor_base.KpiTile";
    static props = { kpi: Object, onOpen: Function };

    get formattedValue() {
        const { value, unit } = this.props.kpi;
        if (value === null || value === undefined) {
            return "–";
        }
        const digits = unit === "count" ? 0 : 1;
        return `${value.toFixed(digits)}${UNITS[unit] || ""}`;
    }

    get formattedTarget() {
        const { target, unit } = this.props.kpi;
        return `${target}${UNITS[unit] || ""}`;
    }

    get sparkline() {
        const points = this.props.kpi.trend.map((point) => point.value);
        if (points.length < 2) {
            return "";
        }
        const width = 120;
        const height = 32;
        const min = Math.min(...points);
        const max = Math.max(...points);
        const span = max - min || 1;
        return points
            .map((value, index) => {
                const x = (index / (points.length - 1)) * width;
                const y = height - 2 - ((value - min) / span) * (height - 4);
                return `${x.toFixed(1)},${y.toFixed(1)}`;
            })
            .join(" ");
    }
}
