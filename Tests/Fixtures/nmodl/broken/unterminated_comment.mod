NEURON {
    SUFFIX broken_comment
}

COMMENT
This comment is never closed: the word that would close it is misspelt
ENDCOMENT

PARAMETER { g = 1 }
