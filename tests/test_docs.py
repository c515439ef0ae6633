"""The documentation site: every public name in the API reference, and built pages that
a browser shows without errors.

The browser tests read every page of the site built by README's docs command
(``docs/_build/html``, its translated editions included; ``SKPERCEPTRON_SITE=folder``
reads another build) in one headless Chromium, driven through its DevTools protocol on
a pipe: no errors in the console, every image loads, every link inside the site and its
anchor resolve (links to elsewhere are counted, not followed), every code block has a
copy button, and at 420 px wide no page scrolls sideways. They are skipped where
Chromium is not installed or the site has not been built, and fail there instead with
``SKPERCEPTRON_BROWSER_TESTS=required`` (as ``.ci/run`` sets it).
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
from urllib.parse import unquote, urlsplit

import pytest

import skperceptron

DOCS = Path(__file__).resolve().parents[1] / "docs"
SITE = Path(os.environ.get("SKPERCEPTRON_SITE") or DOCS / "_build" / "html").resolve()
REQUIRED = os.environ.get("SKPERCEPTRON_BROWSER_TESTS") == "required"

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

#: Editions of the site in other languages, each built into a folder of the English
#: site named after its language (README's docs command: ``docs/_build/html/ko``).
TRANSLATIONS = ("ko",)
#: The width of a narrow window (a phone held upright), in CSS pixels.
NARROW = 420
#: Boxes that may scroll sideways inside a page that does not: code blocks, formulas
#: (displayed or inline) and tables.
OWN_BOX = ("pre, div.highlight, mjx-container, .math, table,"
           " .pst-scrollable-table-container")


def _unavailable(reason):
    """Skip a browser test, or fail it where CI requires the browser tests to run."""
    if REQUIRED:
        pytest.fail(f"{reason} (SKPERCEPTRON_BROWSER_TESTS=required)")
    pytest.skip(reason)


def site_pages(site=None):
    """Every page of a built site, relative to it: its HTML files, the translated
    editions' included, but not those in Sphinx's folders of files (``_static``...)."""
    site = SITE if site is None else site
    pages = []
    for path in sorted(site.rglob("*.html")):
        parts = path.relative_to(site).parts
        if not any(part.startswith("_") for part in parts):
            pages.append("/".join(parts))
    return pages


def edition(page):
    """The language of a page of the site: "en", or the translation's folder."""
    first = page.split("/", 1)[0]
    return first if first in TRANSLATIONS and "/" in page else "en"


