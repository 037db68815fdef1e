#!/usr/bin/env python3
"""Applies and reverts the mutations listed in mutants.txt (see that file's header).

  mutate.py list  <mutants.txt>                  one line per mutant: id|archs|smps|equivalent reason|description
  mutate.py apply <mutants.txt> <id> <backup-dir> applies one mutant, saving each file first
  mutate.py restore <backup-dir>                  puts every saved file back (idempotent)
"""
import os, shutil, sys


def unescape(text):
    return text.replace("\\n", "\n")


def parse(path):
    mutants, current = [], None
    with open(path, encoding="utf-8") as f:
        for number, line in enumerate(f, 1):
            line = line.rstrip("\n")
            if not line.strip() or line.startswith("#"):
                continue
            where = f"{path}:{number}"
            if line.startswith("@ "):
                ident, _, desc = line[2:].partition(":")
                current = {"id": ident.strip(), "desc": desc.strip(), "edits": [], "arch": ["x64"], "smp": ["1", "4"], "equivalent": ""}
                mutants.append(current)
            elif current is None:
                sys.exit(f"{where}: text before the first '@ id:' line")
            elif line.startswith("file: "):
                current["edits"].append([line[6:].strip(), None, None])
            elif line.startswith("-"):
                if not current["edits"] or current["edits"][-1][1] is not None:
                    sys.exit(f"{where}: '-' line without a 'file:' line before it")
                current["edits"][-1][1] = unescape(line[2:])
            elif line.startswith("+"):
                if not current["edits"] or current["edits"][-1][1] is None or current["edits"][-1][2] is not None:
                    sys.exit(f"{where}: '+' line without a '-' line before it")
                current["edits"][-1][2] = unescape(line[2:])
            elif line.startswith("arch: "):
                current["arch"] = line[6:].split()
            elif line.startswith("smp: "):
                current["smp"] = line[5:].split()
            elif line.startswith("equivalent: "):
                current["equivalent"] = line[12:].strip()
            else:
                sys.exit(f"{where}: unrecognised line: {line}")
    for m in mutants:
        if not m["edits"] or any(e[1] is None or e[2] is None for e in m["edits"]):
            sys.exit(f"{path}: mutant {m['id']} needs file, '-' and '+' lines")
    return mutants


def backup_name(backup, path):
    return os.path.join(backup, path.replace("/", "__"))


def apply(path, ident, backup):
    found = [m for m in parse(path) if m["id"] == ident]
    if not found:
        sys.exit(f"no mutant '{ident}' in {path}")
    for file, old, new in found[0]["edits"]:
        saved = backup_name(backup, file)
        if not os.path.exists(saved):
            shutil.copyfile(file, saved)
        with open(file, encoding="utf-8") as f:
            text = f.read()
        count = text.count(old)
        if count != 1:
            print(f"mutant {ident}: the original text occurs {count} times in {file} (must be once): {old!r}", file=sys.stderr)
            sys.exit(2)
        with open(file, "w", encoding="utf-8") as f:
            f.write(text.replace(old, new))


def restore(backup):
    if not os.path.isdir(backup):
        return
    for name in os.listdir(backup):
        shutil.copyfile(os.path.join(backup, name), name.replace("__", "/"))
        os.remove(os.path.join(backup, name))


if __name__ == "__main__":
    command = sys.argv[1] if len(sys.argv) > 1 else ""
    if command == "list":
        for m in parse(sys.argv[2]):
            print("|".join([m["id"], " ".join(m["arch"]), " ".join(m["smp"]), m["equivalent"], m["desc"]]))
    elif command == "apply":
        apply(sys.argv[2], sys.argv[3], sys.argv[4])
    elif command == "restore":
        restore(sys.argv[2])
    else:
        sys.exit(__doc__)
