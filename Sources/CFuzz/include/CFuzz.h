// libFuzzer's driver, called from the fuzz target's own main (SwiftPM links executables with
// their main renamed, so libFuzzer's main cannot be used). Defined by libFuzzer when the target
// is linked with -sanitize=fuzzer; never called otherwise.
#include <stddef.h>
#include <stdint.h>
int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*callback)(const uint8_t *data, size_t size));
