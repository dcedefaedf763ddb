/** @odoo-module **/
/* Copyright 2026 Workflow Monitor
 * License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl). */

import { registry } from "@web/core/registry";

// A manager opens an exception, reads the AI tab and accepts the proposed category.
registry.category("web_tour.tours").add("workflow_monitor_ai_review_tour", {
    steps: () => [
        {
            content: "The smart button counts the suggestions to review",
            trigger: ".o_form_view button[name=action_view_ai_suggestions]:contains('AI to review')",
        },
        {
            content: "Open the AI Suggestions tab",
            trigger: ".o_notebook .nav-link:contains('AI Suggestions')",
            run: "click",
        },
        {
            content: "Accept the proposed category",
            trigger:
                ".o_field_widget[name=ai_suggestion_ids] .o_data_row:contains('Category:') button[name=action_accept]",
            run: "click",
        },
        {
            content: "The suggestion is accepted",
            trigger: ".o_field_widget[name=ai_suggestion_ids] .o_data_row:contains('Accepted')",
        },
    ],
});
