"""Reading a Plexus run's provenance.json in the bench scripts: its counts, timings_s and cpu_s are
lists of {"name"|"phase": ..., "value"|"seconds": ...} (older runs wrote plain dicts)."""


def table(x):
    """One of those lists (or a plain dict) as a dict by name or phase."""
    if isinstance(x, dict):
        return x
    return {(e.get("phase") or e.get("name")): e.get("seconds", e.get("value")) for e in x}
