"""Sphinx configuration of the course site (copied into the assembled source tree by ``course_tools/site.py``).

Built with ``python -m course_tools site``: Sphinx, MyST-NB (notebooks are rendered, never executed)
and the Sphinx Book Theme. Values that depend on the build (the repository's address, the figures' alt
texts) come from ``site_data.json``, which ``course_tools/site.py`` writes next to this file.
"""

import json
from pathlib import Path

_DATA = json.loads((Path(__file__).parent / "site_data.json").read_text())

project = "Convolutional neural networks: an open course"
author = "The open CNN course contributors"
copyright = "the open CNN course contributors, MIT licence"

extensions = ["myst_nb", "sphinx.ext.mathjax"]
root_doc = "index"
exclude_patterns = ["_build", "site_data.json"]

# Notebooks: rendered from the outputs they carry (the stored reference run), never executed.
nb_execution_mode = "off"
nb_output_stderr = "remove"
nb_merge_streams = True
myst_enable_extensions = ["dollarmath", "colon_fence"]
myst_heading_anchors = 3
suppress_warnings = ["myst.header", "mystnb.unknown_mime_type"]

# MathJax 2 from the jupyter-server-mathjax package, served by the site itself (no CDN).
mathjax_path = "mathjax/MathJax.js?config=TeX-AMS-MML_HTMLorMML-full"
mathjax2_config = {
    "tex2jax": {
        "inlineMath": [["\\(", "\\)"]],
        "displayMath": [["\\[", "\\]"]],
        "processRefs": False,
        "processEnvironments": False,
    },
    # the package ships the STIX-Web fonts only
    "HTML-CSS": {"availableFonts": [], "preferredFont": None, "webFont": "STIX-Web", "imageFont": None},
    "menuSettings": {"zoom": "None"},
    "showMathMenu": False,
    "messageStyle": "none",
}

html_theme = "sphinx_book_theme"
html_title = "CNN course"
html_static_path = ["_static"]
html_css_files = ["course.css"]
html_favicon = "_static/favicon.png"
html_context = {"default_mode": "light"}
html_copy_source = False
html_show_sourcelink = False
html_last_updated_fmt = None
html_theme_options = {
    "home_page_in_toc": True,
    "show_toc_level": 2,
    "use_download_button": False,
    "use_fullscreen_button": False,
    "navigation_with_keys": False,
}
if _DATA.get("repository_url"):
    html_theme_options.update(repository_url=_DATA["repository_url"], use_repository_button=True)


def _alt_texts(app, doctree):
    """Give every output figure its alt text (course_tools/site.py maps the PNG's SHA-256 to it)."""
    from docutils import nodes

    alts = _DATA.get("alt", {})
    for node in doctree.findall(nodes.image):
        stem = Path(node["uri"]).stem
        if stem in alts:
            node["alt"] = alts[stem]


def setup(app):
    app.connect("doctree-read", _alt_texts)
