"""The pure valuation engine: stock lines (pandas) and facility terms in, a frozen result out.

No Django, DRF or Celery here (an import-linter contract enforces it), so the same code runs in
a Celery task, a management command, a notebook or a test. Entry point: ``valuate``.
"""

from valuation.engine.errors import EngineInputError, LineProblem, TermsError
from valuation.engine.result import ValuationResult
from valuation.engine.run import valuate
from valuation.engine.terms import FacilityTerms, terms_from_dict, terms_to_dict

# Recorded on every valuation run with the digest of its inputs: a figure can always be traced to
# the rules that computed it. Raise it whenever a change to the engine can change a figure.
ENGINE_VERSION = "2026.12.1"

__all__ = [
    "ENGINE_VERSION",
    "EngineInputError",
    "FacilityTerms",
    "LineProblem",
    "TermsError",
    "ValuationResult",
    "terms_from_dict",
    "terms_to_dict",
    "valuate",
]
