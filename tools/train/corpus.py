"""Plain-prose King James Version text from Debian's `bible-kjv-text` package.

The package ships the KJV as /usr/lib/bible.data, a file in the Bible
Retrieval System's own compressed format ("EC02Compressed Data File"). It is
not plain text, so we decode it with the `bible` program of the companion
Debian package `bible-kjv` (same source package, reads the same data file):

    apt-get install -y bible-kjv-text bible-kjv

`bible -l100000 gen1:1-rev22:21` prints every chapter as a "Book N" header
followed by one "  N verse text" line per verse (no wrapping at that width).
We drop the headers and verse numbers and keep each chapter as a list of verse
strings; a chapter joined with spaces is one plain-prose document.

The KJV text is in the public domain (translation of 1611; see
/usr/share/doc/bible-kjv-text/copyright).
"""
import os
import re
import shutil
import subprocess

HERE = os.path.dirname(os.path.abspath(__file__))
WORK = os.path.join(HERE, "work")
RAW_CACHE = os.path.join(WORK, "kjv_raw.txt")

_HEADER = re.compile(r"^((?:[123] )?[A-Z][A-Za-z ]+) (\d+)$")
_VERSE = re.compile(r"^\s+(\d+) (.*\S)\s*$")


def _raw_text():
    if os.path.exists(RAW_CACHE):
        with open(RAW_CACHE, encoding="utf-8") as f:
            return f.read()
    exe = shutil.which("bible") or "/usr/bin/bible"
    if not os.path.exists(exe):
        raise SystemExit("the `bible` program is missing: apt-get install -y bible-kjv-text bible-kjv")
    out = subprocess.run([exe, "-l100000", "gen1:1-rev22:21"], check=True,
                         capture_output=True, cwd="/tmp").stdout.decode("ascii")
    os.makedirs(WORK, exist_ok=True)
    with open(RAW_CACHE, "w", encoding="utf-8") as f:
        f.write(out)
    return out


def load_chapters():
    """[(book, chapter_number, [verse, ...]), ...] in canonical order (1189 chapters, 31102 verses)."""
    chapters = []
    for line in _raw_text().splitlines():
        if not line.strip():
            continue
        m = _VERSE.match(line)
        if m:
            if not chapters:
                raise ValueError("verse before any chapter header: %r" % line)
            verse = re.sub(r"\s+", " ", m.group(2))
            chapters[-1][2].append(verse)
            continue
        m = _HEADER.match(line)
        if not m:
            raise ValueError("unrecognised line in bible output: %r" % line)
        chapters.append((m.group(1), int(m.group(2)), []))
    n_verses = sum(len(c[2]) for c in chapters)
    if len(chapters) != 1189 or n_verses != 31102:
        raise ValueError("expected 1189 chapters / 31102 verses, got %d / %d" % (len(chapters), n_verses))
    return chapters


def chapter_documents():
    """One plain-prose string per chapter."""
    return [" ".join(verses) for _, _, verses in load_chapters()]


if __name__ == "__main__":
    docs = chapter_documents()
    print(len(docs), "chapters,", sum(len(d) for d in docs), "characters")
    print(docs[0][:300])
