# Copyright 2026 Workflow Monitor
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

from odoo import api, fields, models
from odoo.exceptions import MissingError

from ..tools import clock
from ..tools.context import context_flag

PENDING_KEY = "workflow_monitor.pending_chains"
DIRTY_KEY = "workflow_monitor.dirty_records"
FLUSHING_KEY = "workflow_monitor.flushing"
CONFIRMING_KEY = "workflow_monitor.confirming"
TOUCHED_KEY = "workflow_monitor.touched_documents"


class WorkflowTrackedMixin(models.AbstractModel):
    """Turn the stage changes of a document into workflow events.

    A consumer model inherits this mixin and sets the class attributes
    ``_workflow_definition`` (a ``workflow.definition`` code) and
    ``_workflow_tracked_fields`` (fields whose change may change the stage), then
    overrides :meth:`_workflow_stage_code` and, when its flow belongs to another
    record (a picking feeds its order), :meth:`_workflow_root` or
    :meth:`_workflow_capture`.

    A model whose records follow different flows (pickings: deliveries, transfers
    between warehouses, customer returns) overrides :meth:`_workflow_definition_code`
    instead and declares one ``_workflow_stage_code_<definition code>`` per flow, each
    in its own file: the default :meth:`_workflow_stage_code` dispatches to them.

    Capture costs no query on the hot path: a write of a tracked field only notes the
    document's new stage code (read from the cache) in the transaction; a recomputed
    stored stage field (picking ``state``, invoice ``payment_state``...) only marks the
    document. Before commit, like Odoo's own field tracking, everything noted is
    applied at once: one statement reads the instances, upserts them and inserts the
    events, whatever the number of documents. Every stage a document went through in
    the transaction gets its event, in order.
    """

    _name = "workflow.tracked.mixin"
    _description = "Workflow Tracked Document"
    _workflow_definition = None  # consumers set e.g. "order_to_cash"
    _workflow_tracked_fields = ("state",)
    # True when the stage reads records Odoo creates or recomputes later in the same
    # flow (an order's pickings and invoices): see _workflow_early_stage_code
    _workflow_defer_stage = False
    # for deferred models: the ``state`` value written by a confirmation, and the stage
    # code it notes at once
    _workflow_confirm_state = None
    _workflow_confirm_stage = "confirmed"
    # the OCEL qualifier of the flow's document in the exports (e.g. "order")
    _workflow_object_qualifier = "case"

    workflow_instance_id = fields.Many2one(
        "workflow.instance",
        string="Workflow",
        compute="_compute_workflow_instance_id",
        groups="workflow_monitor_base.group_workflow_user",
    )

    def _compute_workflow_instance_id(self):
        instances = self.env["workflow.instance"]
        definitions = self.filtered("id")._workflow_definition_code()
        if any(definitions.values()):
            instances = instances.search(
                [
                    ("definition_id.code", "in", list(set(filter(None, definitions.values())))),
                    ("res_model", "=", self._name),
                    ("res_id", "in", self.ids),
                ]
            )
        by_key = {
            (instance.res_id, instance.definition_id.code): instance for instance in instances
        }
        for record in self:
            record.workflow_instance_id = by_key.get((record.id, definitions.get(record)), False)

    # ------------------------------------------------------------
    # HOOKS (override in consumers)
    # ------------------------------------------------------------

    def _workflow_definition_code(self):
        """Hook: {record: code of the definition it follows, or None (no flow)}.
        Default: ``_workflow_definition`` for every record."""
        return dict.fromkeys(self, self._workflow_definition)

    def _workflow_stage_code(self):
        """Hook: {record: stage code} for each record of self; override per model.

        ``None`` means "no stage" (nothing is logged). Default: per definition of
        :meth:`_workflow_definition_code`, the model's ``_workflow_stage_code_<code>``
        when it has one, else :meth:`_workflow_default_stage_code`.
        """
        groups = {}
        for record, definition in self._workflow_definition_code().items():
            groups.setdefault(definition, []).append(record.id)
        codes = {}
        for definition, ids in groups.items():
            records = self.browse(ids)
            method = getattr(type(self), f"_workflow_stage_code_{definition}", None)
            if definition is None:
                codes.update(dict.fromkeys(records))
            else:
                codes.update(method(records) if method else records._workflow_default_stage_code())
        return codes

    def _workflow_default_stage_code(self):
        """The stage of a record of a flow without its own ``_workflow_stage_code_<code>``:
        for deferred models (``_workflow_defer_stage``) :meth:`_workflow_open_stage`, else
        ``_workflow_confirmed_stage()``; otherwise the value of the first tracked field."""
        if self._workflow_defer_stage:
            return {
                record: record._workflow_open_stage() or record._workflow_confirmed_stage()
                for record in self
            }
        fname = self._workflow_tracked_fields[0]
        return {record: record[fname] or None for record in self}

    def _workflow_early_stage_code(self):
        """Hook for models with ``_workflow_defer_stage``: {record: stage code or None}
        from what is known at once, without reading related records. Reading an order's
        pickings or invoices in the middle of Odoo's flow would load them early and split
        Odoo's batched writes (extra queries on the hot path), so such records are also
        marked and their full stage (:meth:`_workflow_stage_code`) is observed before
        commit, every field final. Default: :meth:`_workflow_open_stage`, and right
        after a confirmation (``_workflow_confirm_state`` written) the confirmed stage,
        so that confirm-and-reserve in one transaction keeps both steps."""
        confirming = self.env.cr.precommit.data.get(CONFIRMING_KEY, {}).get(self._name, set())
        codes = {}
        for record in self:
            code = record._workflow_open_stage()
            if code is None and record.id in confirming:
                code = self._workflow_confirm_stage
            codes[record] = code
        confirming.difference_update(self.ids)
        return codes

    def _workflow_confirmed_stage(self):
        """Hook (deferred models): the stage of one record past its open stages, read
        before commit with every field final."""
        return None

    def _workflow_open_stage(self):
        """Hook (deferred models): the stage known from the record alone (a quotation, a
        cancelled order), None when it depends on related records."""
        return None

    def _workflow_node_ref(self):
        """Hook: {record: node reference} (e.g. ``stock.warehouse,3``) or False."""
        return dict.fromkeys(self, False)

    def _workflow_root(self):
        """Hook: the records whose instance moves (the order of a picking); default self."""
        return self

    def _workflow_capture(self):
        """Hook: note the stages of the flows ``self`` feeds. Default: the root's flow."""
        self._workflow_root()._workflow_observe()

    @api.model
    def _workflow_related_documents(self):
        """Hook: the documents the exports link to a flow of this model, as a tuple of
        ``tools.process_relations.RelatedDocuments`` (qualifier, model, path from that
        model to this one, domain), e.g. an order's pickings. Default: none."""
        return ()

    def action_view_workflow_instance(self):
        """Open the workflow instance of the document (smart button)."""
        self.ensure_one()
        self.check_access("read")
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "workflow_monitor_base.action_workflow_instance"
        )
        action["domain"] = [("res_model", "=", self._name), ("res_id", "=", self.id)]
        action["context"] = {}
        if self.workflow_instance_id:
            action.update(
                res_id=self.workflow_instance_id.id, view_mode="form", views=[(False, "form")]
            )
        return action

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
        if (
            self._workflow_confirm_state
            and vals.get("state") == self._workflow_confirm_state
            and self._workflow_capture_enabled()
        ):
            confirming = self.env.cr.precommit.data.setdefault(CONFIRMING_KEY, {})
            confirming.setdefault(self._name, set()).update(self.ids)
        result = super().write(vals)
        if (
            self
            and not set(self._workflow_tracked_fields).isdisjoint(vals)
            and self._workflow_capture_enabled()
        ):
            self._workflow_capture()
        return result

    def unlink(self):
        # a deleted document has no stage left to capture: forget what was noted
        data = self.env.cr.precommit.data
        ids = set(self.ids)
        for _definition, model, res_id in list(data.get(PENDING_KEY, {})):
            if model == self._name and res_id in ids:
                del data[PENDING_KEY][(_definition, model, res_id)]
        if self._name in data.get(DIRTY_KEY, {}):
            data[DIRTY_KEY][self._name] -= ids
        return super().unlink()

    def _compute_field_value(self, field):
        result = super()._compute_field_value(field)
        if field.store and self._workflow_capture_enabled():
            computed = {f.name for f in self.pool.field_computed.get(field, [field])}
            if not computed.isdisjoint(self._workflow_tracked_fields):
                self._workflow_mark_dirty()
        return result

    # ------------------------------------------------------------
    # ENGINE
    # ------------------------------------------------------------

    def _workflow_capture_enabled(self):
        # ``workflow_capture_disable`` (benchmarks, data migrations) is read by the
        # environment that writes or recomputes: a stage field recomputed later, outside
        # that context, is captured as usual. Only server code sets it (server_context):
        # a client's context cannot switch capture off.
        cls = type(self)
        return (
            self._workflow_definition is not None
            or cls._workflow_capture is not WorkflowTrackedMixin._workflow_capture
            or cls._workflow_definition_code is not WorkflowTrackedMixin._workflow_definition_code
        ) and not context_flag(self.env, "workflow_capture_disable")

    def _workflow_pending(self):
        """The transaction's capture data; registers the pre-commit flush once."""
        data = self.env.cr.precommit.data
        if PENDING_KEY not in data:
            data[PENDING_KEY] = {}
            data[DIRTY_KEY] = {}
            env = self.env
            self.env.cr.precommit.add(
                lambda: env["workflow.tracked.mixin"]._workflow_flush_deferred()
            )
        return data[PENDING_KEY], data[DIRTY_KEY]

    def _workflow_feed(self, roots_of):
        """Note that each record of ``self`` touched the flows of ``roots_of(record)``
        (records of one model), then observe those roots: the next stage event of a root
        in this transaction links the records that moved it (``related_documents``).
        No query beyond reading the fields ``roots_of`` follows (prefetched)."""
        if not self:
            return
        self._workflow_pending()
        touched = self.env.cr.precommit.data.setdefault(TOUCHED_KEY, {})
        root_model, root_ids = None, {}
        for record in self:
            roots = roots_of(record)
            root_model = roots._name
            for root_id in roots._ids:
                # a dict as an ordered set: documents in the order they touched
                touched.setdefault((root_model, root_id), {})[(record._name, record.id)] = None
                root_ids[root_id] = None
        if root_model:
            self.env[root_model].browse(list(root_ids))._workflow_observe()

    def _workflow_take_touched(self):
        """The documents that touched the flow of the record ``self`` since its last
        noted stage, forgotten from the transaction: ((model, id), ...)."""
        touched = self.env.cr.precommit.data.get(TOUCHED_KEY)
        return tuple(touched.pop((self._name, self.id), ())) if touched else ()

    def _workflow_observe(self):
        """Note the current stage code of each record (no query beyond reading the
        fields the stage depends on)."""
        definitions = {
            record: code
            for record, code in self.filtered("id")._workflow_definition_code().items()
            if code
        }
        if not definitions:
            return
        records = self.browse([record.id for record in definitions])
        chains, _dirty = records._workflow_pending()
        now = clock.now(self.env)
        if records._workflow_defer_stage and not records._workflow_flushing():
            codes = records._workflow_early_stage_code()
            records._workflow_mark_dirty()
        else:
            codes = records._workflow_stage_code()
        for record, code in codes.items():
            if not code:
                continue
            chain = chains.setdefault((definitions[record], record._name, record.id), [])
            if not chain or chain[-1][0] != code:
                # who and what moved it: events are applied later, maybe by another env
                chain.append(
                    (
                        code,
                        now,
                        self.env.uid,
                        context_flag(self.env, "workflow_source"),
                        record._workflow_take_touched(),
                    )
                )

    def _workflow_flushing(self):
        """True while noted work is applied (pre-commit): every stored field is final and
        reading the inputs of a stage costs at most a prefetch."""
        return bool(self.env.cr.precommit.data.get(FLUSHING_KEY))

    def _workflow_final_stage_code(self):
        """{record: stage code} as the flush would see it: pending computations are
        flushed first, then the hook runs in flushing mode (for checks and repairs)."""
        self.env.flush_all()
        data = self.env.cr.precommit.data
        flushing = data.get(FLUSHING_KEY)
        data[FLUSHING_KEY] = True
        try:
            return self._workflow_stage_code()
        finally:
            data[FLUSHING_KEY] = flushing

    def _workflow_mark_dirty(self):
        """Remember records whose computed stage fields changed; observed before commit."""
        _chains, dirty = self._workflow_pending()
        dirty.setdefault(self._name, set()).update(self.ids)

    @api.model
    def _workflow_flush_deferred(self):
        """Apply what the transaction noted (called at pre-commit; tests call it too).

        The stage of marked records is observed first (their computed fields are final
        now), then every noted chain is applied in one batch.
        """
        data = self.env.cr.precommit.data
        data[FLUSHING_KEY] = True
        try:
            self._workflow_apply_noted(data)
        finally:
            data.pop(FLUSHING_KEY, None)

    @api.model
    def _workflow_apply_noted(self, data):
        for _round in range(10):  # applying may trigger computes that mark again
            chains = data.pop(PENDING_KEY, None)
            dirty = data.pop(DIRTY_KEY, None)
            if not chains and not dirty:
                data.pop(TOUCHED_KEY, None)  # touched flows that did not move
                return
            data[PENDING_KEY], data[DIRTY_KEY] = chains or {}, {}
            for model_name, ids in (dirty or {}).items():
                # deleted records left the set in unlink(): no existence query here,
                # unless a record vanished another way (SQL, cascade)
                records = self.env[model_name].browse(ids)
                try:
                    records._workflow_capture()
                except MissingError:
                    records.exists()._workflow_capture()
            chains = data.pop(PENDING_KEY)
            data.pop(DIRTY_KEY)
            self._workflow_attach_touched(chains, data.pop(TOUCHED_KEY, None))
            # sudo: instances and events are written on behalf of whoever moved the
            # documents; the engine only writes rows derived from the documents.
            self.env["workflow.instance"].sudo()._apply_chains(
                chains, source=context_flag(self.env, "workflow_source")
            )
            self.env.flush_all()

    @api.model
    def _workflow_attach_touched(self, chains, touched):
        """Documents that touched a flow after its last noted stage of the transaction
        (a picking created by the confirmation, validated after the order's delivery
        status was recomputed) belong to that stage change; the others moved nothing."""
        if not touched:
            return
        for (_definition, model, res_id), chain in chains.items():
            documents = touched.get((model, res_id))
            if not documents or not chain:
                continue
            # entries noted by _workflow_observe: (code, at, uid, source, documents)
            code, at, uid, source, earlier = chain[-1]
            chain[-1] = (code, at, uid, source, tuple(dict.fromkeys((*earlier, *documents))))
