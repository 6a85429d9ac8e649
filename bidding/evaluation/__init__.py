"""The evaluation (评标, docs/evaluation.md): the agency's scheme (评标办法), the experts' signed
sheets (qualification review, score sheets, opinions), the summary computed only from sheets whose
signatures verify, every expert's signature on it, and :func:`recommended_ranking` for the award."""
from bidding.evaluation import report as _report  # noqa: F401  (registers the report's stamping rules)
