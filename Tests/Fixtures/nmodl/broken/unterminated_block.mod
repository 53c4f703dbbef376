: The DERIVATIVE block's closing brace is missing: the file ends inside it.
NEURON {
    SUFFIX broken_unterminated
}

STATE { m }

DERIVATIVE states {
    m' = -m
    if (m > 1) {
        m' = 0
    }
