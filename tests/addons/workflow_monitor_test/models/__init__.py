from . import workflow_test_document
