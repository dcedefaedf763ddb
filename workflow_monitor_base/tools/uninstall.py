# Copyright 2026 Workflow Monitor
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

from collections import defaultdict


def release_module_records(env, module):
    """Delete what refers, through keys that forbid the deletion, to the records that
    ``module`` ships, so that Odoo can remove them when it uninstalls the module.

    Odoo deletes a module's records before it drops the module's columns and tables; a
    row referring to one of them with ``ondelete='restrict'`` makes that deletion fail:
    Odoo logs the failed DELETE as an ERROR and leaves the record behind (with its
    external id), and when the record's table belongs to the module too, it fails again
    once the table is gone. Called from the uninstall hooks (run as superuser, before
    that removal), this deletes:

    - the exceptions of the module's categories, as the instances of its workflows go
      with them (cascade); the event log keeps their history;
    - the server actions that log into the module's workflows or stages or raise
      exceptions in its categories, as Odoo deletes the actions of a removed action type;
    - the activities of the module's activity types.
    """
    owned = defaultdict(list)
    for row in env["ir.model.data"].search([("module", "=", module)]):
        owned[row.model].append(row.res_id)
    categories = owned["workflow.exception.category"]
    if categories:
        env["workflow.exception"].search([("category_id", "in", categories)]).unlink()
    env["ir.actions.server"].search(
        [
            "|",
            "|",
            ("workflow_definition_id", "in", owned["workflow.definition"]),
            ("workflow_stage_id", "in", owned["workflow.stage"]),
            ("workflow_category_id", "in", categories),
        ]
    ).unlink()
    if owned["mail.activity.type"]:
        env["mail.activity"].with_context(active_test=False).search(
            [("activity_type_id", "in", owned["mail.activity.type"])]
        ).unlink()
