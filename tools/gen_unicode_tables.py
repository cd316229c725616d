#!/usr/bin/env python3
"""Writes src/tokenizers/unicode_tables.cpp from the Unicode Character Database.

    apt-get install -y unicode-data        # Debian: /usr/share/unicode/*.txt (15.0 on bookworm)
    python3 tools/gen_unicode_tables.py [UCD_DIR]

The tables are what the tokenizers need and nothing more, as compact sorted runs that
src/tokenizers/unicode.cpp binary-searches:
  - general category of every code point (runs; gaps are Cn),
  - White_Space (regex \\s, Rust char::is_whitespace) and the regex \\w class
    (Alphabetic | M | Nd | Pc | Join_Control, as Rust's regex crate defines it),
  - canonical combining class (runs),
  - one-level canonical and compatibility decompositions (Hangul is algorithmic),
  - primary composites (canonical pairs minus Full_Composition_Exclusion),
  - simple lowercase mappings (runs of equal delta and stride) plus the unconditional
    multi-character lowercase mappings of SpecialCasing.txt (Rust char::to_lowercase).
"""
import os
import sys

# Must match wax::unicode::category in src/tokenizers/unicode.h.
CATEGORIES = ["Lu", "Ll", "Lt", "Lm", "Lo", "Mn", "Mc", "Me", "Nd", "Nl", "No", "Pc", "Pd", "Ps", "Pe",
              "Pi", "Pf", "Po", "Sm", "Sc", "Sk", "So", "Zs", "Zl", "Zp", "Cc", "Cf", "Cs", "Co", "Cn"]
MAX_CP = 0x10FFFF


def read_unicode_data(path):
    """Yields (code point, fields) for every code point UnicodeData.txt assigns, ranges expanded."""
    pending_first = None
    with open(path, encoding="utf-8") as f:
        for line in f:
            fields = line.rstrip("\n").split(";")
            cp = int(fields[0], 16)
            name = fields[1]
            if name.endswith(", First>"):
                pending_first = cp
                continue
            if name.endswith(", Last>"):
                for c in range(pending_first, cp + 1):
                    yield c, fields
                pending_first = None
                continue
            yield cp, fields


def read_property_ranges(path, wanted):
    ranges = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.split("#", 1)[0].strip()
            if not line:
                continue
            cps, prop = [x.strip() for x in line.split(";")[:2]]
            if prop != wanted:
                continue
            if ".." in cps:
                a, b = cps.split("..")
                ranges.append((int(a, 16), int(b, 16)))
            else:
                ranges.append((int(cps, 16), int(cps, 16)))
    return ranges


def to_ranges(code_points):
    out = []
    for cp in sorted(code_points):
        if out and out[-1][1] + 1 == cp:
            out[-1][1] = cp
        else:
            out.append([cp, cp])
    return out


def emit_array(name, ctype, values, per_line=10):
    lines = [f"constexpr {ctype} {name}[] = {{"]
    for i in range(0, len(values), per_line):
        lines.append("    " + ", ".join(values[i:i + per_line]) + ",")
    lines.append("};")
    return "\n".join(lines)


