"""Every notebook has the course's shape (in the spirit of keras-io's ``validate()``).

Title, "What you will learn", "Time", "Set-up" (one import of the course package, which says in one
sentence how to install the course when it is missing, then ``cu.setup()``), exercises in the pattern
heading with points -> answer cell -> try-it -> check(s) worth those points, and "Summary" then
"Further reading" at the end.
"""

from __future__ import annotations

import ast
import re
import sys

import nbformat
import pytest

from course_tools.notebooks import cell_kind, read_source
from course_tools.release import source_paths

SOURCES = source_paths()
EXERCISE = re.compile(r"^###\s+Exercise\s+(\d+)\s+\((\d+)\s+points?\)\s*$", re.M)
#: How every set-up cell starts: the course's package, imported once and first (it sets the Keras backend).
SETUP_IMPORT = "try:\n    import course_utils as cu\nexcept ModuleNotFoundError as err:"


def setup_header(source: str) -> str | None:
    """The set-up cell's import of the course and its ``cu.setup()`` (the first two statements), or None
    when the cell does not start that way: ``try: import course_utils as cu`` with one handler of
    ``ModuleNotFoundError`` that re-raises a missing dependency and raises its own message for a missing
    course, then ``cu.setup()``."""
    if not source.startswith(SETUP_IMPORT):
        return None
    try:
        body = ast.parse(source).body
    except SyntaxError:
        return None
    if len(body) < 2 or not isinstance(body[0], ast.Try) or ast.unparse(body[1]) != "cu.setup()":
        return None
    handlers = body[0].handlers
    if ast.unparse(body[0].body[0]) != "import course_utils as cu" or len(body[0].body) != 1 or len(handlers) != 1:
        return None
    raises = [n for n in ast.walk(handlers[0]) if isinstance(n, ast.Raise)]
    if sorted(r.exc is None for r in raises) != [False, True]:  # `raise` (a dependency) and its own message
        return None
    return "\n".join(source.splitlines()[: body[1].end_lineno])


def _heading(cell, text: str) -> bool:
    return cell.cell_type == "markdown" and re.search(rf"^##\s+{re.escape(text)}\s*$", cell.source, re.M) is not None


def skeleton_problems(nb) -> list[str]:
    """What a notebook lacks of the course's shape, one sentence per problem (empty when it has it all)."""
    cells, problems = nb.cells, []
    first = cells[0] if cells else None
    if first is None or first.cell_type != "markdown" or not re.match(r"# \d\d · \S", first.source):
        problems.append("the first cell must be the title, '# NN · Title'")
    else:
        for part, pattern in [("What you will learn", r"\*\*What you will learn"), ("Time", r"\*\*Time:\*\*")]:
            if not re.search(pattern, first.source):
                problems.append(f"the title cell has no **{part}** paragraph")

    setup = [i for i, c in enumerate(cells) if _heading(c, "Set-up")]
    if len(setup) != 1:
        problems.append(f"expected one '## Set-up' heading, found {len(setup)}")
    else:
        code = next((c for c in cells[setup[0] + 1 :] if c.cell_type == "code"), None)
        if code is None or setup_header(code.source) is None:
            problems.append(
                f"the first code cell after '## Set-up' must start with {SETUP_IMPORT!r} (the set-up block of "
                "the other notebooks: it says how to install the course when course_utils is missing), then "
                "cu.setup()"
            )
        earlier = [i for i, c in enumerate(cells[: setup[0]]) if c.cell_type == "code"]
        if earlier:
            problems.append(
                f"code cells {earlier} run before the set-up cell: course_utils must be imported first (it "
                "keeps TensorFlow's CUDA start-up lines out of the notebook and sets the backend)"
            )
    uses = re.compile(r"^\s*(import|from) course_utils", re.M)
    imports = [i for i, c in enumerate(cells) if c.cell_type == "code" and uses.search(c.source)]
    if len(imports) > 1:
        problems.append(f"course_utils is imported in cells {imports}: import it once, in the set-up cell")

    exercises = [(i, m) for i, c in enumerate(cells) if c.cell_type == "markdown" for m in EXERCISE.finditer(c.source)]
    if not exercises:
        problems.append("no '### Exercise N (P points)' heading")
    numbers = [int(m.group(1)) for _, m in exercises]
    if numbers != list(range(1, len(numbers) + 1)):
        problems.append(f"exercises are numbered {numbers}, expected 1..{len(numbers)} in order")
    owned = set()
    for i, match in exercises:
        label, points = f"Exercise {match.group(1)}", int(match.group(2))
        nxt = cells[i + 1 : i + 4]
        kinds = [cell_kind(c) for c in nxt]
        if len(nxt) < 3 or kinds[0] != "solution":
            problems.append(f"{label}: the cell after its heading must be the answer cell")
            continue
        owned.add(i + 1)
        if kinds[1] != "markdown" or not nxt[1].source.startswith("Try it"):
            problems.append(f"{label}: the answer cell must be followed by a 'Try it' explanation")
        if kinds[2] != "code":
            problems.append(f"{label}: the 'Try it' explanation must be followed by a try-it code cell")
        j, total = i + 4, 0
        while j < len(cells) and cell_kind(cells[j]) == "tests":
            total += int(cells[j].metadata["nbgrader"].get("points", 0))
            j += 1
        if total == 0:
            problems.append(f"{label}: no check cell right after its try-it cell")
        elif total != points:
            problems.append(f"{label}: the heading says {points} points, its check cells give {total}")
    orphans = [i for i, c in enumerate(cells) if cell_kind(c) == "solution" and i not in owned]
    if orphans:
        problems.append(f"answer cells {orphans} have no '### Exercise' heading right above them")

    summary = [i for i, c in enumerate(cells) if _heading(c, "Summary")]
    reading = [i for i, c in enumerate(cells) if _heading(c, "Further reading")]
    if not summary:
        problems.append("no '## Summary' heading")
    if not reading:
        problems.append("no '## Further reading' heading")
    if summary and reading:
        if reading[-1] < summary[-1]:
            problems.append("'## Further reading' must come after '## Summary'")
        tail = [i for i, c in enumerate(cells) if i > summary[-1] and c.cell_type == "code"]
        if tail:
            problems.append(f"code cells {tail} come after the summary: the summary ends the notebook")
        if setup and exercises and not setup[0] < exercises[0][0] < summary[-1]:
            problems.append("the order must be Set-up, the exercises, then Summary")
    return problems


