from . import test_mixin
