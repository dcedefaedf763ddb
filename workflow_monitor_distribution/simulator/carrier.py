# Copyright 2026 Workflow Monitor
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

"""The carrier of the simulated company: every shipped delivery gets a tracking
reference; the carrier reports it in transit the same evening and delivered one or two
days later, or a failed attempt first (``failed_delivery_share``), then delivered.

The updates arrive as the carrier would send them: with Workflow Monitor Integrations
installed (this module does not depend on it), as signed ``carrier.status`` webhooks of
the "SIM Carrier" integration, verified and handed to the inbox exactly as the inbound
endpoint does after reading the request (stored, deduplicated, ordered per tracking
reference, processed by the ``carrier.status`` handler); without it, through the base
hook the handler calls (``workflow.instance._workflow_carrier_update``). They are sent
by the morning step after they happened, with the carrier's time as ``occurred_at``.
"""

import json
import logging
import uuid
from datetime import timedelta
from typing import NamedTuple

_logger = logging.getLogger(__name__)

INTEGRATION_MODEL = "workflow.integration"
INTEGRATION_NAME = "SIM Carrier"
FAILURE_REASONS = (
    "Recipient absent, a notice was left",
    "Address incomplete",
    "Business closed at the time of delivery",
)


class Update(NamedTuple):
    at: object  # when it happened (naive UTC)
    picking_id: int
    tracking_ref: str
    status: str  # the carrier's code: in_transit, failed_delivery, delivered
    reason: str | None = None


def shipped(sim, pickings):
    """Tracking references for the deliveries just shipped, and the carrier's updates
    about them planned."""
    rng = sim.rng_carrier
    for picking in pickings.sorted("id"):
        ref = f"SIM-TRK-{picking.id:07d}"
        picking.with_user(sim.master.people.warehouse).carrier_tracking_ref = ref
        updates = [
            Update(sim.now + timedelta(hours=rng.randint(2, 4)), picking.id, ref, "in_transit")
        ]
        days = rng.randint(1, 2)
        delivered_at = sim.now + timedelta(days=days, hours=rng.randint(-4, 1))
        if rng.random() < sim.shares.failed_delivery_share:
            reason = rng.choice(FAILURE_REASONS)
            updates.append(Update(delivered_at, picking.id, ref, "failed_delivery", reason))
            delivered_at += timedelta(days=rng.randint(1, 2))
        updates.append(Update(delivered_at, picking.id, ref, "delivered"))
        sim.plans.carrier_updates.extend(updates)
    sim.counts["tracked"] += len(pickings)


def track(sim):
    """Send the updates that happened by now, oldest first."""
    plans = sim.plans
    due = sorted(
        (u for u in plans.carrier_updates if u.at <= sim.now), key=lambda u: (u.at, u.picking_id)
    )
    if not due:
        return
    plans.carrier_updates = [u for u in plans.carrier_updates if u.at > sim.now]
    send = _send_webhook if INTEGRATION_MODEL in sim.env else _send_direct
    integration = _integration(sim) if send is _send_webhook else None
    for update in due:
        if send(sim, integration, update):
            sim.counts["carrier_updates"] += 1
            sim.counts["failed_deliveries"] += update.status == "failed_delivery"


def _integration(sim):
    """The carrier's inbound integration of the simulated company (created once);
    sudo: its signing secret is an administrator's field, read to sign as the carrier."""
    Integration = sim.env[INTEGRATION_MODEL].sudo().with_context(active_test=False)
    company = sim.master.company
    integration = Integration.search(
        [("name", "=", INTEGRATION_NAME), ("company_id", "=", company.id)], limit=1
    )
    if not integration:
        integration = Integration.create(
            {"name": INTEGRATION_NAME, "kind": "carrier", "company_id": company.id}
        )
    return integration


def _payload(update):
    data = {"tracking_ref": update.tracking_ref, "status": update.status}
    if update.reason:
        data["reason"] = update.reason
    return {"type": "carrier.status", "occurred_at": update.at.isoformat() + "Z", "data": data}


def _send_webhook(sim, integration, update):
    """One signed webhook through the inbox, as the endpoint hands it over."""
    from odoo.addons.workflow_monitor_integrations.tools import signature

    body = json.dumps(_payload(update)).encode()
    headers = signature.sign_headers(integration.signing_secret, f"msg_{uuid.uuid4().hex}", body)
    signature.verify(integration.signing_secret, headers, body)
    # sudo: the endpoint's caller is anonymous, authenticated by the signature
    answer = (
        sim.env["workflow.integration.message"]
        .sudo()
        ._inbound_receive(
            integration,
            headers["webhook-id"],
            "application/json",
            body,
            # the simulator commits between days only (replenishment.scheduler_off)
            commit=False,
        )
    )
    if answer.status != 200:
        _logger.warning(
            "Workflow Monitor simulator: carrier update %s refused (%s): %s",
            update,
            answer.status,
            answer.body,
        )
    return answer.status == 200


def _send_direct(sim, _integration, update):
    payload = _payload(update)["data"]
    sim.env["workflow.instance"]._workflow_carrier_update(
        sim.master.company, update.tracking_ref, update.status, update.at, payload
    )
    return True
