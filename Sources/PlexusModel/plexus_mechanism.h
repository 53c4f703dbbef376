// The mechanism ABI of the cable engine: what a compiled mechanism catalogue (a shared library
// generated from NMODL by PlexusModel) exports, and what its kernels are called with. After
// Arbor's arb_mechanism_type / arb_mechanism_ppack: a catalogue is a table of mechanism types,
// each a declaration (fields, ions) and four kernels over a whole range of instances.
//
// The code generator writes this text at the top of every generated file (MechanismABI.header
// embeds this file), so a catalogue needs no include path at run time. The CPlexusMechanism
// target includes this file through a symbolic link.
#ifndef PLEXUS_MECHANISM_H
#define PLEXUS_MECHANISM_H
#include <stdint.h>

#define PLX_ABI_VERSION 1

// Per-slot arrays of one ion species in a cell group (slots are the engine's CV rows).
typedef struct plx_ion {
    double* current;      // nA: the sum of this ion's currents on the slot (outward positive)
    double* reversal;     // mV
    double* internal;     // mM, concentration inside
    double* external;     // mM, concentration outside
} plx_ion;

// An event for a point mechanism: target (store tag above `shift` bits, instance below), weight.
typedef struct plx_event {
    uint32_t target;
    float weight;
} plx_event;

// What a kernel sees of one mechanism's instances in one cell group.
typedef struct plx_pack {
    int64_t count;              // instances (rows)
    const int32_t* node;        // slot of each instance
    double* fields;             // column-major: field f of instance k at fields[f * count + k]
    const double* voltage;      // mV per slot
    double* current;            // nA per slot, summed (outward positive)
    double* conductance;        // uS per slot, summed dI/dV
    const double* area;         // um^2 of membrane per slot
    plx_ion* ions;              // the mechanism's ions, in the order it declares them
    double time;                // ms, start of the step
    double dt;                  // ms
} plx_pack;

typedef void (*plx_kernel)(const plx_pack*);
typedef void (*plx_event_kernel)(const plx_pack*, const plx_event* events, int64_t count, uint32_t tag, uint32_t shift);

// How a field is filled before INITIAL runs: a parameter's value, a built-in quantity of the
// instance, or zero (assigned variables, states).
enum plx_field_role {
    PLX_PARAMETER = 0,
    PLX_AREA = 1,          // um^2 of membrane the instance covers (density mechanisms)
    PLX_AREA_FRACTION = 2, // that area over the CV's area
    PLX_CELSIUS = 3,       // the cell's temperature, degC
    PLX_ASSIGNED = 4,
    PLX_STATE = 5,
};

typedef struct plx_field {
    const char* name;
    const char* unit;        // as declared in the .mod file ("" if none)
    int32_t role;            // plx_field_role
    double default_value;    // parameters
    double lo, hi;           // declared range (-inf, inf if none)
} plx_field;

// Ion use: which per-slot arrays a mechanism reads and writes.
enum plx_ion_access {
    PLX_READ_REVERSAL = 1, PLX_READ_INTERNAL = 2, PLX_READ_EXTERNAL = 4,
    PLX_WRITE_CURRENT = 8, PLX_WRITE_INTERNAL = 16, PLX_WRITE_EXTERNAL = 32, PLX_WRITE_REVERSAL = 64,
};

typedef struct plx_ion_use {
    const char* name;        // "na", "k", "ca", ...
    int32_t valence;
    int32_t access;          // plx_ion_access bits
} plx_ion_use;

enum plx_kind { PLX_DENSITY = 0, PLX_POINT = 1 };

// Conductance folding the engine may apply (see ConductanceFolding in the cable engine):
// 0 none; 1 constant g and e (fields g_field, e_field), no kernels per step; 2 g a state, e a
// field, one row per CV.
typedef struct plx_mechanism {
    const char* name;
    const char* doc;
    int32_t kind;            // plx_kind
    int32_t field_count;
    const plx_field* fields;
    int32_t ion_count;
    const plx_ion_use* ions;
    int32_t receives_events;
    int32_t coalescable;
    int32_t folding, g_field, e_field;
    plx_kernel initialize;
    plx_kernel compute_currents;
    plx_kernel advance_state;
    plx_event_kernel apply_events;   // NULL if it receives none
} plx_mechanism;

typedef struct plx_catalogue {
    int32_t abi_version;
    int32_t count;
    const plx_mechanism* mechanisms;
} plx_catalogue;

// The one symbol a catalogue library exports.
typedef const plx_catalogue* (*plx_catalogue_entry)(void);
#define PLX_CATALOGUE_SYMBOL "plexus_catalogue"

#endif
