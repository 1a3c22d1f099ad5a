"""Generated check cases: input domains -> expected outputs stored as data.

Each notebook with checks over generated inputs has a domain module, ``course_tools/domains/NN_topic.py``,
with a dict ``DOMAINS`` of :class:`Domain` per exercise: a seeded generator of :class:`Gen` cases that
covers the edge cases of the exercise's kind (non-square shapes and shapes of size one, every argument
away from its default, ties, degenerate and extreme inputs), ordered from the small diagnostic cases to
the general ones, and how the learner's function is probed (see ``course_utils.checks.probe_*``).

``python -m course_tools cases`` runs the **reference** answers (the answer cells of
``solutions/NN_topic.py``, executed here with the notebook's imports and definitions) on every case and
writes ``course_utils/cases/<exercise>.npz``: the inputs and the expected outputs, values only. The
learner's visible check (``cu.checks.check_cases(fn, "exercise")``) compares with them; no algorithm
ships. ``--check`` recomputes every expected output on this machine's backend and compares within the
cases' tolerances; :func:`stale` (run by ``release --check``) compares the sources' hash recorded in each
file, without running anything.

Under the class grader the same domains are drawn again with the grader's seed (:func:`fresh_cases`), so
a table of the stored answers earns nothing there.
"""

from __future__ import annotations

import ast
import hashlib
import importlib
import io
import json
import zipfile
import zlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = [
    "Gen",
    "Domain",
    "domains",
    "build",
    "check",
    "stale",
    "fresh_cases",
    "grading_cases",
    "reference_namespace",
]

FORMAT = 1


@dataclass
class Gen:
    """One generated case: what is special about it, the call's arguments, and a hint for that kind."""

    kind: str
    args: tuple
    kwargs: dict = field(default_factory=dict)
    hint: str = ""
    group: str = ""
    options: dict = field(default_factory=dict)  # per-case overrides (a tolerance, a probe option)


@dataclass
class Domain:
    """The input domain of one exercise and how its function is probed and compared.

    ``generate(rng)`` yields :class:`Gen`; ``probe`` is ``call`` (a NumPy function), ``tensor`` (backend
    tensors in, value and gradients compared), ``block`` (a Keras block applied to ``keras.Input``),
    ``model`` (a model builder) or ``on_model`` (a function given Keras models built by the probe);
    ``select`` picks one item of a returned tuple; ``returns`` and ``dtype``
    are the documented contract (see ``course_utils.checks._RETURNS``); ``options`` go to the probe and
    the comparison (``tensor_args``, ``grad_args``, ``modes``, ``zero_bias``, ``x``, ``params_also``, ...).
    ``alternatives`` are other answers the text accepts (functions, e.g. the stride on another convolution):
    where one gives another value than the reference, that value is stored too (``also``) and accepted.
    """

    generate: Callable[[Any], Iterable[Gen]]
    argnames: tuple = ()
    probe: str = "call"
    select: int | None = None
    returns: str | None = None
    dtype: str | None = None
    atol: float = 1e-6
    rtol: float = 1e-5
    hint: str = ""
    options: dict = field(default_factory=dict)
    function: str | None = None  # the reference function's name (default: the exercise's)
    fresh: bool = True  # the grader may draw new cases (False: the stored ones only)
    alternatives: tuple = ()  # other accepted answers (callables): their differing values are stored too

    def all_options(self) -> dict:
        out = {"probe": self.probe, "atol": self.atol, "rtol": self.rtol, **self.options}
        for key in ("select", "returns", "dtype"):
            if getattr(self, key) is not None:
                out[key] = getattr(self, key)
        return out


def _root() -> Path:
    return Path(__file__).resolve().parent.parent


def cases_dir() -> Path:
    return _root() / "course_utils" / "cases"


def domain_stems() -> list[str]:
    return sorted(p.stem for p in (Path(__file__).parent / "domains").glob("[0-9][0-9]_*.py"))


def domains(stem: str) -> dict[str, Domain]:
    """The domains of notebook ``stem`` (``course_tools/domains/<stem>.py``)."""
    module = importlib.import_module(f"course_tools.domains.{stem}")
    return dict(module.DOMAINS)


def _solution_cells(stem: str):
    from .notebooks import cell_kind, read_source

    nb = read_source(_root() / "solutions" / f"{stem}.py")
    return [(cell_kind(c), c) for c in nb.cells if c.cell_type == "code"]


