from . import workflow_approval_decision_wizard
