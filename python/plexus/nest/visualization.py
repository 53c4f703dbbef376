"""nest.visualization draws a network's graph with pydot; plexus.nest has no such drawing yet."""
from .. import PlexusError


def plot_network(*args, **kwargs):
    raise PlexusError("plexus.nest: nest.visualization.plot_network is not supported yet (docs/python.md lists what is)")
