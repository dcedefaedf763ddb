# Copyright 2026 Workflow Monitor
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

from odoo import api, models


class WorkflowEvent(models.Model):
    _inherit = "workflow.event"

    @api.model
    def _events_logged(self, events, event_types):
        """Queue outbox messages for the active routes matching the logged events, in
        the same transaction (transactional outbox). Without any active route this costs
        one cached lookup; otherwise one read of the events and one INSERT per batch."""
        result = super()._events_logged(events, event_types)
        specs = self.env["workflow.integration.route"]._active_route_specs() if events else ()
        if specs:
            # most batches match no route by type alone: skip reading them back
            wanted = {spec.event_type for spec in specs}
            if None in wanted or wanted & set(event_types):
                self.env["workflow.integration.route"].sudo()._queue_for_events(events.ids)
        return result
