"""The Korean edition: the learning path, the tutorial and the glossary in Korean.

The notes the learning path follows are in Korean, so these three pages also exist in
Korean, translated in gettext catalogs (``docs/locale/ko/LC_MESSAGES/<page>.po``). The
Korean site is a second, small build into ``ko/`` beside the English one::

    python -m sphinx -W -b html docs docs/_build/html
    python -m sphinx -W -b html -D language=ko docs docs/_build/html/ko

With ``language = "ko"`` this extension builds only the pages of ``KOREAN_PAGES``, and
disconnects the gallery (which would run every example), the API pages (autosummary)
and the source pages. It also

* reads the Korean home page from ``locale/ko/index.md`` (written in Korean, it has
  no catalog) in place of ``index.md``;
* sends every link to a page that only the English site has (a guide, an example, an
  API object, a source file) to that page in the English site, ``../``: ``{ref}`` and
  ``{py:...}`` links through the English build's ``objects.inv`` (intersphinx, read from
  the disk), Markdown links to a page (``maths.md#notation``) by their address;
* fails the build, naming each one, if a paragraph of a translated page has no Korean
  text, or if a catalog has a fuzzy message (Sphinx leaves both in English);
* in both languages, puts a link to the other language's page at the top of each page.

After an English page changes, update its catalog and translate what is new or fuzzy
(the gettext builder reads every page and runs sphinx-gallery, which writes into the
source folder: extract the messages from a copy of docs/)::

    cp -r docs /tmp/docs-pot && python -m sphinx -b gettext -D plot_gallery=0 /tmp/docs-pot /tmp/pot
    mkdir /tmp/pot-ko && cp /tmp/pot/{path,tutorial,glossary}.pot /tmp/pot-ko
    sphinx-intl update -p /tmp/pot-ko -l ko -d docs/locale -w 88

The ``.mo`` files are compiled by Sphinx when it builds (not kept in git).
"""

import posixpath
from pathlib import Path

from docutils import nodes
from sphinx import addnodes
from sphinx.errors import ExtensionError
from sphinx.transforms.post_transforms import SphinxPostTransform
from sphinx.util import logging
from sphinx.util.nodes import extract_messages

logger = logging.getLogger(__name__)

#: The pages of the Korean site; all but the home page are translated by a catalog.
KOREAN_PAGES = ("index", "path", "tutorial", "glossary")
TRANSLATED_PAGES = ("path", "tutorial", "glossary")
#: The Korean home page's source, used in place of index.md (relative to docs/).
KOREAN_INDEX = Path("locale", "ko", "index.md")

_KEY = "korean_untranslated"


def _korean(app):
    return app.config.language == "ko"


# -- The Korean home page --------------------------------------------------------------
def _read_korean_index(app, docname, source):
    if _korean(app) and docname == "index":
        path = Path(app.srcdir, KOREAN_INDEX)
        app.env.note_dependency(str(path))
        source[0] = path.read_text(encoding="utf-8")


# -- Links to the English site ---------------------------------------------------------
class EnglishPageLinks(SphinxPostTransform):
    """A Markdown link to a page this build lacks becomes a link to the English page.

    Runs before MyST's resolver, which would otherwise report an unknown document.
    """

    default_priority = 5  # MyST's MystReferenceResolver has 9

    def is_available(self):
        return _korean(self.app) and self.app.builder.format == "html"

    def run(self, **kwargs):
        for node in list(self.document.findall(addnodes.pending_xref)):
            if node.get("reftype") != "myst" or node.get("refdomain") != "doc":
                continue
            target = node["reftarget"]
            if target in self.env.all_docs:
                continue
            refdoc = node.get("refdoc", self.env.docname)
            up = posixpath.relpath(".", posixpath.dirname(refdoc) or ".")
            uri = posixpath.normpath(
                posixpath.join(up, "..", target + self.app.builder.link_suffix)
            )
            if node.get("reftargetid"):
                uri += "#" + node["reftargetid"]
            link = nodes.reference("", "", internal=False, refuri=uri)
            link += node[0].deepcopy()  # the link's text, as translated
            node.replace_self(link)


# -- The Korean build: its pages only ----------------------------------------------------
#: The top bar's words (conf.py's html_context["nav_groups"]) in Korean.
KOREAN_TITLES = {
    "Learn": "배우기", "Reference": "참고", "Getting started": "시작하기",
    "Path": "학습 경로", "Tutorial": "튜토리얼", "Glossary": "용어집", "Maths": "수학",
    "Gallery": "예제", "Architecture": "구조", "Reliability": "신뢰성",
    "Scaling": "확장", "From scikit-learn": "scikit-learn에서 옮겨 오기",
    "FAQ": "자주 묻는 질문",
}
#: Extensions whose work the Korean build skips: the gallery (run and time its
#: examples) and the source files' pages. Their handlers are disconnected.
ENGLISH_ONLY = ("sphinx_gallery", "gallery_time_limit", "source_pages")


