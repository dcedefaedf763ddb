# Copyright 2026 Workflow Monitor
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

"""Carrier tracking: the base hook ``_workflow_carrier_update`` implemented for
outgoing pickings (``carrier.status`` webhooks of the integrations module call it).

- The picking is the outgoing picking of the integration's company whose
  ``carrier_tracking_ref`` is the message's reference (several: the latest, not
  cancelled first); a message naming a picking (``res_model`` / ``res_id``) uses it.
  None: ``UnknownReferenceError`` (the inbox answers 422 and retries the message).
- Statuses: ``in_transit`` / ``out_for_delivery`` move a shipped picking's delivery
  flow to ``in_transit``, ``delivered`` to ``delivered`` (final: the flow ends again);
  ``failed_delivery`` / ``failed`` / ``exception`` / ``returned_to_sender`` raise
  ``delivery_failed`` on the picking with the carrier's reason (flow in ``in_transit``:
  the parcel is still with the carrier), resolved by a later ``delivered``. Any other
  status, a picking not shipped yet or one that follows no delivery flow, is logged as
  an ``integration`` event on the picking.
- The moment is the carrier's ``occurred_at``, never in the future and never before
  the stage the flow is in (clocks differ).
"""

from typing import NamedTuple

from odoo import _, api, models

from odoo.addons.workflow_monitor_base.tools import clock
from odoo.addons.workflow_monitor_base.tools.errors import UnknownReferenceError

from .stock_picking_carrier import CARRIER_STAGES

DELIVERY = "delivery"
FAILED_CATEGORY = "delivery_failed"
# carrier status (lower case) -> status stored on the picking
CARRIER_STATUS_OF = {
    "in_transit": "in_transit",
    "out_for_delivery": "in_transit",
    "delivered": "delivered",
    "failed_delivery": "failed",
    "failed": "failed",
    "exception": "failed",
    "returned_to_sender": "failed",
}
OPEN_EXCEPTION_STATES = ("new", "assigned", "in_progress")


class CarrierUpdate(NamedTuple):
    """One carrier update about one picking, as applied."""

    picking: object  # stock.picking
    instance: object  # its delivery flow (workflow.instance), empty when it follows none
    status: str  # the carrier's code, lower case
    carrier_status: str | None  # in_transit / delivered / failed, None: not followed
    at: object  # naive UTC datetime
    payload: dict


