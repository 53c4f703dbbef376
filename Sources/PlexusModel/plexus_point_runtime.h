/* Solvers for generated point-neuron kernels (prepended to every generated library).
 *
 * GSL's rkf45 stepper, its standard step-size control and gsl_odeiv_evolve_apply, operation by
 * operation in GSL's floating-point order, as Sources/PlexusPoint/Models/RKF45.swift does for the
 * built-in models: NEST's generated NESTML code integrates with exactly these, and with an
 * adaptive method the numbers depend on the sequence of internal steps, so only the same
 * sequence reproduces NEST. The right-hand side is a function pointer to a static function of
 * the generated code; the drivers are static inline so that the compiler can inline it. */
#ifndef PLEXUS_POINT_RUNTIME_H
#define PLEXUS_POINT_RUNTIME_H
#include <float.h>

typedef void (*plx_rhs)(const void* ctx, const double* y, double* dydt);

typedef struct plx_control { double eps_abs, eps_rel, a_y, a_dydt; } plx_control;

/* std_control_hadjust: -1 decreased, 0 unchanged, 1 increased */
static inline int plx_control_adjust(const plx_control* c, int d, const double* y, const double* yerr,
                                     const double* yp, double* h) {
    const double S = 0.9;
    const double h_old = *h;
    double rmax = DBL_MIN;
    if (yp) {
        for (int i = 0; i < d; i++) {
            const double D0 = c->eps_rel * (c->a_y * fabs(y[i]) + c->a_dydt * fabs(h_old * yp[i])) + c->eps_abs;
            const double r = fabs(yerr[i]) / fabs(D0);
            rmax = r > rmax ? r : rmax;
        }
    } else {
        /* a_dydt = 0: GSL's derivative term is 0 (finite times 0), so y' at the step's end is not needed */
        for (int i = 0; i < d; i++) {
            const double D0 = c->eps_rel * (c->a_y * fabs(y[i]) + 0.0) + c->eps_abs;
            const double r = fabs(yerr[i]) / fabs(D0);
            rmax = r > rmax ? r : rmax;
        }
    }
    if (rmax > 1.1) {
        double r = S / pow(rmax, 1.0 / 5.0);
        if (r < 0.2) r = 0.2;
        *h = r * h_old;
        return -1;
    } else if (rmax < 0.5) {
        double r = S / pow(rmax, 1.0 / (5.0 + 1.0));
        if (r > 5.0) r = 5.0;
        if (r < 1.0) r = 1.0;
        *h = r * h_old;
        return 1;
    }
    return 0;
}

