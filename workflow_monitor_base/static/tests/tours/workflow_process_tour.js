/** @odoo-module **/
/* Copyright 2026 Workflow Monitor
 * License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl). */

import { registry } from "@web/core/registry";

// The number of records of the list on screen: the pager's total, else the rows.
function listCount() {
    const limit = document.querySelector(".o_list_view .o_pager_limit");
    if (limit) {
        return parseInt(limit.textContent);
    }
    return document.querySelectorAll(".o_list_view .o_data_row").length;
}

function checkList(name) {
    const count = listCount();
    if (count !== window.__wmProcessCount) {
        throw new Error(`${name} showed ${window.__wmProcessCount} flows, the list has ${count}`);
    }
}

// Opens the process map of the test flow, checks that it is drawn, then opens the list
// behind a variant's count and behind an edge's count and compares each list with the
// number clicked.
registry.category("web_tour.tours").add("workflow_monitor_process_tour", {
    url: "/odoo/workflow-process",
    steps: () => [
        {
            content: "Choose the test flow",
            trigger: ".o_wm_process .o_wm_filter_definition",
            run: "select wm_pmap_flow",
        },
        {
            content: "The map draws every stage and the moves between them",
            trigger: ".o_wm_pm_svg .o_wm_pm_node[data-stage='x']",
            run() {
                const svg = document.querySelector(".o_wm_pm_svg");
                const nodes = svg.querySelectorAll(".o_wm_pm_node").length;
                const edges = svg.querySelectorAll(".o_wm_pm_edge path.o_wm_pm_edge_line").length;
                const labels = svg.querySelectorAll(".o_wm_pm_edge_label").length;
                if (nodes !== 5 || edges !== 6 || labels !== edges) {
                    throw new Error(`map: ${nodes} stages, ${edges} edges, ${labels} labels`);
                }
                if (!svg.querySelector(".o_wm_pm_edge.o_wm_pm_back[data-from='c'][data-to='b']")) {
                    throw new Error("the move c -> b is not drawn as a back edge");
                }
            },
        },
        {
            content: "Open the flows of the most frequent variant",
            trigger: ".o_wm_variants .o_wm_pm_variant_count",
            run() {
                window.__wmProcessCount = parseInt(this.anchor.dataset.count);
                this.anchor.click();
            },
        },
        {
            content: "The list has exactly the flows of the variant",
            trigger: ".o_list_view .o_data_row",
            run() {
                checkList("The variant");
            },
        },
        {
            content: "Back to the map",
            trigger: ".o_breadcrumb .o_back_button",
            run: "click",
        },
        {
            content: "Open the flows that moved from b to c",
            trigger: ".o_wm_pm_edge_label[data-from='b'][data-to='c']",
            run() {
                window.__wmProcessCount = parseInt(this.anchor.dataset.count);
                this.anchor.dispatchEvent(new MouseEvent("click", { bubbles: true }));
            },
        },
        {
            content: "The list has exactly the flows of the edge",
            trigger: ".o_list_view .o_data_row",
            run() {
                checkList("The edge b -> c");
            },
        },
    ],
});
