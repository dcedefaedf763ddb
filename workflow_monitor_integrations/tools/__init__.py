from . import metrics, signature, transport
