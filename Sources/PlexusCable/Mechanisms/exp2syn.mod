TITLE two-exponential conductance synapse, g = B - A, peak = weight (uS)
: NEURON's Exp2Syn and Arbor's exp2syn: A' = -A/tau1, B' = -B/tau2; an event adds
: weight*factor to both, so that g peaks at the weight.

NEURON {
    POINT_PROCESS exp2syn
    NONSPECIFIC_CURRENT i
    RANGE tau1, tau2, e, factor
}

UNITS {
    (mV) = (millivolt)
    (uS) = (microsiemens)
    (nA) = (nanoamp)
}

PARAMETER {
    tau1 = 0.5 (ms) <1e-9, 1e9>   : rise time constant
    tau2 = 2 (ms) <1e-9, 1e9>     : decay time constant
    e = 0 (mV)                    : reversal potential
}

ASSIGNED {
    v (mV)
    i (nA)
    factor (1)                    : normalisation: g peaks at the weight
}

STATE { A (uS) B (uS) }

INITIAL {
    LOCAL tp
    tp = (tau1*tau2)/(tau2 - tau1)*log(tau2/tau1)
    factor = 1/(-exp(-tp/tau1) + exp(-tp/tau2))
    A = 0
    B = 0
}

BREAKPOINT {
    SOLVE state METHOD cnexp
    i = (B - A)*(v - e)
}

DERIVATIVE state {
    A' = -A/tau1
    B' = -B/tau2
}

NET_RECEIVE(weight (uS)) {
    A = A + weight*factor
    B = B + weight*factor
}
