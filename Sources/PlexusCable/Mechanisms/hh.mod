TITLE Hodgkin-Huxley squid axon channels; rates scaled by q10 = 3^((celsius - 6.3)/10)
: Plexus's built-in hh, as Arbor's default catalogue writes it (rates with exprelr, cnexp).
: The reversal potentials ena and ek are parameters of the mechanism here (ion properties in
: NEURON and Arbor), so that a cell without ions set up runs it with the classic values.

NEURON {
    SUFFIX hh
    NONSPECIFIC_CURRENT ina, ik, il
    RANGE gnabar, gkbar, gl, el, ena, ek, q10
}

UNITS {
    (mV) = (millivolt)
    (S) = (siemens)
    (mA) = (milliamp)
}

PARAMETER {
    gnabar = 0.12 (S/cm2)   : maximal sodium conductance
    gkbar = 0.036 (S/cm2)   : maximal potassium conductance
    gl = 0.0003 (S/cm2)     : leak conductance
    el = -54.3 (mV)         : leak reversal potential
    ena = 50 (mV)           : sodium reversal potential
    ek = -77 (mV)           : potassium reversal potential
}

ASSIGNED {
    v (mV)
    celsius (degC)
    ina (mA/cm2)
    ik (mA/cm2)
    il (mA/cm2)
    q10 (1)                 : rate factor at the cell's temperature
}

STATE { m h n }

BREAKPOINT {
    SOLVE states METHOD cnexp
    ina = gnabar*m*m*m*h*(v - ena)
    ik = gkbar*n*n*n*n*(v - ek)
    il = gl*(v - el)
}

INITIAL {
    q10 = 3^(0.1*celsius - 0.63)
    m = am(v)/(am(v) + bm(v))
    h = ah(v)/(ah(v) + bh(v))
    n = an(v)/(an(v) + bn(v))
}

DERIVATIVE states {
    m' = (am(v)*(1 - m) - bm(v)*m)*q10
    h' = (ah(v)*(1 - h) - bh(v)*h)*q10
    n' = (an(v)*(1 - n) - bn(v)*n)*q10
}

FUNCTION am(v (mV)) (/ms) { am = exprelr(-0.1*v - 4.0) }
FUNCTION bm(v (mV)) (/ms) { bm = 4.0*exp(-(v + 65.0)/18.0) }
FUNCTION ah(v (mV)) (/ms) { ah = 0.07*exp(-0.05*v - 3.25) }
FUNCTION bh(v (mV)) (/ms) { bh = 1.0/(exp(-0.1*v - 3.5) + 1.0) }
FUNCTION an(v (mV)) (/ms) { an = 0.1*exprelr(-0.1*v - 5.5) }
FUNCTION bn(v (mV)) (/ms) { bn = 0.125*exp(-0.0125*v - 0.8125) }
