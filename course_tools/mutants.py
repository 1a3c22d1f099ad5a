"""Automatic mutants of a reference answer: small, plausible changes to its code, one at a time.

:func:`mutants` parses an answer cell and yields :class:`Mutant` records, each the cell's source with one
change, of these kinds (the classic mutation operators, plus the ones a convnet course needs):

- ``arith``: ``+`` <-> ``-``, ``*`` <-> ``/``, ``/`` <-> ``//``, ``**`` -> ``*``, ``@`` -> ``*``;
- ``augassign``: ``+=`` <-> ``-=``, ``*=`` <-> ``/=``, and ``x += y`` -> ``x = y``;
- ``compare``: ``<`` <-> ``<=``, ``>`` <-> ``>=``, ``<`` <-> ``>``, ``==`` <-> ``!=``, ``in`` <-> ``not in``;
- ``bool``: ``and`` <-> ``or``, ``not x`` -> ``x``, ``-x`` -> ``x``;
- ``constant``: an int ``k`` -> ``k + 1`` and ``k - 1``, a float ``c`` -> ``2c`` and ``-c`` (0 -> 1),
  ``True`` <-> ``False``, a string swapped within its family (``"max"`` <-> ``"average"``, ``"same"``
  <-> ``"valid"``, ``"relu"`` <-> ``"sigmoid"``, ...);
- ``slice``: a slice bound +1 or -1, a step dropped;
- ``argument``: a keyword argument dropped, the last positional argument dropped, two positional
  arguments swapped, the two items of a two-item list or tuple swapped;
- ``function``: a reduction or activation swapped (``sum`` <-> ``mean`` <-> ``max``, ``max`` <-> ``min``,
  ``argmax`` <-> ``argmin``, ``maximum`` <-> ``minimum``, ``relu`` <-> ``relu6``, ``ReLU`` -> ``ReLU(max_value=6)``,
  ``exp`` <-> ``log``, ``sqrt`` dropped, ...);
- ``range``: ``range(n)`` -> ``range(n - 1)`` and ``range(n + 1)``;
- ``statement``: an assignment, augmented assignment or expression statement replaced by ``pass``.

Nothing here runs the code; :mod:`course_tools.mutation` runs each mutant against the checks.
"""

from __future__ import annotations

import ast
import copy
from collections.abc import Iterator
from dataclasses import dataclass

__all__ = ["Mutant", "mutants"]

_ARITH = {
    ast.Add: [ast.Sub],
    ast.Sub: [ast.Add],
    ast.Mult: [ast.Div],
    ast.Div: [ast.Mult, ast.FloorDiv],
    ast.FloorDiv: [ast.Div],
    ast.Pow: [ast.Mult],
    ast.MatMult: [ast.Mult],
    ast.Mod: [ast.FloorDiv],
}
_AUG = {ast.Add: [ast.Sub], ast.Sub: [ast.Add], ast.Mult: [ast.Div], ast.Div: [ast.Mult]}
_COMPARE = {
    ast.Lt: [ast.LtE, ast.Gt],
    ast.LtE: [ast.Lt],
    ast.Gt: [ast.GtE, ast.Lt],
    ast.GtE: [ast.Gt],
    ast.Eq: [ast.NotEq],
    ast.NotEq: [ast.Eq],
    ast.In: [ast.NotIn],
    ast.NotIn: [ast.In],
    ast.Is: [ast.IsNot],
    ast.IsNot: [ast.Is],
}
_STRINGS = [
    ("max", "average", "min"),
    ("average", "max"),
    ("mean", "sum", "max"),
    ("sum", "mean"),
    ("same", "valid"),
    ("valid", "same"),
    ("relu", "sigmoid", "linear", "relu6"),
    ("sigmoid", "relu", "softmax"),
    ("softmax", "sigmoid", "linear"),
    ("tanh", "relu"),
    ("linear", "relu"),
    ("nearest", "bilinear"),
    ("bilinear", "nearest"),
    ("constant", "edge"),
    ("channels_last", "channels_first"),
]
_FUNCTIONS = {
    "sum": ["mean", "max"],
    "mean": ["sum", "max"],
    "max": ["min", "mean", "sum"],
    "min": ["max"],
    "amax": ["amin", "mean"],
    "amin": ["amax"],
    "argmax": ["argmin"],
    "argmin": ["argmax"],
    "maximum": ["minimum"],
    "minimum": ["maximum"],
    "relu": ["relu6", "sigmoid"],
    "relu6": ["relu"],
    "sigmoid": ["relu", "tanh"],
    "softmax": ["sigmoid"],
    "log_softmax": ["softmax"],
    "exp": ["log"],
    "log": ["exp"],
    "sqrt": ["square"],
    "square": ["abs"],
    "abs": ["square"],
    "tanh": ["sigmoid"],
    "floor": ["ceil"],
    "ceil": ["floor"],
    "zeros": ["ones"],
    "zeros_like": ["ones_like"],
    "ones": ["zeros"],
    "ones_like": ["zeros_like"],
    "MaxPooling2D": ["AveragePooling2D"],
    "AveragePooling2D": ["MaxPooling2D"],
    "GlobalAveragePooling2D": ["GlobalMaxPooling2D"],
    "Add": ["Subtract", "Multiply"],
    "Concatenate": ["Add"],
    "sort": ["argsort"],
    "argsort": ["sort"],
    "any": ["all"],
    "all": ["any"],
    "copy": ["view"],
    "transpose": ["copy"],
    "einsum": [],
}
_UNWRAP = {"sqrt", "abs", "float", "stop_gradient", "copy", "squeeze", "transpose", "flip", "detach", "round"}


