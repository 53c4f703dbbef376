TITLE passive leak, i = g (v - e)
: Its conductance is constant, so the engine folds it into the matrix assembly (per-CV sums of
: g and g*e made once at build) and runs no kernel per step.

NEURON {
    SUFFIX pas
    NONSPECIFIC_CURRENT i
    RANGE g, e
}

UNITS {
    (mV) = (millivolt)
    (S) = (siemens)
    (mA) = (milliamp)
}

PARAMETER {
    g = 0.001 (S/cm2)   : leak conductance
    e = -70 (mV)        : leak reversal potential
}

ASSIGNED {
    v (mV)
    i (mA/cm2)
}

BREAKPOINT {
    i = g*(v - e)
}
