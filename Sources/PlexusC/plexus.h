/* Plexus's C ABI (libPlexusC.so, `swift build --product PlexusC`): what the Python package
 * (python/plexus) loads. Handles are opaque; every call returns one, checked with plexus_error
 * (a JSON object: message, file, line, key_path) and released with plexus_free. Strings and
 * arrays a handle returns live as long as the handle. */
#ifndef PLEXUS_H
#define PLEXUS_H
#include <stdint.h>

typedef void (*plexus_progress)(double fraction, void *context);

const char *plexus_version(void);

/* flags: 1 quiet, 2 no report.html, 4 keep a point network's synapses (connections/<model>/...). text may be NULL (read file); out may be NULL (runs/<name>). */
void *plexus_run(const char *file, const char *text, const char *out, int32_t threads, uint64_t seed,
                 int32_t has_seed, int32_t flags, plexus_progress progress, void *context);
/* A point experiment run in pieces: plexus_open builds it (the run handle), plexus_advance
 * simulates to `ms` since its start, plexus_set changes a population from now on (params: a JSON
 * mapping as in its params; count < 0: every neuron), plexus_state reads a state variable of
 * every neuron (array "state"), plexus_snapshot gives what was recorded so far (flags 4: with the
 * synapses), plexus_finish writes the run folder and returns a handle like plexus_run's. Each
 * returns a handle to check with plexus_error and free. */
void *plexus_open(const char *file, const char *text, const char *out, int32_t threads, uint64_t seed,
                  int32_t has_seed, int32_t flags);
void *plexus_advance(void *run, double ms, plexus_progress progress, void *context);
void *plexus_set(void *run, const char *population, const char *params, int64_t first, int64_t count);
void *plexus_state(void *run, const char *population, const char *variable);
void *plexus_snapshot(void *run, int32_t flags);
void *plexus_finish(void *run);

/* The experiment file's document as JSON text (keys in file order), in plexus_text. */
void *plexus_load(const char *file, const char *text);

/* A point model's defaults (NEST's units) as JSON text, in plexus_text. */
void *plexus_point_model(const char *name);

/* The point models Plexus has ({"neurons", "devices", "synapses"}) as JSON text, in plexus_text. */
void *plexus_point_models(void);

const char *plexus_error(void *handle);
const char *plexus_directory(void *handle);
const char *plexus_text(void *handle);

int64_t plexus_array_count(void *handle);
const char *plexus_array_name(void *handle, int64_t i);
int32_t plexus_array_kind(void *handle, int64_t i);          /* 0 float64, 1 int64 */
int64_t plexus_array_shape(void *handle, int64_t i, int64_t *shape, int64_t capacity);
const void *plexus_array_data(void *handle, int64_t i);      /* row-major */

void plexus_free(void *handle);
#endif