@pytest.mark.parametrize("path", SOURCES, ids=[p.stem for p in SOURCES])
def test_notebook_has_the_course_skeleton(path):
    problems = skeleton_problems(read_source(path))
    assert not problems, f"{path.name} does not follow the notebook skeleton:\n  - " + "\n  - ".join(problems)


def test_the_skeleton_check_names_what_is_missing(tmp_path):
    nb = read_source(SOURCES[1])
    nb.cells = [c for c in nb.cells if not _heading(c, "Set-up")]
    assert "expected one '## Set-up' heading, found 0" in skeleton_problems(nb)
    nb = read_source(SOURCES[1])
    answer = next(i for i, c in enumerate(nb.cells) if cell_kind(c) == "solution")
    del nb.cells[answer + 1]  # the 'Try it' explanation
    assert any("'Try it'" in p for p in skeleton_problems(nb))
    nb = read_source(SOURCES[1])
    nb.cells[0].source = nb.cells[0].source.replace("**Time:**", "Time:")
    assert "the title cell has no **Time** paragraph" in skeleton_problems(nb)
    nb = read_source(SOURCES[1])
    nb.cells.append(nb.cells[2])
    assert any("come after the summary" in p or "imported in cells" in p for p in skeleton_problems(nb))
    nb = read_source(SOURCES[1])
    nb.cells.insert(1, nbformat.v4.new_code_cell("import keras"))
    assert any("run before the set-up cell" in p for p in skeleton_problems(nb))


def _headers() -> dict[str, str]:
    out = {}
    for path in SOURCES:
        cells = read_source(path).cells
        setup = next(i for i, c in enumerate(cells) if _heading(c, "Set-up"))
        out[path.name] = setup_header(next(c for c in cells[setup + 1 :] if c.cell_type == "code").source)
    return out


def test_every_set_up_cell_has_the_same_header():
    headers = _headers()
    first = headers[SOURCES[0].name]
    assert first, "the start page has no set-up header"
    differ = sorted(name for name, header in headers.items() if header != first)
    assert not differ, f"set-up headers differ from {SOURCES[0].name}'s (copy it): {differ}"


def test_a_missing_course_gives_one_sentence_and_a_missing_dependency_its_own_error(monkeypatch):
    header = _headers()[SOURCES[0].name].replace("\ncu.setup()", "")
    monkeypatch.setitem(sys.modules, "course_utils", None)  # `import course_utils` now fails as if absent
    with pytest.raises(ModuleNotFoundError) as caught:
        exec(compile(header, "<set-up>", "exec"), {})  # noqa: S102 - the notebooks' own set-up code
    message = str(caught.value)
    assert caught.value.__cause__ is None and caught.value.__suppress_context__, "no chained ImportError"
    assert message.count(". ") == 0 and message.endswith("."), f"one sentence: {message!r}"
    for part in ("course_utils", "course_tools lab", "%pip install -e ..", "Colab", "Kaggle", "restart the kernel"):
        assert part in message, f"{part!r} missing from {message!r}"

    class MissingDependency:
        def find_spec(self, name, path=None, target=None):
            if name == "course_utils":
                raise ModuleNotFoundError("No module named 'tensorflow'", name="tensorflow")

    monkeypatch.delitem(sys.modules, "course_utils")
    monkeypatch.setattr(sys, "meta_path", [MissingDependency(), *sys.meta_path])
    with pytest.raises(ModuleNotFoundError, match="No module named 'tensorflow'"):
        exec(compile(header, "<set-up>", "exec"), {})  # noqa: S102
