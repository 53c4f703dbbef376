// Header-only target: the mechanism ABI (include/plexus_mechanism.h).
