/** @odoo-module **/
/* Copyright 2026 Workflow Monitor
 * License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl). */

import { Component } from "@odoo/owl";
import { formatMonetary } from "@web/views/fields/formatters";
import { useService } from "@web/core/utils/hooks";

/**
 * Causal chains on the Operations tab: the open causes (late receipts, missing stock)
 * with the most impacted documents and revenue at risk. Each row opens its cause, its
 * impact exceptions, or the impacted documents (customer orders).
 */
export class CausesPanel extends Component {
    static template = "workflow_monitor_base.CausesPanel";
    static props = { causes: Object, openList: Function };

    setup() {
        this.orm = useService("orm");
        this.action = useService("action");
    }

    amount(row) {
        return formatMonetary(row.amount, { currencyId: this.props.causes.currency_id });
    }

    openCause(row) {
        return this.props.openList("workflow.exception", row.cause_domain, row.name, [
            [false, "form"],
            [false, "list"],
        ]);
    }

    openImpacts(row) {
        return this.props.openList("workflow.exception", row.impact_domain, row.name);
    }

    async openDocuments(row) {
        const action = await this.orm.call(
            "workflow.exception",
            "action_view_impacted_documents",
            [[row.cause_id]]
        );
        return this.action.doAction(action);
    }
}
