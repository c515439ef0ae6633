"""The documentation site: every public name in the API reference, and built pages that
a browser shows without errors.

The browser tests read the site built by README's docs command (``docs/_build/html``)
in headless Chromium, driven through its DevTools protocol on a pipe; they are skipped
where Chromium is not installed or the site has not been built.
"""

import importlib
import json
import os
import re
import select
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

import skperceptron

DOCS = Path(__file__).resolve().parents[1] / "docs"
SITE = DOCS / "_build" / "html"

# -- the API reference -----------------------------------------------------------------


def documented_names(source):
    """Names an API page documents: autosummary entries and ``.. data::`` directives."""
    names = set()
    in_autosummary = False
    for line in source.splitlines():
        if re.match(r"\.\. autosummary::", line):
            in_autosummary = True
            continue
        data = re.match(r"\.\. (?:auto)?(?:data|function|class):: +(\S+)", line)
        if data:
            names.add(data.group(1))
        if in_autosummary:
            entry = re.match(r" {3}([A-Za-z_][\w.]*)\s*$", line)
            if entry:
                names.add(entry.group(1))
            elif line.strip() and not line.startswith(" "):
                in_autosummary = False
    return {name.removeprefix("skperceptron.") for name in names}


def test_documented_names_reads_autosummary_and_data():
    source = (
        ".. autosummary::\n   :toctree: generated/\n\n   Foo\n   bar\n\n"
        "Text mentioning Baz\n\n.. data:: __version__\n"
    )
    assert documented_names(source) == {"Foo", "bar", "__version__"}


def _public_names():
    """``skperceptron.__all__``, and ``module.name`` for each name of a public module's
    ``__all__`` (``skperceptron.onnx``, when its extra is installed)."""
    public = set(skperceptron.__all__)
    for module in ("onnx",):
        try:
            imported = importlib.import_module(f"skperceptron.{module}")
        except ImportError:
            continue
        public |= {f"{module}.{name}" for name in imported.__all__}
    return public


def test_api_page_documents_every_public_name():
    documented = documented_names((DOCS / "api.rst").read_text())
    public = _public_names()
    if "onnx.register_converters" not in public:  # the [onnx] extra is not installed
        documented = {name for name in documented if not name.startswith("onnx.")}
    missing, extra = sorted(public - documented), sorted(documented - public)
    assert not missing, f"missing from docs/api.rst: {missing}"
    assert not extra, f"in docs/api.rst but not in skperceptron.__all__: {extra}"


# -- the built pages in a browser ----------------------------------------------------


def _chromium():
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    return None


class DevTools:
    """Headless Chromium driven over ``--remote-debugging-pipe``.

    The browser reads commands on its fd 3 and writes replies and events on its fd 4,
    each message JSON ended by a NUL byte.
    """

    def __init__(self, executable, timeout=30):
        self.timeout = timeout
        self._profile = tempfile.mkdtemp(prefix="skperceptron-chromium-")
        to_browser, self._write = os.pipe()
        self._read, from_browser = os.pipe()

        import fcntl  # POSIX only, as the pipe handed to the browser

        def as_fds_3_and_4():
            # Copies above 10 first, so that neither dup2 overwrites the other's source.
            high_in = fcntl.fcntl(to_browser, fcntl.F_DUPFD, 10)
            high_out = fcntl.fcntl(from_browser, fcntl.F_DUPFD, 10)
            os.dup2(high_in, 3)
            os.dup2(high_out, 4)

        self.process = subprocess.Popen(
            [executable, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
             "--no-first-run", "--disable-background-networking",
             "--disable-component-update", "--disable-sync", "--hide-scrollbars",
             "--allow-file-access-from-files", "--window-size=1280,1000",
             f"--user-data-dir={self._profile}", "--remote-debugging-pipe",
             "about:blank"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL, pass_fds=(3, 4), preexec_fn=as_fds_3_and_4,
        )
        os.close(to_browser)
        os.close(from_browser)
        self._buffer = b""
        self._next_id = 0
        self.events = []

    def close(self):
        self.process.kill()
        self.process.wait()
        os.close(self._write)
        os.close(self._read)
        shutil.rmtree(self._profile, ignore_errors=True)

    def _receive(self, deadline):
        while b"\0" not in self._buffer:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self._read], [], [], left)[0]:
                raise TimeoutError("Chromium did not answer in time")
            chunk = os.read(self._read, 1 << 16)
            if not chunk:
                raise RuntimeError("Chromium closed its DevTools pipe")
            self._buffer += chunk
        message, self._buffer = self._buffer.split(b"\0", 1)
        return json.loads(message)

    def send(self, method, session=None, **params):
        """Send a command and return its result, keeping the events that come before."""
        self._next_id += 1
        message = {"id": self._next_id, "method": method, "params": params}
        if session:
            message["sessionId"] = session
        os.write(self._write, json.dumps(message).encode() + b"\0")
        deadline = time.monotonic() + self.timeout
        while True:
            reply = self._receive(deadline)
            if reply.get("id") == self._next_id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply["result"]
            self.events.append(reply)

    def wait_for(self, method, session):
        deadline = time.monotonic() + self.timeout
        while True:
            for event in self.events:
                if event.get("method") == method and event.get("sessionId") == session:
                    return
            self.events.append(self._receive(deadline))


