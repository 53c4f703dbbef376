#!/usr/bin/env python3
"""Copies the peers' reference outputs that the tests read into Tests/Fixtures.

The tests compare Plexus with NEST, Arbor and TVB outputs kept in ../shared/reference (made by the
scripts in ../shared/peers). So that a fresh clone runs those tests too, the files the tests read,
and only those, live in the repository under Tests/Fixtures/ with the same relative paths
(nest/..., tvb/..., arbor/...). Files larger than 64 KiB are stored bzip2-compressed as
<name>.bz2; Tests/PlexusTests/Support/Reference.swift reads either form, so the tests see the same
bytes. bzip2 output has no time stamp: running this twice gives identical files.

Usage (from anywhere):
  python3 tools/copy_reference_fixtures.py            # (re)write Tests/Fixtures/{nest,tvb,arbor,neuron}
  python3 tools/copy_reference_fixtures.py --check    # compare the fixtures with the source; exit 1 on a difference
  python3 tools/copy_reference_fixtures.py --source DIR   # another copy of the reference (default:
                                                          # $PLEXUS_REFERENCE, else ../shared/reference)

A test that starts reading a new reference file needs it added to GROUPS below (and this script
run); files in the managed folders that GROUPS does not list are deleted when the fixtures are
written. The top-level Tests/Fixtures files (gap_*, stdp_*, structural_*) come from
tools/nest_reference/ and are not touched.
"""
import argparse
import bz2
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.normpath(os.path.join(HERE, ".."))
FIXTURES = os.path.join(REPO, "Tests", "Fixtures")
MANAGED = ["nest", "tvb", "arbor", "neuron"]  # sub-folders of Tests/Fixtures this script owns
COMPRESS_ABOVE = 64 * 1024                     # bytes; larger files are stored as .bz2
MAX_TRACKED = 5 * 1024 * 1024                  # no fixture file may exceed this

# The NEST single-neuron cases the tests run (SingleNeuron*Tests, EngineTests).
SINGLE_CASES = [
    "iaf_psc_delta_dc", "iaf_psc_delta_spikes",
    "iaf_psc_alpha_dc", "iaf_psc_alpha_dc376", "iaf_psc_alpha_spikes",
    "iaf_psc_exp_dc", "iaf_psc_exp_spikes",
    "mat2_psc_exp_dc", "mat2_psc_exp_spikes",
    "izhikevich_dc", "izhikevich_spikes",
    "iaf_cond_exp_dc", "iaf_cond_exp_spikes",
    "iaf_cond_alpha_dc", "iaf_cond_alpha_spikes",
    "aeif_cond_exp_dc", "aeif_cond_exp_spikes",
    "hh_psc_alpha_dc", "hh_psc_alpha_spikes",
]
# Models whose reference has no _state.csv (V_m is their only recordable).
NO_STATE = {"iaf_psc_delta_dc", "iaf_psc_delta_spikes"}

# (script in ../shared/peers that made the group, files relative to the reference folder, read by)
GROUPS = [
    ("nest/single_neuron.py",
     [f"nest/single/{c}{suffix}" for c in SINGLE_CASES
      for suffix in [".json", "_vm.csv", "_spikes.csv"] + ([] if c in NO_STATE else ["_state.csv"])],
     "SingleNeuronExactTests, SingleNeuronODETests, SingleNeuronDeltaTests, EngineReferenceTests"),
    ("nest/stdp.py",
     ["nest/plasticity/stdp_pairs_pre_spikes.csv", "nest/plasticity/stdp_pairs_post_spikes.csv",
      "nest/plasticity/stdp_pairs_weights.csv", "nest/plasticity/stdp_window.csv",
      "nest/plasticity/tsodyks_depressing_vm.csv", "nest/plasticity/tsodyks_facilitating_vm.csv"],
     "PlasticityTests"),
    ("nest/brunel.py",
     ["nest/brunel_summary.json", "nest/brunel_rate_NE10000_t1.csv", "nest/brunel_rate_NE10000_t2.csv",
      "nest/brunel_rate_NE10000_t2_g6_eta4_Vreset10.csv"],
     "BrunelValidationTests"),
    ("nest/microcircuit.py", ["nest/microcircuit_rates.json"], "MicrocircuitTests"),
    ("arbor/validate_passive.py", ["arbor/passive_cable.json"], "CableNumericsTests"),
    ("arbor/validate_cable.py",
     ["arbor/cable_validation.json", "arbor/cable_bas_10cv.csv", "arbor/cable_bas_50cv.csv", "arbor/cable_bas_200cv.csv"],
     "CableNumericsTests"),
    ("arbor/run_ring_suite.py", ["arbor/ring_timings.json", "arbor/ring_spikes_64cells.csv"], "CableBusyringTests"),
    ("tvb/reference_g2d.py", ["tvb/g2d_raw_V_first100ms.csv", "tvb/conn76_idelays_dt0.0625_speed3.csv"],
     "MassReferenceTests"),
    ("tvb/reference_rww.py", ["tvb/rww_raw_S_first100ms.csv", "tvb/conn76_idelays_dt0.1_speed3.csv"],
     "MassReferenceTests"),
    ("tvb/reference_jr.py", ["tvb/jr_y1my2_first100ms.csv"], "MassReferenceTests"),
    ("tvb/reference_bold.py",
     ["tvb/rww_bold_tavg_S_4ms.npy", "tvb/rww_bold_tr720.csv", "tvb/rww_bold_tr2000.csv", "tvb/rww_bold_params.json",
      "tvb/rww_bold_fc_tr720.csv", "tvb/rww_bold_fc_tr2000.csv"],
     "MassBoldTests"),
]


