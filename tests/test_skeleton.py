"""Every notebook has the course's shape (in the spirit of keras-io's ``validate()``).

Title, "What you will learn", "Time", "Set-up" (one import of the course package, then
``cu.setup()``), exercises in the pattern heading with points -> answer cell -> try-it ->
check(s) worth those points, and "Summary" then "Further reading" at the end.
"""

from __future__ import annotations

import re

import nbformat
import pytest

from course_tools.notebooks import cell_kind, read_source
from course_tools.release import source_paths

SOURCES = source_paths()
EXERCISE = re.compile(r"^###\s+Exercise\s+(\d+)\s+\((\d+)\s+points?\)\s*$", re.M)
SETUP_CODE = "import course_utils as cu\n\ncu.setup()"


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
        if code is None or not code.source.startswith(SETUP_CODE):
            problems.append(f"the first code cell after '## Set-up' must start with {SETUP_CODE!r}")
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
