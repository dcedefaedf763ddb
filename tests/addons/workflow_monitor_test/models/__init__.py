from . import workflow_test_document
from . import workflow_exception
