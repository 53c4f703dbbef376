"""nest.math: `redraw(normal, min, max)`, a normal distribution redrawn until inside [min, max]."""
from .random import Parameter


def redraw(value, min, max):
    spec = value.spec()
    if spec.get("distribution") != "normal":
        from plexus import PlexusError
        raise PlexusError("plexus.nest: math.redraw is supported for nest.random.normal only")
    return Parameter(**dict(spec, min=float(min), max=float(max)))
