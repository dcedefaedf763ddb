# Copyright 2026 Workflow Monitor
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

from . import workflow_test_document
from . import workflow_exception
from . import workflow_test_route
