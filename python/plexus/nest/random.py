"""nest.random: distributions of a parameter, given to Plexus as the experiment file's
`{distribution: ...}` (drawn by Plexus's own streams, not NEST's)."""


class Parameter:
    def __init__(self, **spec):
        self._spec = spec

    def spec(self):
        return dict(self._spec)


def uniform(min=0.0, max=1.0):
    return Parameter(distribution="uniform", min=float(min), max=float(max))


def normal(mean=0.0, std=1.0):
    return Parameter(distribution="normal", mean=float(mean), std=float(std))


def lognormal(mean=0.0, std=1.0):
    """NEST's lognormal: mean and std of the underlying normal."""
    return Parameter(distribution="lognormal", mu=float(mean), sigma=float(std))


def uniform_int(max):
    """NEST's uniform_int: integers 0 ... max - 1. Kept as a distribution so that a script can say
    what it wants; Plexus takes it nowhere yet (a receptor_type per connection is refused)."""
    return Parameter(distribution="uniform_int", max=int(max))


def exponential(beta=1.0):
    return Parameter(distribution="exponential", beta=float(beta))


def _affine(p, scale, shift):
    """scale * p + shift, where the distribution family allows it exactly; refused otherwise."""
    d = p.spec()
    kind = d["distribution"]
    if kind == "uniform":
        lo, hi = sorted((scale * d["min"] + shift, scale * d["max"] + shift))
        return Parameter(distribution="uniform", min=lo, max=hi)
    if kind == "normal" and "min" not in d:
        return Parameter(distribution="normal", mean=scale * d["mean"] + shift, std=abs(scale) * d["std"])
    if kind == "uniform_int" and scale == 1 and shift == int(shift):
        return Parameter(**dict(d, offset=d.get("offset", 0) + int(shift)))
    if kind == "exponential" and shift == 0 and scale > 0:
        return Parameter(distribution="exponential", beta=scale * d["beta"])
    from plexus import PlexusError
    raise PlexusError(f"plexus.nest: arithmetic on a nest.random.{kind} parameter is not supported here")


def _number(x):
    if isinstance(x, (int, float)) and not isinstance(x, bool):
        return float(x)
    from plexus import PlexusError
    raise PlexusError("plexus.nest: nest.random parameters combine with numbers only (c * p, p + c)")


Parameter.__mul__ = lambda self, c: _affine(self, _number(c), 0.0)
Parameter.__rmul__ = Parameter.__mul__
Parameter.__truediv__ = lambda self, c: _affine(self, 1.0 / _number(c), 0.0)
Parameter.__add__ = lambda self, c: _affine(self, 1.0, _number(c))
Parameter.__radd__ = Parameter.__add__
Parameter.__sub__ = lambda self, c: _affine(self, 1.0, -_number(c))
Parameter.__rsub__ = lambda self, c: _affine(self, -1.0, _number(c))
Parameter.__neg__ = lambda self: _affine(self, -1.0, 0.0)
