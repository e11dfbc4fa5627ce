"""The engine imports no Django, DRF or Celery; its result round-trips through JSON."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

from tests.engine.helpers import AS_OF, lines, terms
from valuation.engine import valuate
from valuation.engine.serialize import result_from_dict, result_to_dict

ENGINE = Path(__file__).resolve().parents[2] / "valuation" / "engine"
FORBIDDEN = ("django", "rest_framework", "celery", "borrowers", "facilities", "reports")


def test_no_engine_module_imports_a_framework():
    """No import statement in valuation/engine names Django, DRF, Celery or an app."""
    for path in ENGINE.glob("*.py"):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            else:
                continue
            for name in names:
                assert name.split(".")[0] not in FORBIDDEN, f"{path.name} imports {name}"


def test_importing_the_engine_loads_no_framework():
    """A fresh interpreter importing valuation.engine has no Django or Celery loaded."""
    code = (
        "import sys, valuation.engine.run, valuation.engine.serialize;"
        f"print([m for m in sys.modules if m.split('.')[0] in {FORBIDDEN!r}])"
    )
    root = ENGINE.parents[1]
    output = subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True, text=True, check=True).stdout
    assert output.strip() == "[]"


def test_result_round_trips_through_json():
    """result_to_dict is JSON-able with Decimals as strings, and result_from_dict inverts it."""
    df = lines(["1000.10", "20"], defective=[False, True], warehouse=["W01", "W02"])
    result = valuate(df, terms(), as_of=AS_OF)
    data = json.loads(json.dumps(result_to_dict(result)))
    assert data["eligibility"]["eligible"] == "1000.10"
    assert result_from_dict(data, result.lines) == result


def test_per_line_frame_has_no_python_objects():
    """The drill-down frame is columnar: ints and categoricals only, ready for COPY."""
    df = lines(["10", "20"], defective=[False, True], warehouse=["W01", "W02"])
    frame = valuate(df, terms(), as_of=AS_OF).lines
    assert {str(t) for t in frame.dtypes} <= {"int64", "category"}
    assert list(frame.columns[:10]) == [
        "row",
        "category",
        "warehouse",
        "book_value_cents",
        "eligible_cents",
        "ineligible_cents",
        "first_reason",
        "nrv_cents",
        "eligible_nrv_cents",
        "nrv_basis",
    ]
