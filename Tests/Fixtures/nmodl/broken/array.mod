: An array declaration (Plexus has no array variables).
NEURON {
    SUFFIX broken_array
}

ASSIGNED {
    v (mV)
    x[4] (mM)
}
