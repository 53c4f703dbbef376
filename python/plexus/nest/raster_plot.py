"""nest.raster_plot.from_device: a spike raster (and a rate histogram) of a spike recorder's events."""
import numpy as np


def from_device(detec, hist=False, hist_binwidth=5.0, grayscale=False, title=None, xlabel=None):
    import matplotlib.pyplot as plt
    events = detec.get("events")
    times, senders = events["times"], events["senders"]
    plt.figure()
    if hist:
        ax1 = plt.axes([0.1, 0.3, 0.85, 0.6])
        ax1.plot(times, senders, ".", markersize=2)
        ax1.set_ylabel("Neuron ID")
        ax2 = plt.axes([0.1, 0.1, 0.85, 0.17])
        if len(times):
            edges = np.arange(0, times.max() + hist_binwidth, hist_binwidth)
            counts, _ = np.histogram(times, edges)
            n = max(1, len(np.unique(senders)))
            ax2.bar(edges[:-1], counts * 1000.0 / hist_binwidth / n, width=hist_binwidth, align="edge")
        ax2.set_ylabel("Rate (Hz)")
        ax2.set_xlabel(xlabel or "Time (ms)")
    else:
        plt.plot(times, senders, ".", markersize=2)
        plt.xlabel(xlabel or "Time (ms)")
        plt.ylabel("Neuron ID")
    if title:
        plt.title(title)
    plt.draw()


def from_data(data, **kwargs):
    raise NotImplementedError("plexus.nest.raster_plot.from_data is not supported yet; use from_device")
