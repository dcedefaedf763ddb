from . import metrics, signature
