/** @odoo-module **/
/* Copyright 2026 Workflow Monitor
 * License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl). */

import { registry } from "@web/core/registry";

// Opens the dashboard, switches tabs, drills down from one aging cell and checks that
// the list shows exactly the number of records the cell counted.
registry.category("web_tour.tours").add("workflow_monitor_dashboard_tour", {
    url: "/odoo/workflow-monitor",
    steps: () => [
        {
            content: "The dashboard opens on the Operations tab",
            trigger: ".o_wm_dashboard .o_wm_tab_operations.active",
        },
        {
            content: "Switch to the Executive tab",
            trigger: ".o_wm_tab_executive",
            run: "click",
        },
        {
            content: "Executive KPI tiles are shown",
            trigger: ".o_wm_tab_executive.active",
        },
        {
            trigger: ".o_wm_dashboard .o_wm_kpi",
        },
        {
            content: "Switch to the Technical tab",
            trigger: ".o_wm_tab_technical",
            run: "click",
        },
        {
            trigger: ".o_wm_tab_technical.active",
        },
        {
            trigger: ".o_wm_crons",
        },
        {
            content: "Back to Operations",
            trigger: ".o_wm_tab_operations",
            run: "click",
        },
        {
            content: "Remember the count of the first aging cell and open it",
            trigger: ".o_wm_aging .o_wm_aging_cell",
            run() {
                window.__wmAgingCount = parseInt(this.anchor.dataset.count);
                this.anchor.click();
            },
        },
        {
            content: "The list shows exactly the records the cell counted",
            trigger: ".o_list_view .o_data_row",
            run() {
                const rows = document.querySelectorAll(".o_list_view .o_data_row").length;
                if (rows !== window.__wmAgingCount) {
                    throw new Error(
                        `Aging cell counted ${window.__wmAgingCount} flows, the list shows ${rows}`
                    );
                }
            },
        },
    ],
});
