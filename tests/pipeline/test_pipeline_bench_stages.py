"""The upload bench times the pipeline's stages by wrapping the functions it calls: a function
renamed in the pipeline must fail here, not only when someone runs `make bench`."""

from bench.pipeline_bench import Stages
from valuation.pipeline import services


def test_every_stage_the_bench_times_is_a_function_the_pipeline_has_and_is_restored():
    original = services.valuate_converted
    with Stages() as stages:
        assert services.valuate_converted is not original  # wrapped
        wrapped = [attribute for _owner, attribute, _original in stages._undo]
    assert services.valuate_converted is original
    assert {"process_upload", "valuate_converted", "_compute", "_save_run", "commit"} <= set(wrapped)
