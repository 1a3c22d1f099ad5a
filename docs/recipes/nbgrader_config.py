# nbgrader's configuration for this course: copy this file into your nbgrader course folder (beside
# source/, release/, submitted/), or merge its lines into the nbgrader_config.py you have. See
# docs/INSTRUCTORS.md, "nbgrader", for what nbgrader shows students and what it does not hide.
c = get_config()  # noqa: F821 - nbgrader (traitlets) defines it when it reads this file

# Execute.timeout: seconds per cell when `nbgrader autograde` runs a notebook. nbgrader's default, 30 s, ends
# most autogrades of this course in a timeout: the first cell imports TensorFlow, Keras and PyTorch (10 to
# 40 s on a busy machine), and the experiments train small models. 600 s per cell; the notebook's own time
# is what fast mode (COURSE_FAST=1 in the environment of `nbgrader autograde`) keeps short.
c.Execute.timeout = 600
c.Execute.startup_timeout = 120  # seconds for the kernel to start

# The stubs the course's release puts in place of the solutions (python -m course_tools release does the
# same), so that nbgrader's generate_assignment gives the notebooks the course ships.
c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}
c.ClearSolutions.text_stub = "YOUR ANSWER HERE"
