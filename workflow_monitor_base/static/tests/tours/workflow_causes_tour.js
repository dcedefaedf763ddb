/** @odoo-module **/
/* Copyright 2026 Workflow Monitor
 * License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl). */

import { registry } from "@web/core/registry";

// The Causes panel of the Operations tab: a cause's numbers open exactly the records
// they count (its impact exceptions, then its impacted documents).
const ROW = ".o_wm_causes .o_wm_cause_row:has(.o_wm_cause_link:contains('WM Tour Cause'))";

function countOf(selector, key) {
    return {
        content: `Remember the number of ${key} and open them`,
        trigger: `${ROW} ${selector}`,
        run() {
            window[`__wmCause_${key}`] = parseInt(this.anchor.textContent);
            this.anchor.click();
        },
    };
}

function listShows(key) {
    return {
        content: `The list shows exactly the ${key} counted`,
        trigger: ".o_list_view .o_data_row",
        run() {
            const rows = document.querySelectorAll(".o_list_view .o_data_row").length;
            if (rows !== window[`__wmCause_${key}`]) {
                throw new Error(`The panel counted ${window[`__wmCause_${key}`]} ${key}, the list shows ${rows}`);
            }
        },
    };
}

registry.category("web_tour.tours").add("workflow_monitor_causes_impacts_tour", {
    url: "/odoo/workflow-monitor",
    steps: () => [
        { trigger: ".o_wm_dashboard .o_wm_tab_operations.active" },
        countOf(".o_wm_cause_impacts", "impacts"),
        listShows("impacts"),
    ],
});

registry.category("web_tour.tours").add("workflow_monitor_causes_documents_tour", {
    url: "/odoo/workflow-monitor",
    steps: () => [
        { trigger: ".o_wm_dashboard .o_wm_tab_operations.active" },
        countOf(".o_wm_cause_documents", "documents"),
        listShows("documents"),
    ],
});
