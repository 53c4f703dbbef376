"""nest.voltage_trace.from_device: V_m of each recorded neuron against time (matplotlib)."""
import numpy as np


def from_device(detec, neurons=None, title=None, grayscale=False, timeunit="ms"):
    import matplotlib.pyplot as plt
    events = detec.get("events")
    times, senders = events["times"], events["senders"]
    variable = "V_m" if "V_m" in events else next(k for k in events if k not in ("times", "senders"))
    plt.figure()
    for gid in (neurons if neurons is not None else np.unique(senders)):
        mask = senders == int(gid)
        plt.plot(times[mask], events[variable][mask], label=f"Neuron {gid}")
    plt.xlabel(f"Time ({timeunit})")
    plt.ylabel(f"Membrane potential ({'mV' if variable == 'V_m' else variable})")
    plt.title(title or f"Membrane potential ({variable})")
    plt.legend(loc="best")
    plt.draw()
