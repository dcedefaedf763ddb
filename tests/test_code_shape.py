# Copyright 2026 Workflow Monitor
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

"""The shape of the code (issue 15): no production method of the suite is longer than
``MAX_LINES`` lines (from its ``def`` line to its last line, docstring included), so a
long method is cut into named steps instead of growing. ``ALLOWED`` holds the exceptions,
each with its reason; an entry that no longer matches a long method fails too."""

import ast
import unittest
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
MAX_LINES = 80
# (file, function) -> why it stays longer than MAX_LINES
ALLOWED = {}


def long_methods():
    found = {}
    for path in sorted(REPO.glob("workflow_monitor_*/**/*.py")):
        relative = path.relative_to(REPO).as_posix()
        if "/tests/" in relative or "/migrations/" in relative:
            continue
        for node in ast.walk(ast.parse(path.read_text(), relative)):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                length = node.end_lineno - node.lineno + 1
                if length > MAX_LINES:
                    found[(relative, node.name)] = length
    return found


class TestCodeShape(unittest.TestCase):
    def test_no_method_longer_than_the_limit(self):
        found = long_methods()
        unexpected = {key: lines for key, lines in found.items() if key not in ALLOWED}
        self.assertFalse(
            unexpected,
            f"methods over {MAX_LINES} lines (cut them into named steps): "
            + ", ".join(f"{file}::{name} ({lines})" for (file, name), lines in unexpected.items()),
        )
        self.assertFalse(set(ALLOWED) - set(found), "ALLOWED entries that are not long any more")
