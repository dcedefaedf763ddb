from odoo import models


class WorkflowSimulator(models.AbstractModel):
    _name = "workflow.simulator"
    _description = "Workflow Monitor Distribution Simulator"
