"""Plain-text output shared by the benchmark scripts: tables, the machine's processor
and its load.

Only the standard library: importing this adds nothing to the memory a benchmark
measures.
"""

import os
import platform
import sys
import textwrap


def print_table(title, header, rows, notes=(), text_columns=2, wrap=None):
    """A plain-text table: the first ``text_columns`` left-aligned, the rest right.

    Each note is printed below, indented; with ``wrap`` set, folded to that width.
    """
    rows = [[str(cell) for cell in row] for row in rows]
    widths = [max(len(str(h)), *(len(r[i]) for r in rows)) for i, h in enumerate(header)]

    def line(cells):
        return "  ".join(
            f"{c:<{w}}" if i < text_columns else f"{c:>{w}}"
            for i, (c, w) in enumerate(zip(cells, widths))
        ).rstrip()

    print(f"\n{title}\n{'=' * len(title)}")
    print(line(header))
    print(line(["-" * w for w in widths]))
    for row in rows:
        print(line(row))
    for note in notes:
        for part in textwrap.wrap(note, wrap, subsequent_indent="  ") if wrap else [note]:
            print(f"  {part}")
    sys.stdout.flush()


def load_text():
    """The load averages of the machine, which tell whether other work competed."""
    try:
        return ", ".join(f"{v:.2f}" for v in os.getloadavg()) + " (1, 5, 15 min)"
    except OSError:
        return "unknown"


def cpu_model():
    """The processor's model name (Linux's /proc/cpuinfo), else what platform says."""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"
