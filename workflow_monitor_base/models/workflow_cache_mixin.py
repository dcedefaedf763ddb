# Copyright 2026 Workflow Monitor
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

from odoo import api, models


class WorkflowCachedConfigMixin(models.AbstractModel):
    """Configuration read on hot paths through ``ormcache`` (stage maps, category ids,
    SLA rules, calendars, route specs): a change clears the caches, in every worker (the
    registry signals it at commit).

    Consumers narrow what counts as a change: ``_workflow_cache_fields`` (a write of
    other fields keeps the caches; ``None``: any field) and
    :meth:`_workflow_cache_affected` (which records the caches hold at all)."""

    _name = "workflow.cached.config.mixin"
    _description = "Workflow Configuration Cached by Workers"
    _workflow_cache_fields = None

    def _workflow_cache_affected(self, vals=None):
        """Whether the caches depend on ``self`` (``vals``: the values being written)."""
        return bool(self)

    def _workflow_cache_clear(self):
        self.env.registry.clear_cache()

    @api.model_create_multi
    def create(self, vals_list):
        records = super().create(vals_list)
        if records._workflow_cache_affected():
            records._workflow_cache_clear()
        return records

    def write(self, vals):
        watched = self._workflow_cache_fields
        affected = (watched is None or not watched.isdisjoint(vals)) and (
            self._workflow_cache_affected(vals)
        )
        result = super().write(vals)
        if affected:
            self._workflow_cache_clear()
        return result

    def unlink(self):
        affected = self._workflow_cache_affected()
        result = super().unlink()
        if affected:
            self._workflow_cache_clear()
        return result
