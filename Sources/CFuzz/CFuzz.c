// Declarations only (include/CFuzz.h); SwiftPM needs one source file per C target.
#include "CFuzz.h"
