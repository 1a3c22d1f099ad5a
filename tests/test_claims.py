"""The claims check: every claim a notebook's prose makes about its run is tied to a recorded metric,
and the benchmark's verdicts name what is broken."""

from __future__ import annotations

import io
import json

import pytest

from course_tools.bench import check_claims, write_markdown
from course_tools.claims import Claim, ClaimError, check_names, evaluate, load_claims, reported_names
from course_tools.release import source_paths
from course_utils.config import project_root

ROOT = project_root()
CLAIMS = load_claims(ROOT)
SOURCES = {p.stem: p for p in source_paths(ROOT)}


def test_every_notebook_has_claims_and_every_claims_file_a_notebook():
    assert sorted(CLAIMS) == sorted(SOURCES), (
        f"claims files without a notebook: {sorted(set(CLAIMS) - set(SOURCES))}; "
        f"notebooks without benchmarks/claims/<stem>.toml: {sorted(set(SOURCES) - set(CLAIMS))}"
    )
    for stem, claims in CLAIMS.items():
        assert claims, f"benchmarks/claims/{stem}.toml has no [[claim]]"
        assert any("wall_s" in c.names() for c in claims), f"{stem}: no time budget among its claims (wall_s)"


@pytest.mark.parametrize("stem", sorted(SOURCES))
def test_every_claim_reads_metrics_the_notebook_records(stem):
    patterns = reported_names(SOURCES[stem])
    # What the benchmark adds to every entry: the wall time, the matmul peak, and the fraction of it
    # a notebook's training reached (computed from the notebook's own train_gflops).
    added_by_benchmark = {"wall_s": None, "matmul_peak_gflops": None, "train_fraction_of_peak": "train_gflops"}
    missing = [
        f"{claim.name}: {name}"
        for claim in CLAIMS.get(stem, [])
        for name in sorted(claim.names())
        if not any(p.fullmatch(added_by_benchmark.get(name) or name) for p in patterns)
        and not (name in added_by_benchmark and added_by_benchmark[name] is None)
    ]
    assert not missing, f"{stem}: claims read metrics the notebook never passes to cu.report: {missing}"


def test_a_claim_is_judged_and_records_the_value_it_is_about():
    claim = Claim("c", "the gap is about 0.8", "0.7 <= a - b <= 0.9 and wall_s < 10")
    assert evaluate(claim, {"a": 1.5, "b": 0.7}, wall_s=3.0) == {
        "name": "c",
        "statement": "the gap is about 0.8",
        "check": claim.check,
        "value": 0.8,
        "ok": True,
    }
    assert evaluate(claim, {"a": 1.5, "b": 0.7}, wall_s=30.0)["ok"] is False
    assert evaluate(claim, {"a": 2.0, "b": 0.7}, wall_s=3.0)["ok"] is False
    missing = evaluate(claim, {"a": 1.5}, wall_s=3.0)
    assert missing["ok"] is False and missing["error"] == "the run recorded no metric 'b'"
    assert evaluate(Claim("s", "best is both", "best == 'both'"), {"best": "both"})["ok"] is True


@pytest.mark.parametrize(
    "check",
    ["__import__('os').system('true')", "a.real > 0", "[x for x in a]", "open('f') == 1", "a[0] > 1", "a if b else c"],
)
def test_a_check_evaluates_nothing_but_arithmetic_and_comparisons(check):
    with pytest.raises(ClaimError):
        check_names(check)


def test_claims_files_with_mistakes_are_named(tmp_path):
    folder = tmp_path / "benchmarks" / "claims"
    folder.mkdir(parents=True)
    bad = folder / "01_demo.toml"
    for text, needle in [
        ('[[claim]]\nname = "x"\nstatement = "s"\n', "missing ['check']"),
        ('[[claim]]\nname = "x"\nstatement = "s"\ncheck = "a >"\n', "is not an expression"),
        ('[[claim]]\nname = "x"\nstatement = "s"\ncheck = "a > 1"\nbackends = ["jax"]\n', "backends must be"),
        (
            '[[claim]]\nname = "x"\nstatement = "s"\ncheck = "a > 1"\n[[claim]]\nname = "x"\nstatement = "t"\n'
            'check = "a > 2"\n',
            "not unique",
        ),
        ("[claim\n", "not valid TOML"),
    ]:
        bad.write_text(text)
        with pytest.raises(ClaimError, match="01_demo.toml") as err:
            load_claims(tmp_path)
        assert needle in str(err.value)


