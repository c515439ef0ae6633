"""Fail the build when a gallery example runs longer than ``gallery_max_seconds``.

sphinx-gallery runs the examples while the builder starts and records each one's
execution time in a JUnit XML file (its ``junit`` option). Right after, this extension
reads that file and stops the build with an error naming every example that took longer
than ``gallery_max_seconds`` (set in conf.py), with its time. It also deletes those
examples' checksum files, so that sphinx-gallery runs them again in the next build
instead of taking their pages from its cache: a slow example cannot pass by being
built twice.

Only the examples run in this build are checked (sphinx-gallery skips those unchanged
since their last successful run); a build with ``-D plot_gallery=0`` runs none.
"""

import xml.etree.ElementTree as ElementTree
from pathlib import Path

from sphinx.errors import ExtensionError
from sphinx.util import logging

logger = logging.getLogger(__name__)


def _times_file(app):
    name = app.config.sphinx_gallery_conf.get("junit")
    return Path(app.outdir, name).resolve() if name else None


def _forget_previous_times(app):
    # A file left by an earlier build would be read as this build's times.
    path = _times_file(app)
    if path is not None:
        path.unlink(missing_ok=True)


def _as_list(value):
    return [value] if isinstance(value, str) else list(value)


def _checksum_file(app, example):
    """The file by which sphinx-gallery knows ``example`` ran: ``<copy>.md5``."""
    conf = app.config.sphinx_gallery_conf
    source = Path(app.srcdir, example).resolve()
    for examples_dir, gallery_dir in zip(
        _as_list(conf["examples_dirs"]), _as_list(conf["gallery_dirs"])
    ):
        root = Path(app.srcdir, examples_dir).resolve()
        if source.is_relative_to(root):
            copy = Path(app.srcdir, gallery_dir, source.relative_to(root))
            return copy.with_name(copy.name + ".md5")
    return None


def read_times(path):
    """``{example path relative to the docs folder: seconds}`` from sphinx-gallery's JUnit file."""
    root = ElementTree.parse(path).getroot()
    return {case.get("file"): float(case.get("time")) for case in root.iter("testcase")}


def check_example_times(app):
    path = _times_file(app)
    if path is None:
        raise ExtensionError(
            "gallery_time_limit needs sphinx_gallery_conf['junit'] to read the times"
        )
    if not path.is_file():  # nothing was run
        return
    limit = float(app.config.gallery_max_seconds)
    times = read_times(path)
    slow = {example: t for example, t in times.items() if t > limit}
    if not slow:
        if times:
            logger.info(
                f"gallery: {len(times)} examples run, the slowest in "
                f"{max(times.values()):.1f} s (limit {limit:g} s)"
            )
        return
    for example in slow:
        checksum = _checksum_file(app, example)
        if checksum is not None:
            checksum.unlink(missing_ok=True)
    listed = "\n".join(
        f"    {example}: {t:.1f} s" for example, t in sorted(slow.items(), key=lambda x: -x[1])
    )
    raise ExtensionError(
        f"gallery examples took longer than gallery_max_seconds = {limit:g} s:\n{listed}\n"
        "Make them faster (smaller data, fewer epochs)."
    )


def setup(app):
    # An int, so that ``-D gallery_max_seconds=60`` can override it on a slow machine.
    app.add_config_value("gallery_max_seconds", 30, "env", types=(int, float))
    # sphinx-gallery runs the examples in its builder-inited handler (priority 500).
    app.connect("builder-inited", _forget_previous_times, priority=100)
    app.connect("builder-inited", check_example_times, priority=900)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
