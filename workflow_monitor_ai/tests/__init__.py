# Copyright 2026 Workflow Monitor
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

from . import test_classifier
from . import test_suggestions
from . import test_similar_root_cause
from . import test_anomaly
from . import test_provider
from . import test_briefing
from . import test_ui
from . import test_sla_sweep
from . import test_risk
