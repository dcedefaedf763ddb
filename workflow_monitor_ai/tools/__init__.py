from . import classifier
from . import masking
from . import robust