def main():
    ucd = sys.argv[1] if len(sys.argv) > 1 else "/usr/share/unicode"
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    out_path = os.path.join(root, "src", "tokenizers", "unicode_tables.cpp")

    category = {}
    ccc = {}
    decomposition = {}  # cp -> (is_compat, [cps])
    lower = {}
    for cp, fields in read_unicode_data(os.path.join(ucd, "UnicodeData.txt")):
        category[cp] = CATEGORIES.index(fields[2])
        if int(fields[3]):
            ccc[cp] = int(fields[3])
        if fields[5]:
            parts = fields[5].split()
            compat = parts[0].startswith("<")
            if compat:
                parts = parts[1:]
            decomposition[cp] = (compat, [int(p, 16) for p in parts])
        if fields[13]:
            lower[cp] = int(fields[13], 16)

    with open(os.path.join(ucd, "ReadMe.txt"), encoding="utf-8") as f:
        version = next((line.split("Version")[1].split("of")[0].strip() for line in f if "Version" in line), "?")

    # General category runs, packed (first << 5) | category; each run ends where the next begins.
    cn = CATEGORIES.index("Cn")
    runs = []
    previous = None
    for cp in range(MAX_CP + 1):
        cat = category.get(cp, cn)
        if cat != previous:
            runs.append((cp, cat))
            previous = cat
    latin1 = [category.get(cp, cn) for cp in range(256)]

    white_space = read_property_ranges(os.path.join(ucd, "PropList.txt"), "White_Space")
    join_control = read_property_ranges(os.path.join(ucd, "PropList.txt"), "Join_Control")
    alphabetic = read_property_ranges(os.path.join(ucd, "DerivedCoreProperties.txt"), "Alphabetic")
    word = set()
    for a, b in alphabetic + join_control:
        word.update(range(a, b + 1))
    for cp, cat in category.items():
        if CATEGORIES[cat] in ("Mn", "Mc", "Me", "Nd", "Pc"):
            word.add(cp)
    word_ranges = to_ranges(word)

    ccc_runs = []
    previous = None
    for cp in range(MAX_CP + 1):
        value = ccc.get(cp, 0)
        if value != previous:
            ccc_runs.append((cp, value))
            previous = value

    # One-level decompositions: key (cp << 1) | compat, value (offset << 5) | length.
    decomposition_keys, decomposition_values, decomposition_data = [], [], []
    for cp in sorted(decomposition):
        compat, parts = decomposition[cp]
        assert len(parts) < 32
        decomposition_keys.append((cp << 1) | int(compat))
        decomposition_values.append((len(decomposition_data) << 5) | len(parts))
        decomposition_data.extend(parts)

    exclusions = set()
    with open(os.path.join(ucd, "CompositionExclusions.txt"), encoding="utf-8") as f:
        for line in f:
            line = line.split("#", 1)[0].strip()
            if line:
                exclusions.add(int(line, 16))
    compositions = []
    for cp, (compat, parts) in decomposition.items():
        if compat or len(parts) != 2 or cp in exclusions:
            continue
        if ccc.get(cp, 0) != 0 or ccc.get(parts[0], 0) != 0:  # non-starter decompositions
            continue
        compositions.append((parts[0], parts[1], cp))
    compositions.sort()

    # Simple lowercase as runs {first, count, stride, delta}.
    lower_runs = []
    for cp in sorted(lower):
        delta = lower[cp] - cp
        if lower_runs:
            first, count, stride, run_delta = lower_runs[-1]
            last = first + (count - 1) * stride
            if run_delta == delta and count == 1 and cp - first in (1, 2):
                lower_runs[-1] = [first, 2, cp - first, delta]
                continue
            if run_delta == delta and count > 1 and cp == last + stride:
                lower_runs[-1][1] += 1
                continue
        lower_runs.append([cp, 1, 1, delta])

    special_lower = []  # (cp, [cps]) unconditional multi-character lowercase
    with open(os.path.join(ucd, "SpecialCasing.txt"), encoding="utf-8") as f:
        for line in f:
            line = line.split("#", 1)[0].strip()
            if not line:
                continue
            fields = [x.strip() for x in line.split(";")]
            if fields[4]:  # a condition (Final_Sigma, locales): Rust's char::to_lowercase ignores these
                continue
            cps = [int(x, 16) for x in fields[1].split()]
            cp = int(fields[0], 16)
            if len(cps) > 1:
                special_lower.append((cp, cps))
    assert all(len(c) == 2 for _, c in special_lower)

    hexs = lambda v: f"0x{v:X}"
    parts = [
        "// Generated by tools/gen_unicode_tables.py from the Unicode Character Database " + version + ".",
        "// Do not edit: rerun the script (see its docstring).",
        "#include \"tokenizers/unicode_tables.h\"",
        "",
        "namespace wax::unicode_tables {",
        "namespace {",
        "",
        f"// {len(runs)} general-category runs: (first << 5) | category.",
        emit_array("category_run_data", "uint32_t", [hexs((a << 5) | c) for a, c in runs], 8),
        "",
        "// General category of U+0000..U+00FF, indexed directly.",
        emit_array("latin1_category_data", "uint8_t", [str(c) for c in latin1], 32),
        "",
        f"// White_Space as inclusive [first, last] pairs ({len(white_space)} ranges).",
        emit_array("white_space_data", "uint32_t", [hexs(v) for r in white_space for v in r], 8),
        "",
        f"// Regex \\w: Alphabetic | M | Nd | Pc | Join_Control, [first, last] pairs ({len(word_ranges)} ranges).",
        emit_array("word_data", "uint32_t", [hexs(v) for r in word_ranges for v in r], 8),
        "",
        f"// {len(ccc_runs)} canonical-combining-class runs: (first << 8) | class.",
        emit_array("combining_class_run_data", "uint32_t", [hexs((a << 8) | c) for a, c in ccc_runs], 8),
        "",
        f"// {len(decomposition_keys)} one-level decompositions: key (cp << 1) | is_compatibility,",
        "// value (offset into decomposition_data << 5) | length.",
        emit_array("decomposition_key_data", "uint32_t", [hexs(v) for v in decomposition_keys], 8),
        emit_array("decomposition_value_data", "uint32_t", [hexs(v) for v in decomposition_values], 8),
        emit_array("decomposition_data", "uint32_t", [hexs(v) for v in decomposition_data], 8),
        "",
        f"// {len(compositions)} primary composites as (first, second, composite), sorted.",
        emit_array("composition_data", "uint32_t", [hexs(v) for t in compositions for v in t], 9),
        "",
        f"// {len(lower_runs)} simple-lowercase runs: first, count, stride, delta.",
        emit_array("lowercase_run_data", "int32_t", [str(v) for r in lower_runs for v in r], 8),
        "",
        "// Unconditional multi-character lowercase mappings (SpecialCasing.txt): cp, first, second.",
        emit_array("special_lowercase_data", "uint32_t", [hexs(v) for cp, c in special_lower for v in [cp] + c], 9),
        "",
        "}  // namespace",
        "",
        "std::span<const uint32_t> category_runs() { return category_run_data; }",
        "std::span<const uint8_t> latin1_categories() { return latin1_category_data; }",
        "std::span<const uint32_t> white_space_ranges() { return white_space_data; }",
        "std::span<const uint32_t> word_ranges() { return word_data; }",
        "std::span<const uint32_t> combining_class_runs() { return combining_class_run_data; }",
        "std::span<const uint32_t> decomposition_keys() { return decomposition_key_data; }",
        "std::span<const uint32_t> decomposition_values() { return decomposition_value_data; }",
        "std::span<const uint32_t> decompositions() { return decomposition_data; }",
        "std::span<const uint32_t> compositions() { return composition_data; }",
        "std::span<const int32_t> lowercase_runs() { return lowercase_run_data; }",
        "std::span<const uint32_t> special_lowercase() { return special_lowercase_data; }",
        "",
        "}  // namespace wax::unicode_tables",
        "",
    ]
    with open(out_path, "w", encoding="utf-8") as f:
        f.write("\n".join(parts))
    print(f"wrote {out_path}: {len(runs)} category runs, {len(word_ranges)} word ranges, {len(ccc_runs)} ccc runs, "
          f"{len(decomposition_keys)} decompositions ({len(decomposition_data)} cps), {len(compositions)} composites, "
          f"{len(lower_runs)} lowercase runs, {len(special_lower)} special lowercase")


if __name__ == "__main__":
    main()
