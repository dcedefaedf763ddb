from odoo import api, fields, models


class WorkflowConfigAuditMixin(models.AbstractModel):
    """Record configuration changes as ``config`` workflow events (who, when, which
    record, old and new values), so "who changed the rule that stopped firing" has an
    answer. Models list the fields worth auditing in ``_workflow_audit_fields``."""

    _name = "workflow.config.audit.mixin"
    _description = "Workflow Configuration Audit"
    _workflow_audit_fields = ()

    @api.model_create_multi
    def create(self, vals_list):
        records = super().create(vals_list)
        records._workflow_audit_log("create", {record.id: {} for record in records})
        return records

    def write(self, vals):
        fnames = [f for f in self._workflow_audit_fields if f in vals and f in self._fields]
        if not fnames or not self._workflow_audit_active():
            return super().write(vals)
        before = {
            record.id: {f: self._workflow_audit_value(record, f) for f in fnames} for record in self
        }
        result = super().write(vals)
        changes = {}
        for record in self:
            diff = {}
            for fname in fnames:
                new = self._workflow_audit_value(record, fname)
                if new != before[record.id][fname]:
                    diff[fname] = [before[record.id][fname], new]
            if diff:
                changes[record.id] = diff
        if changes:
            self.browse(changes)._workflow_audit_log("write", changes)
        return result

    def unlink(self):
        self._workflow_audit_log("unlink", {record.id: {} for record in self})
        return super().unlink()

    @api.model
    def _workflow_audit_value(self, record, fname):
        field = record._fields[fname]
        value = record[fname]
        if field.type == "many2one":
            return [value.id, value.display_name] if value else None
        if field.type in ("one2many", "many2many"):
            return sorted(value.ids)
        if field.type in ("date", "datetime"):
            return fields.Datetime.to_string(value) if value else None
        if field.type == "html":
            return str(value) if value else None
        return value

    def _workflow_audit_active(self):
        # module installs and upgrades load configuration too: only audit a running system
        return self.env.registry.ready and not self.env.context.get("workflow_audit_disable")

    def _workflow_audit_log(self, action, changes):
        if not self or not self._workflow_audit_active():
            return
        self.env["workflow.event"]._log_events(
            [
                {
                    "res_model": self._name,
                    "res_id": record.id,
                    "event_type": "config",
                    "source": "user",
                    "company_id": (
                        record.company_id.id
                        if "company_id" in record._fields and record.company_id
                        else self.env.company.id
                    ),
                    "payload": {
                        "action": action,
                        "name": record.display_name,
                        "changes": changes.get(record.id) or {},
                    },
                }
                for record in self
            ]
        )
