/** @odoo-module **/
/* Copyright 2026 Workflow Monitor
 * License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl). */

import { registry } from "@web/core/registry";

// The approver opens their Approval activity from the systray, opens the waiting
// request, reads what to decide and approves it; the request ends approved (the order is
// confirmed server side). Then "My Approvals" is empty.
registry.category("web_tour.tours").add("workflow_monitor_approvals_tour", {
    url: "/odoo",
    steps: () => [
        {
            content: "Open the activities of the systray",
            trigger: ".o_menu_systray i[aria-label='Activities']",
            run: "click",
        },
        {
            content: "Open the approval activities",
            trigger: ".o-mail-ActivityGroup:contains('Approval Request')",
            run: "click",
        },
        {
            content: "Open the waiting request",
            trigger:
                ".o_kanban_record:contains('WM tour'), .o_data_row .o_data_cell[name='policy_id']:contains('WM tour')",
            run: "click",
        },
        {
            content: "The request shows what to decide",
            trigger: ".o_form_view .o_wm_approval_context",
        },
        {
            content: "Approve",
            trigger: ".o_form_view button.o_wm_approve",
            run: "click",
        },
        {
            content: "The request is approved",
            trigger: ".o_form_view .o_statusbar_status .o_arrow_button_current:contains('Approved')",
        },
        {
            content: "Nothing left to approve",
            trigger: ".o_form_view:not(:has(button.o_wm_approve))",
        },
        {
            content: "My Approvals is now empty",
            trigger: "body",
            run: () => {
                window.location.href = "/odoo/my-approvals";
            },
        },
        {
            trigger: ".o_view_nocontent:contains('Nothing waits for your approval')",
        },
    ],
});

// The salesperson confirms a large quotation: the order waits, a notification says so
// and the form shows the approval smart button.
registry.category("web_tour.tours").add("workflow_monitor_approvals_request_tour", {
    steps: () => [
        {
            content: "Confirm the quotation",
            trigger: ".o_form_view .o_statusbar_buttons button[name='action_confirm']:visible",
            run: "click",
        },
        {
            content: "The user is told the order waits for approval",
            trigger: ".o_notification:contains('Waiting for approval')",
        },
        {
            content: "The order shows its pending approval",
            trigger: ".o_form_view .oe_stat_button[name='action_view_approval_requests']:contains('Waiting for approval')",
        },
        {
            content: "The order is still a quotation",
            trigger: ".o_form_view .o_statusbar_status .o_arrow_button_current:contains('Quotation')",
        },
    ],
});

// The Executive tab of the dashboard shows the pending approvals by age bucket, and a
// bucket opens exactly the requests it counted.
registry.category("web_tour.tours").add("workflow_monitor_approvals_dashboard_tour", {
    url: "/odoo/workflow-monitor",
    steps: () => [
        {
            content: "Switch to the Executive tab",
            trigger: ".o_wm_dashboard .o_wm_tab_executive",
            run: "click",
        },
        {
            content: "Pending approvals by age are shown; open the youngest bucket",
            trigger: ".o_wm_approvals .o_wm_card:first-child .o_wm_card_value:contains('1')",
            run: "click",
        },
        {
            content: "The list shows the counted request",
            trigger: ".o_list_view .o_data_row .o_data_cell[name='policy_id']:contains('WM tour')",
            run() {
                const rows = document.querySelectorAll(".o_list_view .o_data_row").length;
                if (rows !== 1) {
                    throw new Error(`The bucket counted 1 request, the list shows ${rows}`);
                }
            },
        },
    ],
});
