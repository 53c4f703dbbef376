#ifndef CSHA256_H
#define CSHA256_H
#include <stddef.h>
#include <stdint.h>

/// SHA-256 compression of `blocks` consecutive 64-byte blocks into `state` (8 words, FIPS 180-4
/// order). Uses the x86 SHA extensions when the CPU has them, portable C otherwise; both give
/// the same digest.
void plexus_sha256_blocks(uint32_t state[8], const uint8_t *data, size_t blocks);

/// 1 when plexus_sha256_blocks uses the SHA extensions on this CPU.
int plexus_sha256_hardware(void);

/// The portable path alone (for tests that compare the two).
void plexus_sha256_blocks_portable(uint32_t state[8], const uint8_t *data, size_t blocks);

#endif