def _course(tmp_path, results: dict, claims: str):
    (tmp_path / "solutions").mkdir()
    (tmp_path / "solutions" / "01_demo.py").write_text('# %%\nimport course_utils as cu\ncu.report("acc", 0.9)\n')
    (tmp_path / "benchmarks" / "claims").mkdir(parents=True)
    (tmp_path / "benchmarks" / "claims" / "01_demo.toml").write_text(claims)
    (tmp_path / "benchmarks" / "results.json").write_text(json.dumps(results))
    return tmp_path


CLAIMS_TEXT = (
    '[[claim]]\nname = "accurate"\nstatement = "about 90%"\ncheck = "acc >= 0.85"\n'
    '[[claim]]\nname = "quick"\nstatement = "under a minute"\ncheck = "wall_s < 60"\nbackends = ["tensorflow"]\n'
)


def _entry(acc, wall):
    return {"wall_s": wall, "metrics": {"acc": acc}, "errors": [], "ok": True, "peak_rss_mb": 1, "date": "d"}


def test_bench_check_passes_when_every_claim_holds_and_names_the_broken_one(tmp_path):
    results = {"01_demo": {"tensorflow": {"full": _entry(0.9, 30)}, "torch": {"full": _entry(0.9, 300)}}}
    root = _course(tmp_path, results, CLAIMS_TEXT)
    out = io.StringIO()
    assert check_claims(root=root, out=out) == 0, out.getvalue()
    assert "3 claim verdicts hold, 0 problem(s)" in out.getvalue()  # "quick" is judged on TensorFlow only

    results["01_demo"]["torch"]["full"] = _entry(0.7, 30)
    (root / "benchmarks" / "results.json").write_text(json.dumps(results))
    out = io.StringIO()
    assert check_claims(root=root, out=out) == 1
    assert "01_demo | torch | accurate: about 90% -- `acc >= 0.85` fails (value 0.7" in out.getvalue()

    del results["01_demo"]["torch"]
    (root / "benchmarks" / "results.json").write_text(json.dumps(results))
    out = io.StringIO()
    assert check_claims(root=root, out=out) == 1
    assert "01_demo | torch: no full-mode result" in out.getvalue()


def test_bench_check_update_writes_the_verdicts_and_the_table(tmp_path):
    results = {"01_demo": {"tensorflow": {"full": _entry(0.9, 90)}}}
    root = _course(tmp_path, results, CLAIMS_TEXT)
    assert check_claims(root=root, update=True, out=io.StringIO()) == 1  # 90 s is not under a minute; no torch run
    written = json.loads((root / "benchmarks" / "results.json").read_text())
    verdicts = written["01_demo"]["tensorflow"]["full"]["claims"]
    assert [(v["name"], v["ok"], v["value"]) for v in verdicts] == [("accurate", True, 0.9), ("quick", False, 90)]
    table = (root / "benchmarks" / "results.md").read_text()
    assert "| 1/2 (broken: quick) |" in table and "**BROKEN** | quick | under a minute | `wall_s < 60` | 90 |" in table


def test_the_table_shows_claims_only_where_they_were_judged(tmp_path):
    results = {"01_demo": {"tensorflow": {"fast": _entry(0.9, 5)}}}
    write_markdown(results, tmp_path / "r.md")
    assert "| 01_demo | tensorflow | fast | 5 | 1 | - | yes |  |" in (tmp_path / "r.md").read_text()


def test_the_committed_results_hold_every_claim():
    """Every claim of every notebook holds on the committed full-mode run of both backends.

    Fails when a claims file or a notebook's text changes without a new run (run
    ``python -m course_tools bench --notebooks NN --modes full`` on both backends and commit the results).
    """
    out = io.StringIO()
    assert check_claims(root=ROOT, out=out) == 0, out.getvalue()[-3000:]


def test_a_claim_whose_figure_varies_holds_on_every_seed_and_needs_them():
    from course_tools.bench import judge_claims

    claims = {"01_demo": [Claim("c", "accuracy 85-95%", "0.85 <= acc <= 0.95", seeds=3)]}
    entry = _entry(0.9, 30)
    (verdict,) = judge_claims("01_demo", "tensorflow", entry, claims)
    assert verdict["ok"] is False and "judged on 1 seed(s), the claim needs 3" in verdict["error"]
    entry["seeds"] = {"1": _entry(0.88, 31), "2": _entry(0.93, 29)}
    (verdict,) = judge_claims("01_demo", "tensorflow", entry, claims)
    assert verdict["ok"] is True and verdict["values"] == [0.9, 0.88, 0.93]
    entry["seeds"]["2"] = _entry(0.97, 29)
    (verdict,) = judge_claims("01_demo", "tensorflow", entry, claims)
    assert verdict["ok"] is False and verdict["values"][-1] == 0.97, "one seed outside the range breaks it"
