#!/usr/bin/env python3
"""Copies NESTML 9.0.0's model files into Tests/Fixtures/nestml for the NESTML parser's tests.

The NESTML front end (Sources/PlexusModel/NESTML) is tested on every .nestml file that the
nestml 9.0.0 wheel ships: its model library (models/neurons: 30, models/synapses: 10) and the
tutorials' models (doc/tutorials/**: 8). The wheel carries them as data files under
nestml-9.0.0.data/data/; they are copied unchanged to

  Tests/Fixtures/nestml/neurons/<name>.nestml
  Tests/Fixtures/nestml/synapses/<name>.nestml
  Tests/Fixtures/nestml/tutorials/<tutorial>/.../<name>.nestml   (the path below doc/tutorials)

and the folder is first emptied of .nestml files, so running this twice gives the same tree.

Usage (from anywhere):
  python3 tools/fetch_nestml_models.py                 # pip download nestml==9.0.0 (the wheel) into a temp dir
  python3 tools/fetch_nestml_models.py WHEEL           # read an already downloaded wheel
  python3 tools/fetch_nestml_models.py --check [WHEEL] # compare the fixtures with the wheel; exit 1 on a difference

NESTML is GPL-2.0-or-later (NEST Initiative); every model file keeps its own licence header.
"""
import argparse
import glob
import os
import subprocess
import sys
import tempfile
import zipfile

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.normpath(os.path.join(HERE, ".."))
DEST = os.path.join(REPO, "Tests", "Fixtures", "nestml")
VERSION = "9.0.0"
DATA = f"nestml-{VERSION}.data/data/"
# (prefix in the wheel, folder under Tests/Fixtures/nestml)
GROUPS = [("models/neurons/", "neurons"), ("models/synapses/", "synapses"), ("doc/tutorials/", "tutorials")]


def download(tmp):
    subprocess.check_call([sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary", ":all:",
                           f"nestml=={VERSION}", "-d", tmp, "-i", "https://pypi.org/simple"])
    wheels = glob.glob(os.path.join(tmp, f"nestml-{VERSION}-*.whl"))
    if not wheels:
        sys.exit(f"pip did not download a nestml {VERSION} wheel into {tmp}")
    return wheels[0]


def wanted(wheel):
    """{relative destination path: bytes} for every .nestml file of the groups."""
    out = {}
    with zipfile.ZipFile(wheel) as z:
        for name in sorted(z.namelist()):
            if not name.startswith(DATA) or not name.endswith(".nestml"):
                continue
            rel = name[len(DATA):]
            for prefix, folder in GROUPS:
                if rel.startswith(prefix):
                    out[os.path.join(folder, rel[len(prefix):])] = z.read(name)
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("wheel", nargs="?", help=f"path of nestml-{VERSION}-py3-none-any.whl (default: pip download it)")
    ap.add_argument("--check", action="store_true", help="compare instead of writing")
    args = ap.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        wheel = args.wheel or download(tmp)
        files = wanted(wheel)
    counts = {folder: sum(1 for p in files if p.startswith(folder + os.sep)) for _, folder in GROUPS}
    if not files:
        sys.exit(f"{wheel} holds no .nestml files under {DATA}")

    existing = {os.path.relpath(p, DEST) for p in glob.glob(os.path.join(DEST, "**", "*.nestml"), recursive=True)}
    if args.check:
        bad = sorted(existing.symmetric_difference(files))
        for rel, data in files.items():
            if rel in existing and open(os.path.join(DEST, rel), "rb").read() != data:
                bad.append(rel)
        for rel in bad:
            print(f"differs: {rel}")
        print(f"{len(files)} files in the wheel ({counts}), {len(bad)} differ")
        sys.exit(1 if bad else 0)

    for rel in existing:
        os.remove(os.path.join(DEST, rel))
    for rel, data in files.items():
        path = os.path.join(DEST, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(data)
    # Folders left empty by a removed file go too.
    for root, dirs, names in os.walk(DEST, topdown=False):
        if root != DEST and not os.listdir(root):
            os.rmdir(root)
    print(f"wrote {len(files)} files into {os.path.relpath(DEST, REPO)}: {counts}")


if __name__ == "__main__":
    main()
