"""Rules as data (guide §2.3): classification rules, screening settings and
SLA policy packs, read from TOML and never evaluated.

- :class:`RuleSet`: keyword, phrase, pattern and field rules with weights,
  a threshold, and the settings of the built-in screens (duplicate,
  incomplete, malicious). ``RuleSet.default()`` is what the engine uses.
- :class:`TextModel`: the learned fallback (naive Bayes over character and
  word n-grams) that decides when the rules do not; :func:`train`,
  :func:`read_labelled`, :func:`labelled_examples` and :func:`triage_queue`
  around it.
- :class:`RuleFileError`: every mistake in a rule file, naming the file,
  the table and the key.
- Policy packs: ``SlaPolicy.pack(name)`` and ``SlaPolicy.pack_calendar(name)``.
"""

from complaintflow._rulefile import Problem, RuleFileError
from complaintflow.rules._learning import (
    LabelledExample,
    labelled_examples,
    triage_queue,
    write_labelled,
)
from complaintflow.rules._model import ModelError, Prediction, TextModel, read_labelled, train
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
    "LabelledExample",
    "MaliciousScreen",
    "Match",
    "ModelError",
    "PackInfo",
    "Prediction",
    "Problem",
    "Rule",
    "RuleFileError",
    "RuleSet",
    "TextModel",
    "check_file",
    "check_pack_file",
    "labelled_examples",
    "normalize",
    "pack_info",
    "read_labelled",
    "screen",
    "similarity",
    "train",
    "triage_queue",
    "write_labelled",
]