def test_site_pages_are_html_files_outside_sphinxs_folders(tmp_path):
    for name in ("index.html", "generated/a.html", "ko/index.html", "_static/m.html",
                 "ko/_static/m.html", "_sources/index.txt", "objects.inv"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("")
    assert site_pages(tmp_path) == ["generated/a.html", "index.html", "ko/index.html"]
    assert [edition(page) for page in site_pages(tmp_path)] == ["en", "en", "ko"]


def _translation_expected(language):
    """Why the built site must hold the edition in ``language``, or None: the
    repository has its translations, or README's docs command builds it."""
    if (DOCS / "locale" / language).is_dir():
        return f"docs/locale/{language} exists"
    readme = (DOCS.parent / "README.md").read_text()
    commands = [line for line in readme.splitlines() if "python -m sphinx" in line]
    if any(f"language={language}" in line for line in commands):
        return f"README.md's docs command builds the {language} edition"
    return None


def test_site_has_every_edition_the_repository_translates():
    if not (SITE / "index.html").is_file():
        _unavailable(f"the site is not built in {SITE} (README.md has the command)")
    for language in TRANSLATIONS:
        why = _translation_expected(language)
        if why:
            assert (SITE / language / "index.html").is_file(), (
                f"{why}, but the built site has no {language}/index.html")


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

    def evaluate(self, session, expression):
        """The value of a JavaScript expression (awaited when it is a promise)."""
        reply = self.send("Runtime.evaluate", session, expression=expression,
                          awaitPromise=True, returnByValue=True)
        if "exceptionDetails" in reply:
            raise RuntimeError(reply["exceptionDetails"].get("exception", {})
                               .get("description", reply["exceptionDetails"]["text"]))
        return reply["result"]["value"]


# Where an element is, for a reader of a failure: its tag and classes, after those of
# its parents up to the nearest one with an id (at most four).
_WHERE = """const where = element => {
  const names = [];
  for (let e = element; e && e !== document.body && names.length < 4;
       e = e.parentElement) {
    const classes = typeof e.className === "string" && e.className.trim()
      ? "." + e.className.trim().split(/\\s+/).join(".") : "";
    names.unshift(e.tagName.toLowerCase() + (e.id ? "#" + e.id : "") + classes);
    if (e.id) break;
  }
  return names.join(" > ");
};
const text = element => {  // a headerlink's "#" says less than its heading
  const own = (element.textContent || "").trim();
  const parent = element.parentElement;
  const shown = own.length < 3 && parent ? parent.textContent : own;
  return shown.trim().replace(/\\s+/g, " ").slice(0, 60);
};
"""

# After the load event: let MathJax typeset, make lazy images load now, and wait for
# every image; then describe each image, the links, the ids that fragments can name,
# and the code blocks; count the typeset formulas.
_INSPECT = """(async () => {
  %s
  if (window.MathJax && MathJax.startup && MathJax.startup.promise) {
    await MathJax.startup.promise;
  }
  const images = Array.from(document.images);
  images.forEach(img => { img.loading = "eager"; });
  await Promise.all(images.map(img => img.decode().catch(() => null)));
  const blocks = Array.from(document.querySelectorAll("div.highlight"));
  return {
    images: images.map(img => ({
      src: img.currentSrc || img.src, classes: img.className, complete: img.complete,
      width: img.naturalWidth, height: img.naturalHeight,
      thumbnail: img.closest(".sphx-glr-thumbcontainer") !== null,
    })),
    formulas: document.querySelectorAll("mjx-container").length,
    links: Array.from(document.querySelectorAll("a[href]"),
                      a => ({href: a.href, text: text(a), where: where(a)})),
    ids: Array.from(document.querySelectorAll("[id]"), e => e.id).concat(
      Array.from(document.querySelectorAll("a[name]"), a => a.name)),
    code_blocks: blocks.length,
    without_copy_button: blocks.filter(block => !block.querySelector("button.copybtn"))
      .map(block => ({where: where(block), text: text(block)})),
  };
})()""" % _WHERE

# In a narrow window: the parts of the page that scroll sideways, other than the boxes
# that may (OWN_BOX), and in each the outermost elements that reach past its right edge
# (those that no box between them and it scrolls or clips).
_SIDEWAYS = """(async () => {
  %s
  await new Promise(done => requestAnimationFrame(() => requestAnimationFrame(done)));
  const root = document.scrollingElement;
  const scrolling = [];
  if (root.scrollWidth > root.clientWidth) scrolling.push(root);
  for (const e of document.body.querySelectorAll("*")) {
    const overflow = getComputedStyle(e).overflowX;
    if ((overflow === "auto" || overflow === "scroll") && !e.matches(%s)
        && e.scrollWidth > e.clientWidth + 1) scrolling.push(e);
  }
  return scrolling.map(box => {
    const left = box === root ? 0 : box.getBoundingClientRect().left + box.clientLeft;
    const edge = left + box.clientWidth + 1;
    const past = e => e.getBoundingClientRect().right > edge;
    const held = e => {  // by a box between it and the one that scrolls
      for (let p = e.parentElement; p && p !== box; p = p.parentElement) {
        if (getComputedStyle(p).overflowX !== "visible") return true;
      }
      return false;
    };
    const reaching = Array.from(box.querySelectorAll("*")).filter(e => past(e)
      && (e.parentElement === box || !past(e.parentElement)) && !held(e));
    return {
      box: box === root ? "the page" : where(box),
      width: box.clientWidth, content: box.scrollWidth,
      reaching: reaching.map(e => ({
        where: where(e), text: text(e),
        right: Math.round(e.getBoundingClientRect().right),
      })),
    };
  });
})()""" % (_WHERE, json.dumps(OWN_BOX))


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


def inspect(browser, page, site=None):
    """Open a page of the built site (or of ``site``) in a wide window, then in a
    narrow one: what ``_INSPECT`` describes, what scrolls sideways when narrow, and
    the errors."""
    site = SITE if site is None else site
    target = browser.send("Target.createTarget", url="about:blank")["targetId"]
    session = browser.send("Target.attachToTarget", targetId=target,
                           flatten=True)["sessionId"]
    try:
        for domain in ("Page", "Runtime", "Log"):
            browser.send(f"{domain}.enable", session)
        opened = browser.send("Page.navigate", session, url=(site / page).as_uri())
        if "errorText" in opened:
            raise RuntimeError(opened["errorText"])
        browser.wait_for("Page.loadEventFired", session)
        shown = browser.evaluate(session, _INSPECT)
        browser.send("Emulation.setDeviceMetricsOverride", session, width=NARROW,
                     height=900, deviceScaleFactor=1, mobile=False)
        shown["sideways"] = browser.evaluate(session, _SIDEWAYS)
        shown["errors"] = _errors(browser.events, session)
        return shown
    finally:
        browser.send("Target.closeTarget", targetId=target)
        browser.events.clear()  # one page at a time: nothing else waits for them


@pytest.fixture(scope="module")
def browser():
    executable = _chromium()
    if executable is None:
        _unavailable("Chromium is not installed")
    browser = DevTools(executable, timeout=60)
    try:
        yield browser
    finally:
        browser.close()


@pytest.fixture(scope="module")
def site(browser, request):
    """Every page of the built site, each inspected once: page -> what it shows, or
    ``{"failed": why}`` for a page the browser could not inspect."""
    if not (SITE / "index.html").is_file():
        _unavailable(f"the site is not built in {SITE} (README.md has the command)")
    start = time.monotonic()
    shown, stuck = {}, None
    for page in site_pages():
        if stuck:  # not a minute more for each page left
            shown[page] = {"failed": f"not opened: the browser stopped answering on "
                                     f"{stuck}"}
            continue
        try:
            shown[page] = inspect(browser, page)
        except (OSError, RuntimeError) as error:  # TimeoutError is an OSError
            shown[page] = {"failed": f"{type(error).__name__}: {error}"}
            if isinstance(error, TimeoutError):
                stuck = page
    seconds = time.monotonic() - start
    links = [link["href"] for page in shown.values() for link in page.get("links", [])]
    external = [href for href in links if not href.startswith("file:")]
    editions = {}
    for page in shown:
        editions[edition(page)] = editions.get(edition(page), 0) + 1
    plugins = request.config.pluginmanager
    reporter = plugins.get_plugin("terminalreporter")
    if reporter is not None:  # None in a pytest-xdist worker
        with plugins.get_plugin("capturemanager").global_and_fixture_disabled():
            reporter.ensure_newline()
            reporter.write_line(
                f"browser: {len(shown)} pages ("
                + ", ".join(f"{n} {language}" for language, n in editions.items())
                + f") inspected in {seconds:.1f} s; {len(links) - len(external)} "
                f"internal links, {len(external)} external ({len(set(external))} "
                "addresses, not followed); "
                f"{sum(p.get('code_blocks', 0) for p in shown.values())} code blocks")
    return shown


_FAULTY_PAGE = """<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>faults</title></head><body>
<p id="here">Links: <a href="other.html#nowhere">a missing anchor</a>,
<a href="#here">this paragraph</a>, <a href="other.html#there">another page's</a>,
<a href="missing.html">a missing page</a>,
<a href="https://example.org/">elsewhere</a>.</p>
<div class="highlight"><pre>print("no button")</pre></div>
<div class="highlight"><pre>print("a button")</pre>
<button class="copybtn">copy</button></div>
<div class="highlight"><pre style="overflow-x: auto">%s</pre></div>
<p><code style="white-space: nowrap">%s</code></p>
<img src="missing.png" alt="a missing image">
<script>console.error("an error on purpose");</script>
</body></html>""" % ("x" * 300, "a_name_too_long_for_a_narrow_window_" * 3)


@pytest.mark.slow
def test_inspection_finds_each_kind_of_fault(browser, tmp_path):
    # A page with one fault of each kind the tests over the site look for.
    (tmp_path / "index.html").write_text(_FAULTY_PAGE)
    (tmp_path / "other.html").write_text('<p id="there">There.</p>')
    shown = inspect(browser, "index.html", site=tmp_path)
    assert any("an error on purpose" in error for error in shown["errors"])
    assert any("missing.png" in error for error in shown["errors"])  # a failed load
    assert [image["width"] for image in shown["images"]] == [0]
    assert shown["code_blocks"] == 3
    assert [block["text"] for block in shown["without_copy_button"]] == [
        'print("no button")', "x" * 60]
    # The long name makes the page scroll; the wide code block scrolls in its own box.
    [page] = shown["sideways"]
    assert page["box"] == "the page" and page["width"] == NARROW
    assert [e["where"] for e in page["reaching"]] == ["p > code"]
    ids = {"index.html": set(shown["ids"]), "other.html": {"there"}}
    problems = [link_problem(link["href"], tmp_path, ids) for link in shown["links"]]
    assert problems == ["no id 'nowhere' on other.html", None, None,
                        "no such file: missing.html", "external"]


def _inspected(site):
    """The pages inspected, and a problem for each page that could not be."""
    pages = {page: shown for page, shown in site.items() if "failed" not in shown}
    problems = [f"{page}: not inspected: {shown['failed']}"
                for page, shown in site.items() if "failed" in shown]
    return pages, problems


def _report(problems, what, limit=60):
    """A failure's message: one line for each problem (at most ``limit``)."""
    lines = problems[:limit] + ([f"... and {len(problems) - limit} more"]
                                if len(problems) > limit else [])
    return f"{len(problems)} {what}:\n" + "\n".join(lines)


@pytest.mark.slow
def test_pages_log_no_errors(site):
    pages, problems = _inspected(site)
    problems += [f"{page}: {error}" for page, shown in pages.items()
                 for error in shown["errors"]]
    assert not problems, _report(problems, "console errors")


@pytest.mark.slow
def test_every_image_loads(site):
    pages, problems = _inspected(site)
    for page, shown in pages.items():
        problems += [f"{page}: {image['src']}" for image in shown["images"]
                     if not (image["complete"] and image["width"] > 0
                             and image["height"] > 0)]
    assert not problems, _report(problems, "images that did not load")


def link_problem(href, site, ids):
    """What is wrong with a link of the site, None if nothing, or "external".

    ``href`` is the link's absolute address; ``ids`` maps each page of the site to the
    ids on it. A link inside the site must name a file that exists, and a fragment
    must be an id of that page.
    """
    parts = urlsplit(href)
    if parts.scheme in ("http", "https", "mailto", "ftp"):
        return "external"
    if parts.scheme != "file":
        return f"a link to {href}"
    target = Path(unquote(parts.path))
    try:
        page = target.relative_to(site).as_posix()
    except ValueError:
        return f"leaves the site: {target}"
    if not target.is_file():
        return f"no such file: {page}"
    fragment = unquote(parts.fragment)
    if not fragment:
        return None
    if page not in ids:
        return f"#{fragment} on {page}, which is not a page the browser inspected"
    if fragment not in ids[page]:
        return f"no id {fragment!r} on {page}"
    return None


def test_link_problem_names_missing_pages_and_anchors(tmp_path):
    (tmp_path / "a.html").write_text("")
    (tmp_path / "b b.html").write_text("")
    ids = {"a.html": {"intro", "가나"}, "b b.html": set()}
    here = (tmp_path / "a.html").as_uri()
    assert link_problem(here, tmp_path, ids) is None
    assert link_problem(here + "#intro", tmp_path, ids) is None
    assert link_problem(here + "#%EA%B0%80%EB%82%98", tmp_path, ids) is None
    assert link_problem((tmp_path / "b b.html").as_uri(), tmp_path, ids) is None
    assert link_problem(here + "#outro", tmp_path, ids) == "no id 'outro' on a.html"
    assert link_problem(tmp_path.as_uri() + "/c.html", tmp_path, ids) == (
        "no such file: c.html")
    assert link_problem(tmp_path.as_uri() + "/", tmp_path, ids) == "no such file: ."
    assert link_problem(tmp_path.parent.as_uri(), tmp_path, ids).startswith("leaves")
    assert link_problem("https://example.org/#x", tmp_path, ids) == "external"


@pytest.mark.slow
def test_internal_links_and_anchors_resolve(site):
    pages, problems = _inspected(site)
    ids = {page: set(shown["ids"]) for page, shown in pages.items()}
    broken = {}  # (problem, link) -> the pages that have it: a menu's once
    for page, shown in pages.items():
        for link in shown["links"]:
            problem = link_problem(link["href"], SITE, ids)
            if problem not in (None, "external"):
                key = (problem, f"{link['where']} {link['text']!r}")
                broken.setdefault(key, []).append(page)
    for (problem, link), on in sorted(broken.items()):
        on = sorted(set(on))
        where = ", ".join(on[:3]) + (f" and {len(on) - 3} more pages" if len(on) > 3
                                     else "")
        problems.append(f"{problem}: {link} on {where}")
    assert not problems, _report(problems, "broken links")


@pytest.mark.slow
def test_no_page_scrolls_sideways_when_narrow(site):
    # A wide code block, formula or table scrolls inside its own box; nothing else may
    # (the page, or the theme's article container, which would move the text with it).
    pages, problems = _inspected(site)
    for page, shown in pages.items():
        for box in shown["sideways"]:
            reaching = "; ".join(
                f"{e['where']} {e['text']!r} to {e['right']} px"
                for e in box["reaching"][:5])
            more = len(box["reaching"]) - 5
            problems.append(
                f"{page}: {box['box']} scrolls ({box['content']} px of content in "
                f"{box['width']} px): {reaching or 'no element reaches past it'}"
                + (f"; and {more} more" if more > 0 else ""))
    assert not problems, _report(problems, f"parts of pages scrolling at {NARROW} px")


@pytest.mark.slow
def test_every_code_block_has_a_copy_button(site):
    pages, problems = _inspected(site)
    for page, shown in pages.items():
        problems += [f"{page}: {block['where']} {block['text']!r}"
                     for block in shown["without_copy_button"]]
    assert not problems, _report(problems, "code blocks without a copy button")
    assert sum(shown["code_blocks"] for shown in pages.values()) > 0


def _gallery_indexes(site):
    return [page for page in site if page.endswith("auto_examples/index.html")]


@pytest.mark.slow
def test_gallery_shows_a_thumbnail_for_each_example(site):
    indexes = _gallery_indexes(site)
    if not indexes:
        _unavailable("the built site has no gallery")
    for index in indexes:
        folder = index.removesuffix("index.html")
        examples = [page for page in site if page.startswith(folder)
                    and not page.endswith("index.html")]
        shown = site[index]
        assert "failed" not in shown, shown
        thumbnails = sum(image["thumbnail"] for image in shown["images"])
        assert thumbnails == len(examples), (index, thumbnails, examples)


@pytest.mark.slow
def test_gallery_examples_show_their_figures(site):
    examples = [page for page in site
                if re.search(r"auto_examples/plot_\w+\.html$", page)]
    if not examples:
        _unavailable("the built gallery has no executed example")
    pages, problems = _inspected({page: site[page] for page in examples})
    for page, shown in pages.items():
        figures = [i for i in shown["images"] if "sphx-glr-single-img" in i["classes"]
                   or "sphx-glr-multi-img" in i["classes"]]
        if not figures:
            problems.append(f"{page}: no figure")
    assert not problems, _report(problems, "examples without figures")


@pytest.mark.slow
def test_formulas_are_typeset_from_the_site_itself(site):
    # MathJax comes with the site (no CDN): the maths guide shows its formulas offline.
    guides = [page for page in site if page.endswith("maths.html")]
    assert guides, "the built site has no maths.html"
    for page in guides:
        assert "failed" not in site[page], site[page]
        assert site[page]["formulas"] > 0, page
