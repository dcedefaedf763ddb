# Copyright 2026 Workflow Monitor
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

"""A trained model stored as JSON (never pickle), with the sha256 of that JSON kept
beside it so an altered model is refused when loaded: the classifier and the risk model."""

import hashlib

from odoo import api, models


def json_checksum(raw):
    """The sha256 of a model's JSON (False without one)."""
    if not raw:
        return False
    return hashlib.sha256(raw.encode() if isinstance(raw, str) else raw).hexdigest()


class WorkflowAiJsonModelMixin(models.AbstractModel):
    """Keeps ``checksum`` the sha256 of ``model_json`` on every create and write; the
    inheriting model defines both fields and checks the sum when it loads the JSON."""

    _name = "workflow.ai.json.model.mixin"
    _description = "Workflow AI Model Stored as JSON"

    def write(self, vals):
        if "model_json" in vals:
            vals["checksum"] = json_checksum(vals["model_json"])
        return super().write(vals)

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            if vals.get("model_json"):
                vals["checksum"] = json_checksum(vals["model_json"])
        return super().create(vals_list)