def sources_hash(stem: str) -> str:
    """What the stored cases depend on: the domain module, every answer cell, and the probes' code (read as
    text: nothing is imported, so ``release --check`` stays fast)."""
    h = hashlib.sha256()
    h.update((Path(__file__).parent / "domains" / f"{stem}.py").read_bytes())
    for kind, cell in _solution_cells(stem):
        if kind == "solution":
            h.update(cell.source.encode())
    h.update(_probe_sources().encode())
    return h.hexdigest()[:16]


def _probe_sources() -> str:
    """The text of the probes in ``course_utils/checks.py`` (what the expected outputs depend on there)."""
    text = (_root() / "course_utils" / "checks.py").read_text(encoding="utf-8")
    tree = ast.parse(text)
    return "\n".join(
        ast.get_source_segment(text, node) or ""
        for node in tree.body
        if isinstance(node, ast.FunctionDef) and node.name.startswith("probe_")
    )


def _definitions(source: str) -> list[str]:
    """The statements of a non-answer cell that define something cheaply: imports (guarded by ``try`` too),
    functions, classes, and names bound to literals (``IMG = 64``)."""
    lines = [("pass  # " + ln) if ln.lstrip().startswith(("%", "!")) else ln for ln in source.splitlines()]
    text = "\n".join(lines)
    try:
        tree = ast.parse(text)
    except SyntaxError:
        return []
    keep = []
    for stmt in tree.body:
        if isinstance(stmt, (ast.Import, ast.ImportFrom, ast.FunctionDef, ast.ClassDef)):
            keep.append(stmt)
        elif isinstance(stmt, ast.Try) and all(isinstance(s, (ast.Import, ast.ImportFrom)) for s in stmt.body):
            keep.append(stmt)  # the set-up cell's guarded import of course_utils
        elif isinstance(stmt, ast.Assign):
            try:
                ast.literal_eval(stmt.value)
            except ValueError:
                continue
            keep.append(stmt)
    return [ast.get_source_segment(text, s) or ast.unparse(s) for s in keep]


def reference_namespace(stem: str) -> dict:
    """The official answers of notebook ``stem``, defined in a fresh namespace with the notebook's imports.

    Answer cells run whole; of the other cells only imports, function and class definitions and names bound
    to literals run (one statement at a time: one that needs a value the notebook computes is skipped).
    """
    ns: dict = {"__name__": f"__reference_{stem}__"}
    for kind, cell in _solution_cells(stem):
        if kind == "tests":
            continue
        if kind == "solution":
            exec(compile(cell.source, f"<{stem} answer>", "exec"), ns)  # noqa: S102 - the course's own solution
            continue
        for statement in _definitions(cell.source):
            try:
                exec(compile(statement, f"<{stem} definitions>", "exec"), ns)  # noqa: S102
            except Exception:  # noqa: BLE001 - e.g. a default argument computed by the notebook
                pass
    return ns


def _probes():
    import course_utils.checks as checks

    return {name: getattr(checks, function) for name, function in checks._PROBES.items()}


def _copy(value):
    import numpy as np

    if isinstance(value, np.ndarray):
        return value.copy()
    if type(value) in (list, tuple):
        return type(value)(_copy(v) for v in value)
    if type(value) is dict:
        return {k: _copy(v) for k, v in value.items()}
    return value


def _expected(result: dict, domain: Domain) -> dict:
    out = {"value": result["value"]}
    if domain.probe == "tensor" and domain.options.get("grad", True):
        out["grads"] = list(result["grads"])
        if any(g is None for g in out["grads"]):
            raise RuntimeError("the reference has no gradient for one of grad_args")
    for key in ("params", "output_shape"):
        if result.get(key) is not None:
            out[key] = result[key]
    return out


def run_domain(exercise: str, domain: Domain, reference: Callable, seed: int | None = None) -> list[dict]:
    """Generate the cases of one exercise and the reference's expected outputs, as plain records."""
    import numpy as np

    import course_utils.checks as checks

    key = [zlib.crc32(exercise.encode())] + ([] if seed is None else [int(seed)])
    probe = _probes()[domain.probe]
    records = []
    for gen in domain.generate(np.random.default_rng(key)):
        options = dict(domain.all_options(), **gen.options)
        result = probe(reference, [_copy(a) for a in gen.args], {k: _copy(v) for k, v in gen.kwargs.items()}, options)
        expected = _expected(result, domain)
        for other in domain.alternatives:
            value = probe(other, [_copy(a) for a in gen.args], {k: _copy(v) for k, v in gen.kwargs.items()}, options)
            if checks._compare(expected["value"], value["value"], float(options["atol"]), float(options["rtol"])):
                expected.setdefault("also", []).append(value["value"])
        records.append(
            {
                "kind": gen.kind,
                "hint": gen.hint,
                "group": gen.group,
                "options": gen.options,
                "args": list(gen.args),
                "kwargs": dict(gen.kwargs),
                "expected": expected,
            }
        )
    return records