def stored_name(relative, size):
    """The fixture's path relative to Tests/Fixtures: compressed files get .bz2."""
    return relative + ".bz2" if size > COMPRESS_ABOVE else relative


def stored_bytes(data):
    return bz2.compress(data, 9) if len(data) > COMPRESS_ABOVE else data


def default_source():
    env = os.environ.get("PLEXUS_REFERENCE")
    return env if env else os.path.normpath(os.path.join(REPO, "..", "shared", "reference"))


def manifest():
    files = [f for _, group, _ in GROUPS for f in group]
    assert len(files) == len(set(files)), "a file is listed twice"
    return files


def managed_files():
    """Every file now under the managed folders, relative to Tests/Fixtures."""
    found = set()
    for top in MANAGED:
        for root, _, names in os.walk(os.path.join(FIXTURES, top)):
            for n in names:
                found.add(os.path.relpath(os.path.join(root, n), FIXTURES))
    return found


def read_fixture(relative):
    """The decompressed content of a fixture, or None when it is missing."""
    plain, packed = os.path.join(FIXTURES, relative), os.path.join(FIXTURES, relative + ".bz2")
    if os.path.exists(plain):
        with open(plain, "rb") as f:
            return f.read()
    if os.path.exists(packed):
        with open(packed, "rb") as f:
            return bz2.decompress(f.read())
    return None


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--source", default=default_source(), help="the reference folder (default: %(default)s)")
    ap.add_argument("--check", action="store_true", help="compare only; write nothing")
    args = ap.parse_args()
    source = os.path.abspath(args.source)
    files = manifest()
    missing = [f for f in files if not os.path.isfile(os.path.join(source, f))]
    if missing:
        sys.exit(f"{source}: missing {', '.join(missing)}")

    expected, problems, total_in, total_out = set(), [], 0, 0
    for relative in files:
        with open(os.path.join(source, relative), "rb") as f:
            data = f.read()
        name = stored_name(relative, len(data))
        expected.add(name)
        total_in += len(data)
        if args.check:
            have = read_fixture(relative)
            if have is None:
                problems.append(f"missing: {name}")
            elif have != data:
                problems.append(f"differs from {os.path.join(source, relative)}: {name}")
            if os.path.exists(os.path.join(FIXTURES, name)):
                total_out += os.path.getsize(os.path.join(FIXTURES, name))
            continue
        out = stored_bytes(data)
        if len(out) > MAX_TRACKED:
            sys.exit(f"{name}: {len(out)} bytes, over the {MAX_TRACKED}-byte limit for a tracked file")
        path = os.path.join(FIXTURES, name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(out)
        total_out += len(out)
        # The other form of the same file would shadow or confuse: only one may exist.
        other = os.path.join(FIXTURES, relative if name.endswith(".bz2") else relative + ".bz2")
        if os.path.exists(other):
            os.remove(other)

    extra = sorted(managed_files() - expected)
    if args.check:
        problems += [f"not read by any test (not in GROUPS): {e}" for e in extra]
        for p in problems:
            print(p)
        print(f"{len(files)} reference files, {total_in} bytes; fixtures {total_out} bytes; "
              f"{'OK' if not problems else f'{len(problems)} problem(s)'}")
        sys.exit(1 if problems else 0)
    for e in extra:
        os.remove(os.path.join(FIXTURES, e))
        print(f"removed {e} (no test reads it)")
    for top in MANAGED:  # drop folders left empty
        for root, dirs, names in sorted(os.walk(os.path.join(FIXTURES, top)), key=lambda w: -len(w[0])):
            if not dirs and not names:
                os.rmdir(root)
    print(f"{len(files)} reference files, {total_in} bytes, written to {FIXTURES} as {total_out} bytes "
          f"({sum(1 for e in expected if e.endswith('.bz2'))} bzip2-compressed)")


if __name__ == "__main__":
    main()
