"""CITATION.cff and the changelog: the citation file parses, names this release and its
license; the changelog's newest entry is this release."""

import re
from pathlib import Path

import skperceptron

ROOT = Path(__file__).resolve().parents[1]
CITATION = ROOT / "CITATION.cff"


def _read():
    """The file's top-level mapping: with PyYAML (which dask and myst-parser install),
    or, without it, each key that starts in the first column with its value, or with
    the indented lines under it as text (a list, a folded block)."""
    text = CITATION.read_text(encoding="utf-8")
    try:
        import yaml
    except ImportError:
        fields, key = {}, None
        for line in text.splitlines():
            match = re.match(r"([A-Za-z][\w-]*):\s*(.*)$", line)
            if match:
                key, value = match.group(1), match.group(2).strip()
                fields[key] = "" if value in ("", ">-", "|") else value.strip("\"'")
            elif key is not None and line.startswith(" "):
                fields[key] = f"{fields[key]} {line.strip()}".strip()
        return fields
    return yaml.safe_load(text)


def test_citation_names_this_version():
    assert _read()["version"] == skperceptron.__version__


def test_citation_has_the_fields_of_cff_1_2_0():
    fields = _read()
    assert fields["cff-version"] == "1.2.0"
    for key in ("message", "title", "authors", "license", "abstract"):
        assert fields.get(key), f"CITATION.cff has no {key}"


def test_citation_license_is_the_package_license():
    declared = re.search(r'license = \{ text = "([^"]+)" \}',
                         (ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert declared, "pyproject.toml declares no license text"
    assert _read()["license"] == declared.group(1)


def test_changelog_starts_with_this_version():
    changelog = (ROOT / "docs" / "changelog.md").read_text(encoding="utf-8")
    versions = re.findall(r"^## (\S+)", changelog, flags=re.MULTILINE)
    assert versions, "docs/changelog.md has no version heading"
    assert versions[0] == skperceptron.__version__