@dataclass(frozen=True)
class Mutant:
    """One mutated version of an answer: its operator, where, what changed, and the new source."""

    operator: str
    line: int  # within the answer cell, 1-based
    description: str  # e.g. "`n_H + 2 * pad` -> `n_H - 2 * pad`"
    source: str

    @property
    def key(self) -> str:
        """A name for the mutant that survives edits elsewhere in the cell (no line number)."""
        return f"{self.operator}: {self.description}"


def _segment(node) -> str:
    try:
        text = ast.unparse(node)
    except Exception:  # noqa: BLE001
        text = type(node).__name__
    text = " ".join(text.split())
    return text if len(text) <= 80 else text[:77] + "..."


class _Sites(ast.NodeVisitor):
    """Every place in the tree a mutation applies, as (node path, operator, label, replacement maker)."""

    def __init__(self):
        self.sites: list[tuple] = []
        self.in_docstring: set[int] = set()

    def add(self, node, operator, make):
        self.sites.append((node, operator, make))

    def visit_FunctionDef(self, node):
        if (
            node.body
            and isinstance(node.body[0], ast.Expr)
            and isinstance(getattr(node.body[0], "value", None), ast.Constant)
        ):
            self.in_docstring.add(id(node.body[0].value))
        for stmt in node.body:
            self.visit(stmt)  # the signature (defaults, annotations) is not mutated

    visit_AsyncFunctionDef = visit_FunctionDef

    def visit_BinOp(self, node):
        for new in _ARITH.get(type(node.op), []):
            self.add(node, "arith", lambda n, new=new: ast.BinOp(n.left, new(), n.right))
        self.generic_visit(node)

    def visit_AugAssign(self, node):
        for new in _AUG.get(type(node.op), []):
            self.add(node, "augassign", lambda n, new=new: ast.AugAssign(n.target, new(), n.value))
        self.add(node, "augassign", lambda n: ast.Assign([copy.deepcopy(n.target)], n.value))
        self.add(node, "statement", lambda n: ast.Pass())
        self.generic_visit(node)

    def visit_Compare(self, node):
        for i, op in enumerate(node.ops):
            for new in _COMPARE.get(type(op), []):

                def make(n, i=i, new=new):
                    ops = list(n.ops)
                    ops[i] = new()
                    return ast.Compare(n.left, ops, n.comparators)

                self.add(node, "compare", make)
        self.generic_visit(node)

    def visit_BoolOp(self, node):
        other = ast.Or if isinstance(node.op, ast.And) else ast.And
        self.add(node, "bool", lambda n: ast.BoolOp(other(), n.values))
        self.generic_visit(node)

    def visit_UnaryOp(self, node):
        if isinstance(node.op, (ast.Not, ast.USub)):
            self.add(node, "bool", lambda n: n.operand)
        self.generic_visit(node)

    def visit_Constant(self, node):
        if id(node) in self.in_docstring:
            return
        v = node.value
        if type(v) is bool:
            self.add(node, "constant", lambda n: ast.Constant(not n.value))
        elif type(v) is int:
            self.add(node, "constant", lambda n: ast.Constant(n.value + 1))
            self.add(node, "constant", lambda n: ast.Constant(n.value - 1))
        elif type(v) is float:
            if v == 0:
                self.add(node, "constant", lambda n: ast.Constant(1.0))
            else:
                self.add(node, "constant", lambda n: ast.Constant(n.value * 2))
                self.add(node, "constant", lambda n: ast.Constant(-n.value))
        elif type(v) is str:
            for family in _STRINGS:
                if v == family[0]:
                    for new in family[1:]:
                        self.add(node, "constant", lambda n, new=new: ast.Constant(new))

    def visit_Slice(self, node):
        for part in ("lower", "upper"):
            if getattr(node, part) is not None:
                for delta in (1, -1):

                    def make(n, part=part, delta=delta):
                        new = copy.copy(n)
                        setattr(
                            new,
                            part,
                            ast.BinOp(getattr(n, part), ast.Add() if delta > 0 else ast.Sub(), ast.Constant(1)),
                        )
                        return new

                    self.add(node, "slice", make)
        if node.step is not None:
            self.add(node, "slice", lambda n: ast.Slice(n.lower, n.upper, None))
        self.generic_visit(node)

    def visit_Call(self, node):
        name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", None)
        for i in range(len(node.keywords)):
            if node.keywords[i].arg is not None:
                self.add(
                    node, "argument", lambda n, i=i: ast.Call(n.func, n.args, n.keywords[:i] + n.keywords[i + 1 :])
                )
        if node.args and not any(isinstance(a, ast.Starred) for a in node.args):
            if len(node.args) >= 2 or name not in ("range", "len", "float", "int", "print"):
                self.add(node, "argument", lambda n: ast.Call(n.func, n.args[:-1], n.keywords))
            if len(node.args) >= 2:
                for i in range(len(node.args) - 1):

                    def make(n, i=i):
                        args = list(n.args)
                        args[i], args[i + 1] = args[i + 1], args[i]
                        return ast.Call(n.func, args, n.keywords)

                    self.add(node, "argument", make)
        if name in _FUNCTIONS:
            for new in _FUNCTIONS[name]:

                def make(n, new=new):
                    func = copy.copy(n.func)
                    if isinstance(func, ast.Attribute):
                        func.attr = new
                    else:
                        func.id = new
                    return ast.Call(func, n.args, n.keywords)

                self.add(node, "function", make)
        if name == "ReLU" and not node.args and not node.keywords:
            self.add(node, "function", lambda n: ast.Call(n.func, [], [ast.keyword("max_value", ast.Constant(6.0))]))
        if name in _UNWRAP and len(node.args) == 1 and not node.keywords:
            self.add(node, "function", lambda n: n.args[0])
        if name == "range" and node.args:
            last = len(node.args) - 1 if len(node.args) <= 2 else 1
            for op in (ast.Sub, ast.Add):

                def make(n, op=op, last=last):
                    args = list(n.args)
                    args[last] = ast.BinOp(args[last], op(), ast.Constant(1))
                    return ast.Call(n.func, args, n.keywords)

                self.add(node, "range", make)
        self.generic_visit(node)

    def visit_List(self, node):
        if len(node.elts) == 2 and isinstance(node.ctx, ast.Load):
            self.add(node, "argument", lambda n: type(n)([n.elts[1], n.elts[0]], ast.Load()))
        self.generic_visit(node)

    def visit_Tuple(self, node):
        if len(node.elts) == 2 and isinstance(node.ctx, ast.Load):
            self.add(node, "argument", lambda n: ast.Tuple([n.elts[1], n.elts[0]], ast.Load()))
        self.generic_visit(node)

    def visit_Assign(self, node):
        self.add(node, "statement", lambda n: ast.Pass())
        self.generic_visit(node)

    def visit_Expr(self, node):
        if not (isinstance(node.value, ast.Constant) and isinstance(node.value.value, str)):
            self.add(node, "statement", lambda n: ast.Pass())
        self.generic_visit(node)