def _korean_edition(app, config):
    """With ``-D language=ko``: the Korean pages only, no gallery, API or source pages."""
    if not _korean(app):
        return
    config.include_patterns = [f"{page}.md" for page in KOREAN_PAGES]
    config.autosummary_generate = False
    config.html_title = f"{config.project} {config.release} 한국어판"
    # The top bar: the Korean pages here, the others in the English site (../).
    groups = config.html_context.get("nav_groups")
    if groups:
        config.html_context = {**config.html_context, "nav_groups": [
            (KOREAN_TITLES.get(label, label), [
                (KOREAN_TITLES.get(title, title),
                 target if target in KOREAN_PAGES else f"../{target}.html",
                 section if target in KOREAN_PAGES else "")
                for title, target, section in entries
            ])
            for label, entries in groups
        ]}
    for event in ("builder-inited", "env-updated", "build-finished"):
        app.events.listeners[event] = [
            listener for listener in app.events.listeners[event]
            if not getattr(listener.handler, "__module__", "").startswith(ENGLISH_ONLY)
        ]
    _english_inventory(app, config)


def _english_inventory(app, config):
    """Resolve what the Korean pages lack from the English build beside them (offline)."""
    inventory = Path(app.outdir).parent / "objects.inv"
    if not inventory.is_file():
        raise ExtensionError(
            f"the Korean site links into the English one: build it first, into "
            f"{Path(app.outdir).parent} (its objects.inv is missing)"
        )
    config.intersphinx_mapping = {**(config.intersphinx_mapping or {}),
                                  "en": ("..", str(inventory))}
    # {doc}`maths` too, not only objects and labels.
    config.intersphinx_disabled_reftypes = []


# -- Every message translated ----------------------------------------------------------
def _find_untranslated(app, doctree):
    if not _korean(app) or app.env.docname not in TRANSLATED_PAGES:
        return
    # Sphinx translates an image's alternative text without marking the node: it is
    # translated when it reads as one of the catalog's translations.
    translations = {m.string for m in _catalog(app, app.env.docname) if m.string}
    missing = []
    for node, message in extract_messages(doctree):
        if isinstance(node, nodes.image):
            if message not in translations:
                missing.append((node.line or getattr(node.parent, "line", None) or 0,
                                message))
        elif not node.get("translated"):
            line = node.line or getattr(node.parent, "line", None)
            missing.append((line or 0, message))
    found = app.env.__dict__.setdefault(_KEY, {})
    found[app.env.docname] = missing


def _merge(app, env, docnames, other):
    env.__dict__.setdefault(_KEY, {}).update(getattr(other, _KEY, {}))


def _purge(app, env, docname):
    env.__dict__.setdefault(_KEY, {}).pop(docname, None)


def _catalog(app, page):
    """The messages of ``page``'s Korean catalog, read with babel (not the fuzzy ones)."""
    from babel.messages.pofile import read_po

    path = Path(app.srcdir, "locale", "ko", "LC_MESSAGES", page + ".po")
    if not path.is_file():
        raise ExtensionError(f"the Korean catalog {path} is missing")
    with path.open("rb") as file:
        return read_po(file)


def _fuzzy_messages(app):
    return [(page + ".po", m.lineno, m.id) for page in TRANSLATED_PAGES
            for m in _catalog(app, page) if m.id and m.fuzzy]


def _check_translations(app, env):
    if not _korean(app):
        return
    problems = []
    for page, missing in sorted(getattr(env, _KEY, {}).items()):
        for line, message in missing:
            problems.append(f"  {page}.md:{line}: not translated: {message[:70]!r}")
    for name, line, message in _fuzzy_messages(app):
        problems.append(f"  {name}:{line}: fuzzy: {message[:70]!r}")
    if problems:
        raise ExtensionError(
            "the Korean pages are not fully translated (update the catalogs in "
            "docs/locale/ko, see docs/_ext/korean.py):\n" + "\n".join(problems)
        )


# -- A link to the other language ------------------------------------------------------
def _language_link(app, pagename, templatename, context, doctree):
    if pagename not in KOREAN_PAGES or "body" not in context:
        return
    page = pagename + app.builder.link_suffix
    if _korean(app):
        href, text, lang = "../" + page, "English", "en"
    else:
        href, text, lang = "ko/" + page, "한국어", "ko"
    context["body"] = (
        f'<p class="skp-language" style="text-align: right; margin: 0;">'
        f'<a href="{href}" hreflang="{lang}" lang="{lang}">{text}</a></p>\n'
        + context["body"]
    )


def setup(app):
    app.connect("source-read", _read_korean_index)
    # Before intersphinx reads its mapping (800), after sphinx-gallery's defaults (10).
    app.connect("config-inited", _korean_edition, priority=100)
    app.add_post_transform(EnglishPageLinks)
    app.connect("doctree-read", _find_untranslated)
    app.connect("env-merge-info", _merge)
    app.connect("env-purge-doc", _purge)
    app.connect("env-updated", _check_translations)
    app.connect("html-page-context", _language_link)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
