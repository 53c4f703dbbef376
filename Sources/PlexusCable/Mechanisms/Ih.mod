TITLE HCN current (Kole et al. 2006, Hay et al. 2011): i = gIhbar m (v - ehcn)
: As in the Allen and Blue Brain catalogues: one activation gate, opened by hyperpolarisation,
: m' = alpha (1 - m) - beta m, no temperature dependence.

NEURON {
    SUFFIX Ih
    NONSPECIFIC_CURRENT ihcn
    RANGE gIhbar, ehcn
}

UNITS {
    (mV) = (millivolt)
    (S) = (siemens)
    (mA) = (milliamp)
}

PARAMETER {
    gIhbar = 0.00001 (S/cm2)   : maximal conductance
    ehcn = -45 (mV)            : reversal potential
}

ASSIGNED {
    v (mV)
    ihcn (mA/cm2)
}

STATE { m }

BREAKPOINT {
    SOLVE states METHOD cnexp
    ihcn = gIhbar*m*(v - ehcn)
}

INITIAL { m = alpha(v)/(alpha(v) + beta(v)) }

DERIVATIVE states { m' = alpha(v)*(1 - m) - beta(v)*m }

FUNCTION alpha(v (mV)) (/ms) { alpha = 0.001*6.43*11.9*exprelr((v + 154.9)/11.9) }
FUNCTION beta(v (mV)) (/ms) { beta = 0.001*193*exp(v/33.1) }
