# Copyright 2026 Workflow Monitor
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

from . import controllers, models

from .tools.uninstall import release_module_records


def uninstall_hook(env):
    """Release the references that would stop Odoo from deleting this module's records."""
    release_module_records(env, "workflow_monitor_base")