class WorkflowInstanceCarrier(models.Model):
    _inherit = "workflow.instance"

    @api.model
    def _workflow_carrier_update(self, company, tracking_ref, status, occurred_at, data):
        if data.get("res_model") and data["res_model"] != "stock.picking":
            # the message names another document: logged on it, as without tracking
            return super()._workflow_carrier_update(
                company, tracking_ref, status, occurred_at, data
            )
        picking = self._carrier_picking(company, tracking_ref, data)
        instance = self._carrier_instance(picking)
        update = CarrierUpdate(
            picking=picking,
            instance=instance,
            status=status,
            carrier_status=CARRIER_STATUS_OF.get(status),
            at=self._carrier_moment(instance, occurred_at),
            payload={
                "carrier_status": status,
                "tracking_ref": tracking_ref,
                "location": data.get("location"),
                "description": data.get("description"),
                "webhook_id": data.get("webhook_id"),
            },
        )
        moved = self._carrier_apply(update)
        if update.carrier_status == "failed":
            self._carrier_raise_failed(update, data)
        elif update.carrier_status == "delivered":
            self._carrier_resolve_failed(update)
        if not moved:
            self._carrier_log_event(update)
        return picking

    # ------------------------------------------------------------
    # MATCH
    # ------------------------------------------------------------

    @api.model
    def _carrier_picking(self, company, tracking_ref, data):
        """The outgoing picking of ``company`` the update is about, or raise."""
        Picking = self.env["stock.picking"].with_context(active_test=False)
        if data.get("res_model") == "stock.picking" and data.get("res_id"):
            # the inbox checked that it exists and belongs to the company
            domain = [("id", "=", data["res_id"])]
        else:
            domain = [("carrier_tracking_ref", "=", tracking_ref)]
        domain += [("company_id", "=", company.id), ("picking_type_code", "=", "outgoing")]
        # several pickings with one reference: the latest one still alive
        candidates = Picking.search(domain, order="date_done desc nulls last, id desc", limit=10)
        picking = candidates.filtered(lambda p: p.state != "cancel")[:1] or candidates[:1]
        if not picking:
            raise UnknownReferenceError(
                _(
                    "No outgoing delivery has the tracking reference %(ref)r (field: "
                    "data.tracking_ref). The message is kept and applied when a delivery "
                    "gets this reference.",
                    ref=tracking_ref,
                ),
                field="data.tracking_ref",
            )
        return picking

    @api.model
    def _carrier_instance(self, picking):
        """The picking's delivery flow: a picking that follows another flow (a transfer
        between warehouses) is never moved onto this one."""
        return self.search(
            [
                ("definition_id.code", "=", DELIVERY),
                ("res_model", "=", picking._name),
                ("res_id", "=", picking.id),
            ],
            limit=1,
        )

    @api.model
    def _carrier_moment(self, instance, occurred_at):
        """When the update happened: the carrier's time, at most now, and not before
        the picking's flow entered its current stage."""
        now = clock.now(self.env)
        at = min(occurred_at or now, now)
        if instance.stage_entered_at and at < instance.stage_entered_at:
            at = instance.stage_entered_at
        return at

    # ------------------------------------------------------------
    # APPLY
    # ------------------------------------------------------------

    @api.model
    def _carrier_apply(self, update):
        """Store the carrier's status on a shipped picking and move its delivery flow;
        True when a stage event was logged."""
        picking, carrier_status = update.picking, update.carrier_status
        if not carrier_status or picking.state != "done" or not update.instance:
            return False
        vals = {
            "workflow_carrier_status": carrier_status,
            "workflow_carrier_status_at": update.at,
        }
        if carrier_status == "delivered" and not picking.workflow_delivered_at:
            vals["workflow_delivered_at"] = update.at  # the first delivery, as the KPI
        picking.write(vals)
        events = self._move(
            DELIVERY,
            {picking: CARRIER_STAGES[carrier_status]},
            now=update.at,
            source="webhook",
            payload=update.payload,
        )
        return bool(events)

    @api.model
    def _carrier_log_event(self, update):
        """An ``integration`` event on the picking (a status without a stage move)."""
        picking = update.picking
        self.env["workflow.event"]._log_events(
            [
                {
                    "event_type": "integration",
                    "res_model": picking._name,
                    "res_id": picking.id,
                    "occurred_at": update.at,
                    "source": "webhook",
                    "company_id": picking.company_id.id,
                    "payload": update.payload,
                }
            ]
        )

    @api.model
    def _carrier_raise_failed(self, update, data):
        picking = update.picking
        reason = data.get("reason") or data.get("description") or update.status
        warehouse = picking.picking_type_id.warehouse_id
        self.env["workflow.exception"].raise_exception(
            picking,
            FAILED_CATEGORY,
            _(
                "Delivery %(name)s failed: %(reason)s",
                name=picking.name,
                reason=str(reason)[:200],
            ),
            dedupe_key=f"{FAILED_CATEGORY}:stock.picking,{picking.id}",
            description=_(
                "Carrier status %(status)s at %(at)s (UTC), tracking reference %(ref)s, "
                "location: %(location)s. Carrier's words: %(description)s",
                status=update.status,
                at=update.at,
                ref=update.payload["tracking_ref"],
                location=data.get("location") or "-",
                description=data.get("description") or data.get("reason") or "-",
            ),
            company_id=picking.company_id.id,
            node_ref=f"stock.warehouse,{warehouse.id}" if warehouse else False,
        )

    @api.model
    def _carrier_resolve_failed(self, update):
        """A delivered parcel clears the failed delivery of its picking."""
        picking = update.picking
        failed = self.env["workflow.exception"].search(
            [
                ("category_id.code", "=", FAILED_CATEGORY),
                ("res_model", "=", picking._name),
                ("res_id", "=", picking.id),
                ("state", "in", OPEN_EXCEPTION_STATES),
            ]
        )
        failed._resolve(
            _("Delivered to the customer (carrier update of %(at)s UTC).", at=update.at),
            auto=True,
        )