# --------------------------------------------------------------------------- storage


def _encode(value, arrays: dict, prefix: str):
    import numpy as np

    if isinstance(value, np.ndarray):
        key = f"{prefix}_{len(arrays)}"
        arrays[key] = value
        return {"$a": key}
    if isinstance(value, np.generic):
        key = f"{prefix}_{len(arrays)}"
        arrays[key] = np.asarray(value)
        return {"$s": key}
    if isinstance(value, tuple):
        return {"$t": [_encode(v, arrays, prefix) for v in value]}
    if isinstance(value, list):
        return [_encode(v, arrays, prefix) for v in value]
    if isinstance(value, dict):
        return {"$d": {str(k): _encode(v, arrays, prefix) for k, v in value.items()}}
    if isinstance(value, float) and not np.isfinite(value):
        return {"$f": repr(value)}
    if value is None or type(value) in (bool, int, float, str):
        return value
    raise TypeError(f"cannot store a {type(value).__name__} in a case")


def write_cases(path: Path, exercise: str, domain: Domain, records: list[dict], source_hash: str) -> None:
    """Write one exercise's cases as a deterministic ``.npz`` (same inputs, same bytes)."""
    import numpy as np

    arrays: dict = {}
    stored = []
    for i, r in enumerate(records):
        stored.append(
            {
                "kind": r["kind"],
                **({"hint": r["hint"]} if r["hint"] else {}),
                **({"group": r["group"]} if r["group"] else {}),
                **({"options": r["options"]} if r["options"] else {}),
                "args": _encode(list(r["args"]), arrays, f"c{i}a"),
                "kwargs": _encode(r["kwargs"], arrays, f"c{i}k"),
                "expected": _encode(r["expected"], arrays, f"c{i}e"),
            }
        )
    meta = {
        "format": FORMAT,
        "exercise": exercise,
        "sources": source_hash,
        "argnames": list(domain.argnames),
        "hint": domain.hint,
        "options": domain.all_options(),
        "cases": stored,
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as z:
        for key, value in [("meta", np.array(json.dumps(meta)))] + sorted(arrays.items()):
            data = io.BytesIO()
            np.lib.format.write_array(data, np.array(value, order="C"), allow_pickle=False)
            info = zipfile.ZipInfo(f"{key}.npy", date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            z.writestr(info, data.getvalue())
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(buffer.getvalue())


def _stored_meta(path: Path) -> dict | None:
    import numpy as np

    if not path.is_file():
        return None
    with np.load(path, allow_pickle=False) as stored:
        return json.loads(str(stored["meta"][()]))


# --------------------------------------------------------------------------- commands


def build(stems: list[str] | None = None, log=print) -> list[Path]:
    """Write the cases of every exercise of ``stems`` (default: every notebook with a domain module)."""
    written = []
    for stem in stems or domain_stems():
        ns = reference_namespace(stem)
        source_hash = sources_hash(stem)
        for exercise, domain in domains(stem).items():
            records = run_domain(exercise, domain, ns[domain.function or exercise])
            path = cases_dir() / f"{exercise}.npz"
            write_cases(path, exercise, domain, records, source_hash)
            written.append(path)
            size = path.stat().st_size
            log(f"{stem}: {exercise}: {len(records)} cases -> {path.relative_to(_root())} ({size:,} bytes)")
    return written


def stale(stems: list[str] | None = None) -> list[str]:
    """Exercises whose stored cases are missing or were built from other sources (no code is run)."""
    found = []
    for stem in stems or domain_stems():
        source_hash = sources_hash(stem)
        module_text = (Path(__file__).parent / "domains" / f"{stem}.py").read_text(encoding="utf-8")
        names = [n for n in _domain_names(module_text)]
        for exercise in names:
            meta = _stored_meta(cases_dir() / f"{exercise}.npz")
            if meta is None:
                found.append(f"{stem}: {exercise}: no stored cases")
            elif meta.get("sources") != source_hash:
                found.append(
                    f"{stem}: {exercise}: built from other sources (run `python -m course_tools cases {stem[:2]}`)"
                )
    return found


def _domain_names(module_text: str) -> list[str]:
    """The keys of ``DOMAINS = {...}`` in a domain module, read without importing it."""
    for node in ast.parse(module_text).body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", "") == "DOMAINS" for t in node.targets):
            if isinstance(node.value, ast.Dict):
                return [k.value for k in node.value.keys if isinstance(k, ast.Constant)]
    return []


def check(stems: list[str] | None = None, log=print) -> list[str]:
    """Recompute every expected output here and compare with the stored one (the cases' tolerances)."""
    import course_utils.checks as checks

    problems = []
    for stem in stems or domain_stems():
        ns = reference_namespace(stem)
        for exercise, domain in domains(stem).items():
            records = run_domain(exercise, domain, ns[domain.function or exercise])
            stored = checks.cases(exercise)
            if len(stored) != len(records):
                problems.append(f"{exercise}: {len(stored)} stored cases, {len(records)} generated")
                continue
            for case, record in zip(stored, records):
                o = case.options
                diff = checks._compare(
                    case.expected, record["expected"], float(o.get("atol", 1e-6)), float(o.get("rtol", 1e-5))
                )
                if diff:
                    problems.append(f"{exercise} case {case.index} ({case.kind}): " + "; ".join(diff))
                    break
            verdict = "differ" if problems and problems[-1].startswith(exercise) else "agree"
            log(f"{stem}: {exercise}: {len(records)} cases {verdict}")
    return problems


def fresh_cases(exercise: str, stem: str, seed: int, reference_ns: dict, count: int | None = None):
    """The cases of ``exercise`` drawn again with ``seed`` (for the grader), with the reference's outputs.

    Returns ``course_utils.checks.Case`` objects marked ``fresh`` (their messages do not show inputs), or
    None when the exercise's domain says its cases must stay the stored ones.
    """
    import course_utils.checks as checks

    domain = domains(stem)[exercise]
    if not domain.fresh:
        return None
    records = run_domain(exercise, domain, reference_ns[domain.function or exercise], seed=seed)
    records = records[:count] if count else records
    out = []
    for i, r in enumerate(records, start=1):
        out.append(
            checks.Case(
                exercise,
                i,
                len(records),
                r["kind"],
                r["args"],
                r["kwargs"],
                r["expected"],
                dict(domain.all_options(), **r["options"]),
                hint=r["hint"] or domain.hint,
                group=r["group"],
                argnames=domain.argnames,
                fresh=True,
            )
        )
    return out


_REFERENCES: dict[str, dict] = {}  # per process: the official answers of a notebook
_DRAWN: dict[tuple, list] = {}  # per process: (exercise, seed) -> fresh cases, the most recent _DRAWN_KEEP
_DRAWN_KEEP = 64  # a seed per student (course_tools.variants) would otherwise grow it with every submission


def stem_of(exercise: str) -> str | None:
    """The notebook whose domain module declares ``exercise`` (read as text, nothing imported)."""
    for stem in domain_stems():
        text = (Path(__file__).parent / "domains" / f"{stem}.py").read_text(encoding="utf-8")
        if exercise in _domain_names(text):
            return stem
    return None


def grading_cases(exercise: str, seed: int, *, group: str | None = None):
    """The cases the class grader checks ``exercise`` with: drawn afresh from its domain with ``seed`` and
    the official answers' outputs (computed once per process and seed), so that a table of the stored
    answers is worth nothing. A case keeps its description where it names a behaviour (the same whatever
    the seed); one whose description names its random inputs is "a case drawn at grading time". Falls back
    to the stored cases where the domain keeps them (``Domain(fresh=False)``).
    """
    import course_utils.checks as checks

    stored = checks.cases(exercise)
    stem = stem_of(exercise)
    if stem is None or not (_root() / "solutions" / f"{stem}.py").is_file():
        # no official answers here (the student release a GitHub Classroom runner grades): the stored cases
        return [c for c in stored if group is None or c.group == group]
    key = (exercise, int(seed))
    if key not in _DRAWN:
        if stem not in _REFERENCES:
            _REFERENCES[stem] = reference_namespace(stem)
        drawn = fresh_cases(exercise, stem, int(seed), _REFERENCES[stem]) or stored
        for case in drawn:
            twin = stored[case.index - 1] if case.index <= len(stored) else None
            if case.fresh and (twin is None or twin.kind != case.kind):  # a kind that names its random inputs
                case.kind = "a case drawn at grading time"
        _DRAWN[key] = drawn
        while len(_DRAWN) > _DRAWN_KEEP:
            _DRAWN.pop(next(iter(_DRAWN)))
    return [c for c in _DRAWN[key] if group is None or c.group == group]
