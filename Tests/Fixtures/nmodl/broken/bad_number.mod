: A malformed number.
NEURON {
    SUFFIX broken_number
}

PARAMETER {
    gbar = 0.1.2 (S/cm2)
}
