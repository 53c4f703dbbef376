: BREAKPOINT's closing brace is missing: the next block starts inside it.
NEURON {
    SUFFIX broken_brace
    NONSPECIFIC_CURRENT i
}

ASSIGNED { v (mV) i (mA/cm2) }

BREAKPOINT {
    i = 0.001 * (v + 65)

INITIAL {
    i = 0
}
