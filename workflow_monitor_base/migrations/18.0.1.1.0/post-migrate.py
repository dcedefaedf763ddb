# Copyright 2026 Workflow Monitor
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

"""18.0.1.1.0: the SLA sweep writes each chunk in one statement, and its chunks grew from
5,000 to 20,000 instances (the per-chunk cost of a commit and of the hooks is then paid
four times less). The scheduled action is noupdate data: its code is moved to the new
default only when nobody changed the one shipped before."""

SHIPPED = "model._cron_sla_sweep(batch_size=5000)"
NEW = "model._cron_sla_sweep()"


def migrate(cr, version):
    cr.execute(
        """UPDATE ir_act_server a SET code = %s
             FROM ir_cron c
             JOIN ir_model_data d ON d.model = 'ir.cron' AND d.res_id = c.id
            WHERE d.module = 'workflow_monitor_base' AND d.name = 'ir_cron_sla_sweep'
              AND a.id = c.ir_actions_server_id AND a.code = %s""",
        [NEW, SHIPPED],
    )
