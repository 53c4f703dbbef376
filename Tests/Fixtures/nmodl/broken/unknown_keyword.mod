: A block NMODL does not have.
NEURON {
    SUFFIX broken_keyword
}

PARAMETERS {
    g = 0.001 (S/cm2)
}