class _Replace(ast.NodeTransformer):
    def __init__(self, target, new):
        self.target, self.new = target, new

    def visit(self, node):
        if node is self.target:
            return ast.copy_location(self.new, node)
        return super().visit(node)


def mutants(source: str, *, within: set[str] | None = None) -> Iterator[Mutant]:
    """Every single-change mutant of ``source`` (an answer cell), in source order.

    ``within``: mutate only the bodies of these top-level functions (default: every function of the cell;
    statements outside functions are not mutated). Mutants whose source equals the original or fails to
    compile are skipped; two mutants with the same source are yielded once.
    """
    tree = ast.parse(source)
    seen = {ast.unparse(tree)}
    functions = [t for t in tree.body if isinstance(t, (ast.FunctionDef, ast.AsyncFunctionDef))]
    tops = (
        [t for t in functions if not within or t.name in within]
        if functions
        else [t for t in tree.body if not isinstance(t, (ast.Import, ast.ImportFrom))]
    )
    parents = {id(child): parent for parent in ast.walk(tree) for child in ast.iter_child_nodes(parent)}
    described: dict[str, int] = {}
    for top in tops:
        sites = _Sites()
        sites.visit(top)
        for node, operator, make in sites.sites:
            fresh = copy.deepcopy(tree)
            # find the same node in the copy: walk both trees in step
            twin = _twin(tree, fresh, node)
            if twin is None:
                continue
            try:
                new = make(copy.deepcopy(twin))
            except Exception:  # noqa: BLE001 - an operator that does not fit this node
                continue
            mutated = _Replace(twin, new).visit(fresh)
            ast.fix_missing_locations(mutated)
            try:
                text = ast.unparse(mutated)
                compile(text, "<mutant>", "exec")
            except Exception:  # noqa: BLE001
                continue
            if text in seen:
                continue
            seen.add(text)
            before, after = _segment(node), _segment(new)
            statement = node
            while not isinstance(statement, ast.stmt) and id(statement) in parents:
                statement = parents[id(statement)]
            where = "" if statement is node else f" in `{_segment(statement)}`"
            description = f"`{before}` -> `{after}`{where}"
            described[description] = described.get(description, 0) + 1
            if described[description] > 1:
                description += f" (#{described[description]})"
            yield Mutant(operator, getattr(node, "lineno", 0), description, text)


def _twin(original, copied, node):
    for a, b in zip(ast.walk(original), ast.walk(copied)):
        if a is node:
            return b
    return None
