# Copyright 2026 Workflow Monitor
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

import hashlib
import hmac
import json

from odoo import api, fields, models

from ..tools.context import context_flag


class WorkflowConfigAuditMixin(models.AbstractModel):
    """Record configuration changes as ``config`` workflow events (who, when, which
    record, old and new values), so "who changed the rule that stopped firing" has an
    answer. Models list the fields worth auditing in ``_workflow_audit_fields``; each
    extension of a model lists only the fields it adds (they are collected over the
    classes of the model, :meth:`_workflow_audit_fnames`).

    Events are read by every workflow user: a field they may not read (one with
    ``groups``, such as the ``code`` of server actions and scheduled actions, or one
    :meth:`_workflow_audit_restricted` names, such as a secret) is stored as a digest
    ``{"sha256": ..., "restricted": true}``, never as its value. The digest is keyed
    with the database secret, so that a short secret cannot be guessed from it; equal
    digests still tell an administrator that a value came back.
    """

    _name = "workflow.config.audit.mixin"
    _description = "Workflow Configuration Audit"
    _workflow_audit_fields = ()
    # True: create and unlink events carry the audited values too ([None, value] and
    # [value, None]), for records that are nothing but their value (parameters)
    _workflow_audit_values_on_create = False

    @api.model_create_multi
    def create(self, vals_list):
        records = super().create(vals_list)
        to_log = records._workflow_audit_records()
        to_log._workflow_audit_log("create", to_log._workflow_audit_snapshot(created=True))
        return records

    def write(self, vals):
        fnames = [f for f in self._workflow_audit_fnames() if f in vals]
        if not fnames or not self._workflow_audit_active():
            return super().write(vals)
        audited = self._workflow_audit_records()
        before = {
            record.id: {f: self._workflow_audit_value(record, f) for f in fnames}
            for record in audited
        }
        result = super().write(vals)
        changes = {}
        for record in audited:
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
        to_log = self._workflow_audit_records()
        to_log._workflow_audit_log("unlink", to_log._workflow_audit_snapshot(created=False))
        return super().unlink()

    def _workflow_audit_snapshot(self, created):
        """{record id: {field: [old, new]}} of a record appearing (``created``) or
        disappearing, when the model logs its values then; else empty changes."""
        if not (self and self._workflow_audit_values_on_create and self._workflow_audit_active()):
            return {record.id: {} for record in self}
        snapshot = {}
        for record in self:
            values = {}
            for fname in self._workflow_audit_fnames():
                value = self._workflow_audit_value(record, fname)
                if value not in (None, False):
                    values[fname] = [None, value] if created else [value, None]
            snapshot[record.id] = values
        return snapshot

    @api.model
    def _workflow_audit_fnames(self):
        """The audited fields of the model: the ``_workflow_audit_fields`` of every class
        of the model (each module's extension adds its own), existing fields only."""
        fnames = {}
        for cls in reversed(type(self).__mro__):
            for fname in cls.__dict__.get("_workflow_audit_fields", ()):
                if fname in self._fields:
                    fnames[fname] = None
        return tuple(fnames)

    # ------------------------------------------------------------
    # HOOKS
    # ------------------------------------------------------------

    def _workflow_audit_records(self):
        """Hook: the records of ``self`` whose changes are audited (default: all)."""
        return self

    def _workflow_audit_restricted(self, record, fname):
        """Hook: whether the value of ``fname`` must not be copied into the event. By
        default, fields restricted to groups (``groups=``): event readers may lack them."""
        return bool(record._fields[fname].groups)

    # ------------------------------------------------------------
    # HELPERS
    # ------------------------------------------------------------

    @api.model
    def _workflow_audit_value(self, record, fname):
        field = record._fields[fname]
        value = record[fname]
        if field.type == "many2one":
            value = [value.id, value.display_name] if value else None
        elif field.type in ("one2many", "many2many"):
            value = sorted(value.ids)
        elif field.type in ("date", "datetime"):
            value = fields.Datetime.to_string(value) if value else None
        elif field.type == "html":
            value = str(value) if value else None
        if self._workflow_audit_restricted(record, fname):
            return self._workflow_audit_digest(value)
        return value

    @api.model
    def _workflow_audit_digest(self, value):
        """``{"sha256": HMAC-SHA256 of the value, "restricted": True}`` (None stays None)."""
        if value is None or value is False:
            return None
        secret = self.env["ir.config_parameter"].sudo().get_param("database.secret") or ""
        data = json.dumps(value, sort_keys=True, default=str).encode()
        digest = hmac.new(secret.encode(), data, hashlib.sha256).hexdigest()
        return {"sha256": digest, "restricted": True}

    def _workflow_audit_active(self):
        # module installs and upgrades load configuration too: only audit a running
        # system; server code (never a client's context) may switch the audit off
        return self.env.registry.ready and not context_flag(self.env, "workflow_audit_disable")

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
