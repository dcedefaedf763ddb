# Copyright 2026 Workflow Monitor
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

"""The carrier hook: where a carrier's tracking update meets the flows.

The integrations module receives ``carrier.status`` webhooks and calls
:meth:`_workflow_carrier_update`; a module that follows shipments implements it (the
distribution module matches the outgoing picking by its tracking reference and moves its
delivery flow). Neither module depends on the other: both depend on this one.
"""

from odoo import api, models


class WorkflowInstanceCarrier(models.Model):
    _inherit = "workflow.instance"

    @api.model
    def _workflow_carrier_update(self, company, tracking_ref, status, occurred_at, data):
        """Hook: apply a carrier's tracking update ``status`` (lower case, e.g.
        ``in_transit``, ``delivered``, ``failed_delivery``) of ``tracking_ref`` that
        happened at ``occurred_at`` (naive UTC datetime, or None: now), for ``company``
        (a res.company: only its documents may be matched). ``data`` is the whole
        message (``location``, ``description``, ``reason``...).

        Called as the superuser in ``company`` with the webhook's labels in the context
        (``workflow_source`` and friends, server flags), so the events a module logs
        are labelled as coming from the webhook.

        :return: the document the update was applied to, or None when no installed
            module follows shipments (the caller then logs the update as an
            ``integration`` event, as it always did).
        :raise odoo.addons.workflow_monitor_base.tools.errors.UnknownReferenceError:
            when no document of ``company`` has that reference.
        """
        return None