# After the load event: let MathJax typeset, make lazy images load now, and wait for
# every image; then describe each image, and count the typeset formulas.
_INSPECT = """(async () => {
  if (window.MathJax && MathJax.startup && MathJax.startup.promise) {
    await MathJax.startup.promise;
  }
  const images = Array.from(document.images);
  images.forEach(img => { img.loading = "eager"; });
  await Promise.all(images.map(img => img.decode().catch(() => null)));
  return {
    images: images.map(img => ({
      src: img.currentSrc || img.src, classes: img.className, complete: img.complete,
      width: img.naturalWidth, height: img.naturalHeight,
      thumbnail: img.closest(".sphx-glr-thumbcontainer") !== null,
    })),
    formulas: document.querySelectorAll("mjx-container").length,
  };
})()"""


def _errors(events, session):
    """Console errors, uncaught exceptions and failed loads reported for a page."""
    errors = []
    for event in events:
        if event.get("sessionId") != session:
            continue
        method, params = event.get("method"), event.get("params", {})
        if method == "Runtime.exceptionThrown":
            details = params["exceptionDetails"]
            errors.append(details.get("exception", {}).get("description")
                          or details.get("text", "exception"))
        elif method == "Runtime.consoleAPICalled" and params["type"] in ("error", "assert"):
            errors.append(" ".join(str(a.get("value", a.get("description")))
                                   for a in params["args"]))
        elif method == "Log.entryAdded" and params["entry"]["level"] == "error":
            entry = params["entry"]
            errors.append(f"{entry['text']} {entry.get('url', '')}".strip())
    return errors


def visit(browser, page):
    """Open a page of the built site; return its errors, and its images and formulas."""
    assert (SITE / page).is_file(), f"the built site has no {page}"
    target = browser.send("Target.createTarget", url="about:blank")["targetId"]
    session = browser.send("Target.attachToTarget", targetId=target,
                           flatten=True)["sessionId"]
    try:
        for domain in ("Page", "Runtime", "Log"):
            browser.send(f"{domain}.enable", session)
        opened = browser.send("Page.navigate", session, url=(SITE / page).as_uri())
        assert "errorText" not in opened, opened
        browser.wait_for("Page.loadEventFired", session)
        shown = browser.send("Runtime.evaluate", session, expression=_INSPECT,
                             awaitPromise=True, returnByValue=True)["result"]["value"]
        return _errors(browser.events, session), shown
    finally:
        browser.send("Target.closeTarget", targetId=target)


@pytest.fixture(scope="module")
def browser():
    executable = _chromium()
    if executable is None:
        pytest.skip("Chromium is not installed")
    if not (SITE / "index.html").is_file():
        pytest.skip("the site is not built (README.md has the command)")
    browser = DevTools(executable)
    try:
        yield browser
    finally:
        browser.close()


def _gallery_example():
    examples = sorted((SITE / "auto_examples").glob("plot_*.html"))
    if not examples:
        pytest.skip("the built gallery has no executed example")
    return examples[0].relative_to(SITE).as_posix()


def _assert_images_display(images):
    broken = [image["src"] for image in images
              if not (image["complete"] and image["width"] > 0 and image["height"] > 0)]
    assert not broken, f"images that did not load: {broken}"


@pytest.mark.slow
@pytest.mark.parametrize("page", [
    "index.html",
    "api.html",
    "generated/skperceptron.MLPClassifier.html",
    "auto_examples/index.html",
])
def test_page_loads_without_errors_and_its_images_display(browser, page):
    errors, shown = visit(browser, page)
    assert not errors
    _assert_images_display(shown["images"])
    if page == "auto_examples/index.html":
        # One thumbnail for each example page.
        examples = len(list((SITE / "auto_examples").glob("*.html"))) - 1  # less index
        assert sum(image["thumbnail"] for image in shown["images"]) == examples


@pytest.mark.slow
def test_gallery_example_shows_its_figures(browser):
    errors, shown = visit(browser, _gallery_example())
    assert not errors
    figures = [i for i in shown["images"] if "sphx-glr-single-img" in i["classes"]
               or "sphx-glr-multi-img" in i["classes"]]
    assert figures, "the example page shows no figure"
    _assert_images_display(shown["images"])


@pytest.mark.slow
def test_formulas_are_typeset_from_the_site_itself(browser):
    # MathJax comes with the site (no CDN): the maths guide shows its formulas offline.
    errors, shown = visit(browser, "maths.html")
    assert not errors
    assert shown["formulas"] > 0