/* rkf45_apply: one step of size h in place; work holds 10 d doubles. */
static inline void plx_rkf45_step(plx_rhs f, const void* ctx, int d, double h, double* y, double* yerr,
                                  const double* k1, double* dydt_out, double* work) {
    static const double ah0 = 1.0 / 4.0;
    static const double b30 = 3.0 / 32.0, b31 = 9.0 / 32.0;
    static const double b40 = 1932.0 / 2197.0, b41 = -7200.0 / 2197.0, b42 = 7296.0 / 2197.0;
    static const double b50 = 8341.0 / 4104.0, b51 = -32832.0 / 4104.0, b52 = 29440.0 / 4104.0, b53 = -845.0 / 4104.0;
    static const double b60 = -6080.0 / 20520.0, b61 = 41040.0 / 20520.0, b62 = -28352.0 / 20520.0,
                        b63 = 9295.0 / 20520.0, b64 = -5643.0 / 20520.0;
    static const double c1 = 902880.0 / 7618050.0, c3 = 3953664.0 / 7618050.0, c4 = 3855735.0 / 7618050.0,
                        c5 = -1371249.0 / 7618050.0, c6 = 277020.0 / 7618050.0;
    static const double ec1 = 1.0 / 360.0, ec3 = -128.0 / 4275.0, ec4 = -2197.0 / 75240.0, ec5 = 1.0 / 50.0,
                        ec6 = 2.0 / 55.0;
    double *k2 = work, *k3 = work + d, *k4 = work + 2 * d, *k5 = work + 3 * d, *k6 = work + 4 * d, *ytmp = work + 5 * d;
    for (int i = 0; i < d; i++) ytmp[i] = y[i] + ah0 * h * k1[i];
    f(ctx, ytmp, k2);
    for (int i = 0; i < d; i++) ytmp[i] = y[i] + h * (b30 * k1[i] + b31 * k2[i]);
    f(ctx, ytmp, k3);
    for (int i = 0; i < d; i++) ytmp[i] = y[i] + h * (b40 * k1[i] + b41 * k2[i] + b42 * k3[i]);
    f(ctx, ytmp, k4);
    for (int i = 0; i < d; i++) ytmp[i] = y[i] + h * (b50 * k1[i] + b51 * k2[i] + b52 * k3[i] + b53 * k4[i]);
    f(ctx, ytmp, k5);
    for (int i = 0; i < d; i++) ytmp[i] = y[i] + h * (b60 * k1[i] + b61 * k2[i] + b62 * k3[i] + b63 * k4[i] + b64 * k5[i]);
    f(ctx, ytmp, k6);
    for (int i = 0; i < d; i++) {
        const double di = c1 * k1[i] + c3 * k3[i] + c4 * k4[i] + c5 * k5[i] + c6 * k6[i];
        y[i] += h * di;
    }
    if (dydt_out) f(ctx, y, dydt_out);
    for (int i = 0; i < d; i++) yerr[i] = h * (ec1 * k1[i] + ec3 * k3[i] + ec4 * k4[i] + ec5 * k5[i] + ec6 * k6[i]);
}

/* gsl_odeiv_evolve_apply with rkf45 and a standard control: one accepted step from *t towards t1. */
static inline void plx_rkf45_evolve(plx_rhs f, const void* ctx, const plx_control* c, int d, double* t, double t1,
                                    double* h, double* y, double* work) {
    const double t0 = *t;
    double h0 = *h;
    const double dt = t1 - t0;
    double *yerr = work + 6 * d, *dydt_in = work + 7 * d, *dydt_out = c->a_dydt != 0 ? work + 8 * d : 0, *y0 = work + 9 * d;
    memcpy(y0, y, sizeof(double) * d);
    f(ctx, y, dydt_in);
    for (;;) {
        int final_step = 0;
        if ((dt >= 0 && h0 > dt) || (dt < 0 && h0 < dt)) { h0 = dt; final_step = 1; }
        plx_rkf45_step(f, ctx, d, h0, y, yerr, dydt_in, dydt_out, work);
        *t = final_step ? t1 : t0 + h0;
        const double h_old = h0;
        const int adj = plx_control_adjust(c, d, y, yerr, dydt_out, &h0);
        if (adj == -1) {
            const double t_next = *t + h0;
            if (fabs(h0) < fabs(h_old) && t_next != *t) {
                memcpy(y, y0, sizeof(double) * d);
                continue;
            }
            h0 = h_old;
        }
        break;
    }
    *h = h0;
}

/* NEST's loop: from 0 to the resolution h in accepted steps, the step size carried in *hs (0: none yet).
 * A state that runs away (more than 100,000 internal steps) becomes NaN, which the engine reports. */
static inline void plx_rkf45_advance(plx_rhs f, const void* ctx, const plx_control* c, int d, double h, double* hs,
                                     double* y, double* work) {
    double t = 0;
    int substeps = 0;
    if (!(*hs > 0)) *hs = h;
    while (t < h) {
        plx_rkf45_evolve(f, ctx, c, d, &t, h, hs, y, work);
        if (++substeps > 100000) {
            for (int i = 0; i < d; i++) y[i] = NAN;
            *hs = h;
            return;
        }
    }
}

