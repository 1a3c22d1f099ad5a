"""The notebook client the grader and the notebook runner use (course_tools.execute.steady_client_class).

Two defects of nbclient as we use it, each measured before the fix:
- a cell that opens an ``ipywidgets.Output`` waited, about one kernel in 50, the whole cell
  timeout although the kernel had answered at once (the client's sends swallowed the reply's
  wake-up); ``benchmarks/grading_stall.py`` measures it over 300 kernels;
- the grader's warm-up cell, run at index 0, replaced the submission's first cell, which then
  never ran.
"""

from __future__ import annotations

import asyncio
import time
from queue import Empty

from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from course_tools.execute import POLL_SLICE, _sliced, steady_client_class
from course_tools.grade import run_grading_copy
from course_utils.config import project_root


class _DeafChannel:
    """A channel whose message arrives at ``arrive`` but whose wake-up was lost: like pyzmq's poll
    after a missed edge, ``get_msg`` sees the message only when its timeout runs out."""

    def __init__(self, arrive: float | None):
        self.arrive = arrive
        self.calls = 0

    async def get_msg(self, timeout=None):
        self.calls += 1
        if timeout is None:
            raise AssertionError("a sliced poll never waits without a timeout")
        await asyncio.sleep(timeout)
        if self.arrive is not None and time.monotonic() >= self.arrive:
            return {"msg": "reply"}
        raise Empty


def test_sliced_poll_finds_a_message_whose_wake_up_was_lost():
    channel = _DeafChannel(arrive=time.monotonic() + 0.1)
    start = time.monotonic()
    msg = asyncio.run(_sliced(channel.get_msg)(timeout=30))
    took = time.monotonic() - start
    assert msg == {"msg": "reply"}
    assert took < POLL_SLICE + 1.0, f"a lost wake-up cost {took:.1f} s; at most one slice ({POLL_SLICE} s) expected"


def test_sliced_poll_still_times_out_and_waits_forever_without_a_timeout():
    channel = _DeafChannel(arrive=None)
    start = time.monotonic()
    try:
        asyncio.run(_sliced(channel.get_msg)(timeout=1.2))
    except Empty:
        pass
    else:
        raise AssertionError("no message: Empty expected at the timeout")
    took = time.monotonic() - start
    assert 1.1 <= took < 2.5, f"the timeout of 1.2 s became {took:.1f} s"
    # no timeout: it keeps polling (in slices) until the message comes
    late = _DeafChannel(arrive=time.monotonic() + 1.2)
    assert asyncio.run(_sliced(late.get_msg)(timeout=None)) == {"msg": "reply"}
    assert late.calls >= 2


def test_the_client_does_not_mirror_widgets():
    nb = new_notebook(cells=[new_code_cell("pass")])
    client = steady_client_class()(nb)
    content = {"comm_id": "c1", "target_name": "jupyter.widget", "data": {"state": {}}}
    msg = {"msg_type": "comm_open", "content": content, "parent_header": {}}
    assert client.comm_open_handlers["jupyter.widget"](msg) is None
    assert client.comm_objects == {}


def test_first_code_cell_runs_and_widget_output_stays_in_the_cell():
    """One kernel: the first cell is code (it used to be replaced by the warm-up), and a print
    inside an Output widget is kept as the cell's output (the widget is not mirrored)."""
    nb = new_notebook(
        cells=[
            new_code_cell("x = 5\nprint('first cell ran', x)"),
            new_markdown_cell("text"),
            new_code_cell("print(x * 2)"),
            new_code_cell(
                "import ipywidgets as w\nout = w.Output()\ndisplay(out)\nwith out:\n    print('inside the widget')"
            ),
        ]
    )
    run = run_grading_copy(
        nb, root=str(project_root()), timeout_cell=60, timeout_notebook=300, memory_mb=None, hide=[], isolate=False
    )
    cells = run["cells"]
    assert run["crash"] is None, run["crash"]
    assert cells[0]["stdout"] == "first cell ran 5\n", cells[0]
    assert cells[2]["status"] == "ok" and cells[2]["stdout"] == "10\n", cells[2]
    assert cells[3]["status"] == "ok" and "inside the widget" in cells[3]["stdout"], cells[3]
    assert len(nb.cells) == 4 and nb.cells[0].source.startswith("x = 5"), "the warm-up cell took a cell's place"
