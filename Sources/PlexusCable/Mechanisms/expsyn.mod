TITLE conductance synapse with exponential decay; an event adds its weight (uS) to g
: NEURON's ExpSyn and Arbor's expsyn. The current is linear in g, so identical synapses in one
: CV are one instance, and the first of each CV is folded into the matrix assembly.

NEURON {
    POINT_PROCESS expsyn
    NONSPECIFIC_CURRENT i
    RANGE tau, e
}

UNITS {
    (mV) = (millivolt)
    (uS) = (microsiemens)
    (nA) = (nanoamp)
}

PARAMETER {
    tau = 2 (ms) <1e-9, 1e9>   : decay time constant
    e = 0 (mV)                 : reversal potential
}

ASSIGNED {
    v (mV)
    i (nA)
}

STATE { g (uS) }

INITIAL { g = 0 }

BREAKPOINT {
    SOLVE state METHOD cnexp
    i = g*(v - e)
}

DERIVATIVE state { g' = -g/tau }

NET_RECEIVE(weight (uS)) { g = g + weight }
