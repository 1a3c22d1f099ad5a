"""The automatic mutation score of the checks (course_tools/mutation.py), per exercise and in total.

The scores recorded in ``benchmarks/results.json`` (``python -m course_tools mutation-score --record``) carry
the hash of what they depend on (the notebook's source, its domain module, its variants file, the checks,
the mutants' maker). A notebook whose hash changed since is measured again here (minutes: one kernel, every
mutant against the checks); the others are read from the record. Either way the thresholds hold:
>= 90% of each exercise's non-equivalent mutants caught by the visible checks, >= 95% over all exercises,
>= 99% with the hidden tests.
"""

from __future__ import annotations

import json

import pytest

from course_tools import mutation
from course_tools.cases import domain_stems

STEMS = domain_stems()
_MEASURED: dict[str, list] = {}


def _scores(stem, tmp_path_factory) -> list:
    if stem not in _MEASURED:
        path = mutation.ROOT / "benchmarks" / "results.json"
        record = json.loads(path.read_text(encoding="utf-8")).get("mutation_score", {}).get(stem)
        if record and record.get("sources") == mutation.sources_hash(stem):
            _MEASURED[stem] = mutation.stored_scores(path)[stem]
        else:
            _MEASURED[stem] = mutation.score_notebook(stem, tmp_path_factory.mktemp(stem), log=lambda line: None)
    return _MEASURED[stem]


@pytest.mark.backend("tensorflow")
@pytest.mark.parametrize("stem", STEMS)
def test_each_exercise_catches_its_mutants(stem, tmp_path_factory, record_property):
    scores = _scores(stem, tmp_path_factory)
    record_property("mutations", mutation.table({stem: scores}))
    short = [p for p in mutation.problems({stem: scores}) if not p.startswith("total")]
    gaps = [
        f"{s.exercise}: {v['key']} ({v['fresh']})"
        for s in scores
        for v in s.survivors
        if v["fresh"].startswith("differs")
    ]
    assert not short, "\n".join(short + gaps)


@pytest.mark.backend("tensorflow")
def test_the_whole_course_catches_its_mutants(tmp_path_factory):
    scores = {stem: _scores(stem, tmp_path_factory) for stem in STEMS}
    totals = [p for p in mutation.problems(scores) if p.startswith("total")]
    assert not totals, "\n".join(totals) + "\n" + mutation.table(scores)
