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


def exponential(beta=1.0):
    return Parameter(distribution="exponential", beta=float(beta))
