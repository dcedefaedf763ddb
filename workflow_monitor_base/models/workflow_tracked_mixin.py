from odoo import api, fields, models

DEFERRED_KEY = "workflow_monitor.deferred_capture"


class WorkflowTrackedMixin(models.AbstractModel):
    """Turn the stage changes of a document into workflow events.

    A consumer model inherits this mixin and sets the class attributes
    ``_workflow_definition`` (a ``workflow.definition`` code) and
    ``_workflow_tracked_fields`` (fields whose change may change the stage), then
    overrides :meth:`_workflow_stage_code` and, when its flow belongs to another
    record (a picking feeds its order), :meth:`_workflow_root`.

    Capture is synchronous for written fields (``create``/``write``) and deferred to
    the pre-commit phase for computed stored fields (picking ``state``, invoice
    ``payment_state``...), which Odoo recomputes at flush time: the same place Odoo's
    own field tracking hooks into. Either way, the stage of each record is compared to
    its instance and only actual changes are logged, in bulk.
    """

    _name = "workflow.tracked.mixin"
    _description = "Workflow Tracked Document"
    _workflow_definition = None  # consumers set e.g. "order_to_cash"
    _workflow_tracked_fields = ("state",)

    workflow_instance_id = fields.Many2one(
        "workflow.instance",
        string="Workflow",
        compute="_compute_workflow_instance_id",
        groups="workflow_monitor_base.group_workflow_user",
    )

    def _compute_workflow_instance_id(self):
        instances = self.env["workflow.instance"]
        if self._workflow_definition and self.ids:
            instances = instances.search(
                [
                    ("definition_id.code", "=", self._workflow_definition),
                    ("res_model", "=", self._name),
                    ("res_id", "in", self.ids),
                ]
            )
        by_res_id = {instance.res_id: instance for instance in instances}
        for record in self:
            record.workflow_instance_id = by_res_id.get(record.id, False)

    # ------------------------------------------------------------
    # HOOKS (override in consumers)
    # ------------------------------------------------------------

    def _workflow_stage_code(self):
        """Hook: {record: stage code} for each record of self; override per model.

        ``None`` means "no stage" (nothing is logged). Default: the value of the first
        tracked field.
        """
        fname = self._workflow_tracked_fields[0]
        return {record: record[fname] or None for record in self}

    def _workflow_root(self):
        """Hook: the records whose instance moves (the order of a picking); default self."""
        return self

    def _workflow_capture(self):
        """Hook: re-evaluate the flows ``self`` feeds. Default: the root's own flow."""
        self._workflow_root()._workflow_sync()

    # ------------------------------------------------------------
    # CRUD
    # ------------------------------------------------------------

    @api.model_create_multi
    def create(self, vals_list):
        records = super().create(vals_list)
        if records._workflow_capture_enabled():
            records._workflow_capture()
        return records

    def write(self, vals):
        result = super().write(vals)
        if (
            self
            and not set(self._workflow_tracked_fields).isdisjoint(vals)
            and self._workflow_capture_enabled()
        ):
            self._workflow_capture()
        return result

    def _compute_field_value(self, field):
        result = super()._compute_field_value(field)
        if field.store and self._workflow_capture_enabled():
            computed = {f.name for f in self.pool.field_computed.get(field, [field])}
            if not computed.isdisjoint(self._workflow_tracked_fields):
                self._workflow_defer_capture()
        return result

    # ------------------------------------------------------------
    # ENGINE
    # ------------------------------------------------------------

    def _workflow_capture_enabled(self):
        # ``workflow_capture_disable`` (benchmarks, data migrations) is read by the
        # environment that writes or recomputes: a stage field recomputed later, outside
        # that context, is captured as usual.
        return (
            self._workflow_definition is not None
            or type(self)._workflow_capture is not WorkflowTrackedMixin._workflow_capture
        ) and not self.env.context.get("workflow_capture_disable")

    def _workflow_sync(self, now=None, source=None):
        """Compare each record's stage code with its instance and log the changes."""
        records = self.filtered("id")
        if not records or not records._workflow_definition:
            return self.env["workflow.event"]
        codes = records._workflow_stage_code()
        # sudo: instances and events are written on behalf of whoever moved the
        # document; the engine only writes rows derived from the document itself.
        return (
            self.env["workflow.instance"]
            .sudo()
            .with_context(workflow_source=source or self.env.context.get("workflow_source"))
            ._move(records._workflow_definition, codes, now=now, source=source)
        )

    def _workflow_defer_capture(self):
        """Remember records whose computed stage fields changed; capture before commit."""
        data = self.env.cr.precommit.data
        pending = data.get(DEFERRED_KEY)
        if pending is None:
            pending = data[DEFERRED_KEY] = {}
            env = self.env
            self.env.cr.precommit.add(
                lambda: env["workflow.tracked.mixin"]._workflow_flush_deferred()
            )
        pending.setdefault(self._name, set()).update(self.ids)

    @api.model
    def _workflow_flush_deferred(self):
        """Run the deferred captures (called at pre-commit; tests call it directly)."""
        data = self.env.cr.precommit.data
        for _round in range(10):  # capture may trigger computes that defer again
            pending = data.pop(DEFERRED_KEY, None)
            if not pending:
                return
            for model_name, ids in pending.items():
                records = self.env[model_name].browse(ids).exists()
                if records:
                    records._workflow_capture()
            self.env.flush_all()
