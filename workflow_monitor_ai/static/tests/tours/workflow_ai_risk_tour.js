/** @odoo-module **/
/* Copyright 2026 Workflow Monitor
 * License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl). */

import { registry } from "@web/core/registry";

// The dashboard lists the riskiest open instances; the percentage opens every instance
// at least that risky, the name opens the instance.
registry.category("web_tour.tours").add("workflow_monitor_ai_risk_tour", {
    steps: () => [
        {
            content: "The riskiest open instance comes first, with its risk",
            trigger: ".o_wm_risk .o_wm_risk_item:first:contains('Risk tour confirmed') .o_wm_risk_score",
        },
        {
            content: "The percentage drills down to the instances at least that risky",
            trigger: ".o_wm_risk .o_wm_risk_item:first .o_wm_risk_score",
            run: "click",
        },
        {
            content: "The list holds the riskiest instance",
            trigger: ".o_list_view .o_data_row:contains('Risk tour confirmed')",
        },
        {
            content: "Back to the dashboard",
            trigger: ".o_breadcrumb .o_back_button a, .o_breadcrumb li:first a",
            run: "click",
        },
        {
            content: "The name opens the instance",
            trigger: ".o_wm_risk .o_wm_risk_item:first a:contains('Risk tour confirmed')",
            run: "click",
        },
        {
            content: "The instance form shows its breach risk",
            trigger: ".o_form_view .o_field_widget[name=risk_score]",
        },
    ],
});
