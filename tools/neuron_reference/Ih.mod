: Hyperpolarisation-activated cation current (HCN, "Ih") of Kole, Hallermann & Stuart (2006),
: as used in Hay et al. (2011): one activation gate m, i = gIhbar * m * (v - ehcn). Written for
: the Plexus reference run (ih_reference.py); the rate's removable singularity at v = -154.9 mV
: goes through x/(exp(x) - 1), as Arbor's catalogue writes it with exprelr.
NEURON {
    SUFFIX Ih
    NONSPECIFIC_CURRENT ihcn
    RANGE gIhbar, ehcn
}

UNITS {
    (S) = (siemens)
    (mV) = (millivolt)
    (mA) = (milliamp)
}

PARAMETER {
    gIhbar = 0.00001 (S/cm2)
    ehcn = -45.0 (mV)
}

ASSIGNED {
    v (mV)
    ihcn (mA/cm2)
    mInf
    mTau (ms)
}

STATE { m }

BREAKPOINT {
    SOLVE states METHOD cnexp
    ihcn = gIhbar * m * (v - ehcn)
}

DERIVATIVE states {
    rates(v)
    m' = (mInf - m) / mTau
}

INITIAL {
    rates(v)
    m = mInf
}

FUNCTION relr(x) {
    if (fabs(x) < 1e-6) {
        relr = 1 - x / 2
    } else {
        relr = x / (exp(x) - 1)
    }
}

PROCEDURE rates(v (mV)) {
    LOCAL a, b
    UNITSOFF
    a = 0.001 * 6.43 * 11.9 * relr((v + 154.9) / 11.9)
    b = 0.001 * 193 * exp(v / 33.1)
    mInf = a / (a + b)
    mTau = 1 / (a + b)
    UNITSON
}
