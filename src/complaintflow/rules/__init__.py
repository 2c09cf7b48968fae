"""Rules as data (guide §2.3): classification rules, screening settings and
SLA policy packs, read from TOML and never evaluated.

- :class:`RuleSet`: keyword, phrase, pattern and field rules with weights,
  a threshold, and the settings of the built-in screens (duplicate,
  incomplete, malicious). ``RuleSet.default()`` is what the engine uses.
- :class:`RuleFileError`: every mistake in a rule file, naming the file,
  the table and the key.
- Policy packs: ``SlaPolicy.pack(name)`` and ``SlaPolicy.pack_calendar(name)``.
"""

from complaintflow._rulefile import Problem, RuleFileError
from complaintflow.rules._ruleset import (
    ClassificationResult,
    DuplicateScreen,
    IncompleteScreen,
    MaliciousScreen,
    Match,
    Rule,
    RuleSet,
    check_file,
)
from complaintflow.rules._screening import screen, similarity
from complaintflow.rules._text import normalize
from complaintflow.sla._policy import PACKS, PackInfo, check_pack_file, pack_info

__all__ = [
    "PACKS",
    "ClassificationResult",
    "DuplicateScreen",
    "IncompleteScreen",
    "MaliciousScreen",
    "Match",
    "PackInfo",
    "Problem",
    "Rule",
    "RuleFileError",
    "RuleSet",
    "check_file",
    "check_pack_file",
    "normalize",
    "pack_info",
    "screen",
    "similarity",
]