/* steps(t): NEST's Time(ms(t)).get_steps(), which NESTML's NEST code calls: t rounded to whole
 * tics (1 us), then up to whole steps of h (PlexusCore's nestDurationSteps, the same numbers). */
static inline double plx_steps(double ms, double h) {
    int64_t tics = (int64_t)(ms * 1000.0 + 0.5);
    int64_t per_step = (int64_t)round(h * 1000.0);
    if (per_step < 1) per_step = 1;
    return (double)((tics + per_step - 1) / per_step);
}

/* x^y: an exponent of 1 (mu = 1, the common case of STDP's power laws) skips pow, which returns x
 * exactly there anyway. */
static inline double plx_pow(double x, double y) { return y == 1.0 ? x : pow(x, y); }

/* Plexus's counter-based streams (Sources/PlexusCore/Philox.swift, RandomStream), the same
 * numbers: Philox4x32-10 keyed by the run's seed, counted by (block, step, node, purpose). */
typedef struct plx_rng {
    uint32_t k0, k1, c1, c2, c3, counter;
    uint32_t buffer[4];
    int used;
    double spare;
} plx_rng;

static inline void plx_philox(uint32_t x0, uint32_t x1, uint32_t x2, uint32_t x3, uint32_t a, uint32_t b, uint32_t out[4]) {
    for (int r = 0; r < 10; r++) {
        const uint64_t p0 = (uint64_t)0xD2511F53u * x0, p1 = (uint64_t)0xCD9E8D57u * x2;
        const uint32_t hi0 = (uint32_t)(p0 >> 32), lo0 = (uint32_t)p0, hi1 = (uint32_t)(p1 >> 32), lo1 = (uint32_t)p1;
        x0 = hi1 ^ x1 ^ a; x1 = lo1; x2 = hi0 ^ x3 ^ b; x3 = lo0;
        a += 0x9E3779B9u; b += 0xBB67AE85u;
    }
    out[0] = x0; out[1] = x1; out[2] = x2; out[3] = x3;
}

static inline plx_rng plx_rng_make(uint32_t k0, uint32_t k1, uint64_t id, uint32_t time, uint32_t purpose) {
    plx_rng r;
    r.k0 = k0; r.k1 = k1; r.c1 = time;
    r.c2 = (uint32_t)id ^ ((uint32_t)(id >> 32) * 0x85EBCA6Bu);
    r.c3 = (purpose << 24) ^ ((uint32_t)(id >> 32) << 12);
    r.counter = 0; r.used = 4; r.spare = NAN;
    return r;
}

static inline uint32_t plx_rng_u32(plx_rng* r) {
    if (r->used == 4) { plx_philox(r->counter, r->c1, r->c2, r->c3, r->k0, r->k1, r->buffer); r->counter++; r->used = 0; }
    return r->buffer[r->used++];
}

/* uniform in [0, 1), 53 random bits */
static inline double plx_rng_double(plx_rng* r) {
    const uint64_t hi = plx_rng_u32(r) >> 5, lo = plx_rng_u32(r) >> 6;
    return (double)(hi << 26 | lo) * (1.0 / 9007199254740992.0);
}

/* standard normal: Box-Muller, both values of a pair in turn */
static inline double plx_rng_normal(plx_rng* r) {
    if (!isnan(r->spare)) { const double v = r->spare; r->spare = NAN; return v; }
    const double u1 = 1.0 - plx_rng_double(r), u2 = plx_rng_double(r);
    const double rad = sqrt(-2.0 * log(u1));
    r->spare = rad * sin(2.0 * 3.141592653589793 * u2);
    return rad * cos(2.0 * 3.141592653589793 * u2);
}

/* Forward Euler over one step (NESTML's numeric_solver "forward-Euler"). */
static inline void plx_euler(plx_rhs f, const void* ctx, int d, double h, double* y, double* work) {
    f(ctx, y, work);
    for (int i = 0; i < d; i++) y[i] += h * work[i];
}
#endif
