: A call whose arguments are missing a comma: rates(v m).
NEURON {
    SUFFIX broken_syntax
}

ASSIGNED { v (mV) m }

PROCEDURE rates(v (mV)) {
    m = v
}

INITIAL {
    rates(v m)
}
