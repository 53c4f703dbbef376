/* The point-neuron ABI: what a generated neuron model (a NESTML file compiled to C) exports and
 * the point engine calls. One call advances a range of neurons of one population by one step,
 * from structure-of-arrays state, the population's constants and the step's input.
 * Version changes whenever a struct below changes. */
#ifndef PLEXUS_POINT_H
#define PLEXUS_POINT_H
#include <stdint.h>

#define PLX_POINT_ABI_VERSION 4

typedef struct plx_point_step {
    double* state;            /* column v of neuron i at state[v * stride + i] (i: index in the population) */
    int64_t stride;
    int64_t begin, end;       /* the neurons to advance: [begin, end) */
    const double* constants;  /* the population's constants: parameters, internals, propagators */
    const double* spikes;     /* input: 2 per neuron and port, [2 (i ports + p)] the sum of positive
                                 weights, [.. + 1] of negative ones (still negative) */
    int64_t ports;
    const double* current;    /* continuous input per neuron that arrived before this step (pA) */
    int64_t step;             /* the step computed: it covers (step h, (step + 1) h] */
    double h;                 /* the resolution (ms) */
    int32_t* fired;           /* out: the neurons that fired in this step, room for end - begin */
    int64_t nfired;           /* out */
    uint32_t key0, key1;      /* the run's random key (Plexus's Philox streams, purpose 14) */
    int64_t first_node;       /* node index of the population's neuron 0: neuron i draws as node first_node + i */
} plx_point_step;

typedef struct plx_point_model {
    const char* name;
    int32_t state_count;        /* state columns */
    int32_t parameter_count;    /* constants[0 ..< parameter_count]: the parameters, in declaration order */
    int32_t constant_count;     /* all constants */
    /* Fills the internals (constants after the parameters, before the propagators) from the
     * parameters and the resolution h. */
    void (*internals)(double* constants, double h);
    /* The linear constant-coefficient system dy/dt = A y + c solved exactly: its dimension n,
     * A (row-major n x n) under the constants, and where exp(A h) (n x n) and its integral
     * Phi = int_0^h exp(A s) ds (n x n) go in the constants; both computed by the engine. */
    int32_t linear_dimension;
    void (*linear_matrix)(const double* constants, double* a);
    int32_t propagator_offset;
    /* The initial state of one neuron under the constants (column order). */
    void (*initial_state)(const double* constants, double* state);
    void (*update)(plx_point_step* step);
} plx_point_model;

/* A generated library exports one function of this name and type: its models. */
#define PLX_POINT_MODELS_SYMBOL "plexus_point_models"
typedef const plx_point_model* (*plx_point_models_entry)(int32_t* count, int32_t* abi_version);

/* Synapse models (NESTML synapses): the engine keeps each synapse's state (entry 0 the weight)
 * and calls `send` when a presynaptic spike passes; it advances the synapse over each interval
 * up to a postsynaptic spike's arrival (the update block), runs the post handler there, advances
 * up to the spike and runs the pre handler (NESTML's NEST target's `send`). */
typedef struct plx_synapse_event {
    double t;                 /* in: the presynaptic spike's stamp (ms); in the handlers: the event's time */
    double t_last;            /* in: when the synapse was last brought up to date (ms) */
    double delay;             /* in: the synapse's delay (ms), all of it dendritic */
    double h;                 /* in the handlers: the interval since the last event (ms) */
    int64_t step;             /* the presynaptic spike's step */
    uint32_t key0, key1;      /* the synapse's random stream (Plexus's Philox, purpose 16): the run's key, */
    uint64_t id;              /* source << 32 | target (node indices), */
    uint32_t index;           /* statement | multapse << 12 */
    double weight;            /* out: the weight of the spike emitted */
    int32_t emitted;          /* out: 1 if the pre handler emitted it */
    /* The target's traces as NEST's archiving node keeps them (tau_minus, tau_minus_triplet are
     * the target's), filled only where the model's `archive_reads` asks (PLX_ARCHIVE_...): */
    double post_kminus;       /* K- at t - delay from the last post spike strictly before (get_K_value) */
    double post_nearest_kminus; /* exp((t_post,last - (t - delay)) / tau_minus), 0 if none (nearest neighbour) */
    const double* post_kminus_triplet; /* K-_triplet just after each of the post spikes `send` gets */
    double post_kminus_triplet_now; /* in the post handler: that of the spike handled */
} plx_synapse_event;

#define PLX_ARCHIVE_KMINUS 1
#define PLX_ARCHIVE_NEAREST_KMINUS 2
#define PLX_ARCHIVE_KMINUS_TRIPLET 4

typedef struct plx_synapse_model {
    const char* name;
    int32_t state_count;      /* state of one synapse; state[0] is the weight */
    int32_t parameter_count;  /* constants[0 ..< parameter_count]: the parameters, in declaration order */
    int32_t constant_count;   /* parameters then internals */
    int32_t archive_reads;    /* PLX_ARCHIVE_... bits: what of the target's archive the handlers read */
    void (*internals)(double* constants, double resolution);
    void (*initial_state)(const double* constants, double* state);
    /* One presynaptic spike: post_times are the target's spikes in (t_last - delay, t - delay]. */
    void (*send)(plx_synapse_event* e, const double* constants, double* state, const double* post_times, int64_t post_count);
} plx_synapse_model;

#define PLX_SYNAPSE_MODELS_SYMBOL "plexus_synapse_models"
typedef const plx_synapse_model* (*plx_synapse_models_entry)(int32_t* count, int32_t* abi_version);

#endif
