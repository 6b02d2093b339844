"""REE Assistant: cited answers and gap checklists for rare-earth supply chains.

Importing this package is cheap; models and indexes load on first use.
"""

from assistant.core import Assistant
from assistant.errors import ReeError
from assistant.settings import Settings
from assistant.types import Answer, Checklist, Citation, Filters, StageRow

__all__ = ["Answer", "Assistant", "Checklist", "Citation", "Filters", "ReeError", "Settings", "StageRow"]
