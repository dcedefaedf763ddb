from . import signature
