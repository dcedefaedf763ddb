from odoo import api, models


class WorkflowCachedConfigMixin(models.AbstractModel):
    """Configuration read on hot paths through ``ormcache`` (stage maps, category ids,
    SLA rules): any change clears the caches, in every worker (the registry signals it)."""

    _name = "workflow.cached.config.mixin"
    _description = "Workflow Configuration Cached by Workers"

    @api.model_create_multi
    def create(self, vals_list):
        self.env.registry.clear_cache()
        return super().create(vals_list)

    def write(self, vals):
        self.env.registry.clear_cache()
        return super().write(vals)

    def unlink(self):
        self.env.registry.clear_cache()
        return super().unlink()
