"""The automatic mutants (course_tools/mutants.py): every operator fires, sources compile, keys are unique."""

from __future__ import annotations

from course_tools.mutants import mutants

ANSWER = '''
def f(x, y, k=3):
    """Docstring: not mutated."""
    total = 0
    for i in range(len(x)):
        if x[i] < y and not x[i] == 0:
            total += np.sum(x[i:k]) * 2.5
    z = np.maximum(total, 0)
    return layers.ReLU()(z) if k >= 1 else np.pad(x, 1, mode="constant", constant_values=0)
'''


def test_every_kind_of_operator_fires():
    found = list(mutants(ANSWER))
    kinds = {m.operator for m in found}
    assert kinds >= {
        "arith",
        "augassign",
        "compare",
        "bool",
        "constant",
        "slice",
        "argument",
        "function",
        "range",
        "statement",
    }
    texts = [m.source for m in found]
    assert any("total -= " in t for t in texts) and any("total = np.sum" in t for t in texts)
    assert any("np.mean(x[i:k])" in t for t in texts) and any("np.minimum(total, 0)" in t for t in texts)
    assert any("ReLU(max_value=6.0)" in t for t in texts)
    assert any("range(len(x) - 1)" in t for t in texts)
    assert any("x[i + 1:k]" in t or "x[i + 1:k]" in t.replace(" ", "") for t in texts)
    assert any("mode='edge'" in t for t in texts)
    assert not any("Docstring" not in t for t in texts), "the docstring stays"


def test_mutants_compile_differ_and_have_unique_keys():
    found = list(mutants(ANSWER))
    keys = [m.key for m in found]
    assert len(keys) == len(set(keys)), "two mutants share a key"
    originals = {m.source for m in found}
    assert len(originals) == len(found)
    for m in found:
        compile(m.source, "<mutant>", "exec")
        assert m.line >= 2


def test_only_the_named_functions_and_statements_outside_functions():
    two = "def a(x):\n    return x + 1\n\ndef b(x):\n    return x - 1\n"
    only_a = list(mutants(two, within={"a"}))
    assert only_a and all("def b(x):\n    return x - 1" in m.source for m in only_a)
    assert list(mutants("import numpy as np\n")) == []
    top = list(mutants("model = build(3, padding='same')\n"))
    assert any("'valid'" in m.source for m in top) and any("build(4" in m.source for m in top)
