/* The local product of a surface step, y = L x, on tvb-data's 16k cortex (bench/surface_product_bound.py):
 * the engine's arrangement (rows grouped by length, four rows per vector, 16-bit columns, entries in
 * the order they are read) and five other ways to gather the neighbours, each timed on one thread
 * over a hemisphere's rows (the vertices a thread holds in a two-thread run) or all of them.
 * Every variant gives the same sums (checked against the CSR loop). Reads ptr.bin, idx.bin (int32)
 * and val.bin (float64): the matrix in CSR form. */
#include <immintrin.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum { MAXN = 65536, MAXNNZ = 1 << 21 };
static int ptr[MAXN + 1], idx[MAXNNZ];
static double val[MAXNNZ], x[MAXN], y[MAXN], want[MAXN];
static int order[MAXN], glen[64], gfirst[65], gent[64], ng;
static double rv[MAXN];
static uint16_t gc[MAXNNZ];
static uint32_t gc32[MAXNNZ];

static double now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec + 1e-9 * t.tv_nsec; }

static void load(const char *name, void *to, size_t size, size_t count) {
    FILE *f = fopen(name, "rb");
    if (!f || fread(to, size, count, f) != count) { fprintf(stderr, "cannot read %s\n", name); exit(1); }
    fclose(f);
}

/* One pass of variant v over the grouped rows. */
static void product(int v) {
    for (int g = 0; g < ng; g++) {
        int len = glen[g], q = gfirst[g], last = gfirst[g + 1], e = gent[g];
        if (v == 0 || v == 1) {          /* 0: the engine's (one 64-bit load for four columns); 1: two chunks interleaved */
            for (; v == 1 && q + 8 <= last; q += 8) {
                __m256d w0 = _mm256_loadu_pd(rv + q), w1 = _mm256_loadu_pd(rv + q + 4), s0 = _mm256_setzero_pd(), s1 = s0;
                int e1 = e + 4 * len;
                for (int k = 0; k < len; k++, e += 4, e1 += 4) {
                    uint64_t c, d; memcpy(&c, gc + e, 8); memcpy(&d, gc + e1, 8);
                    s0 = _mm256_add_pd(s0, _mm256_mul_pd(w0, _mm256_set_pd(x[c >> 48], x[(c >> 32) & 0xffff], x[(c >> 16) & 0xffff], x[c & 0xffff])));
                    s1 = _mm256_add_pd(s1, _mm256_mul_pd(w1, _mm256_set_pd(x[d >> 48], x[(d >> 32) & 0xffff], x[(d >> 16) & 0xffff], x[d & 0xffff])));
                }
                e = e1;
                double o[8]; _mm256_storeu_pd(o, s0); _mm256_storeu_pd(o + 4, s1);
                for (int l = 0; l < 8; l++) y[order[q + l]] = o[l];
            }
            for (; q + 4 <= last; q += 4) {
                __m256d w = _mm256_loadu_pd(rv + q), s = _mm256_setzero_pd();
                for (int k = 0; k < len; k++, e += 4) {
                    uint64_t c; memcpy(&c, gc + e, 8);
                    s = _mm256_add_pd(s, _mm256_mul_pd(w, _mm256_set_pd(x[c >> 48], x[(c >> 32) & 0xffff], x[(c >> 16) & 0xffff], x[c & 0xffff])));
                }
                double o[4]; _mm256_storeu_pd(o, s);
                for (int l = 0; l < 4; l++) y[order[q + l]] = o[l];
            }
        } else if (v == 2) {             /* scalar, four rows interleaved, a 16-bit load per column */
            for (; q + 4 <= last; q += 4) {
                double w0 = rv[q], w1 = rv[q + 1], w2 = rv[q + 2], w3 = rv[q + 3], s0 = 0, s1 = 0, s2 = 0, s3 = 0;
                for (int k = 0; k < len; k++, e += 4) {
                    s0 += w0 * x[gc[e]]; s1 += w1 * x[gc[e + 1]]; s2 += w2 * x[gc[e + 2]]; s3 += w3 * x[gc[e + 3]];
                }
                y[order[q]] = s0; y[order[q + 1]] = s1; y[order[q + 2]] = s2; y[order[q + 3]] = s3;
            }
        } else if (v == 3) {             /* four rows per vector, 32-bit columns */
            for (; q + 4 <= last; q += 4) {
                __m256d w = _mm256_loadu_pd(rv + q), s = _mm256_setzero_pd();
                for (int k = 0; k < len; k++, e += 4) {
                    const uint32_t *c = gc32 + e;
                    s = _mm256_add_pd(s, _mm256_mul_pd(w, _mm256_set_pd(x[c[3]], x[c[2]], x[c[1]], x[c[0]])));
                }
                double o[4]; _mm256_storeu_pd(o, s);
                for (int l = 0; l < 4; l++) y[order[q + l]] = o[l];
            }
        } else if (v == 4) {             /* two rows per SSE vector */
            for (; q + 4 <= last; q += 4) {
                __m128d w0 = _mm_loadu_pd(rv + q), w1 = _mm_loadu_pd(rv + q + 2), s0 = _mm_setzero_pd(), s1 = s0;
                for (int k = 0; k < len; k++, e += 4) {
                    uint64_t c; memcpy(&c, gc + e, 8);
                    s0 = _mm_add_pd(s0, _mm_mul_pd(w0, _mm_loadh_pd(_mm_load_sd(x + (c & 0xffff)), x + ((c >> 16) & 0xffff))));
                    s1 = _mm_add_pd(s1, _mm_mul_pd(w1, _mm_loadh_pd(_mm_load_sd(x + ((c >> 32) & 0xffff)), x + (c >> 48))));
                }
                double o[4]; _mm_storeu_pd(o, s0); _mm_storeu_pd(o + 2, s1);
                for (int l = 0; l < 4; l++) y[order[q + l]] = o[l];
            }
        } else {                         /* the hardware gather (AVX2 vgatherdpd) */
            for (; q + 4 <= last; q += 4) {
                __m256d w = _mm256_loadu_pd(rv + q), s = _mm256_setzero_pd();
                for (int k = 0; k < len; k++, e += 4)
                    s = _mm256_add_pd(s, _mm256_mul_pd(w, _mm256_i32gather_pd(x, _mm_loadu_si128((const __m128i *)(gc32 + e)), 8)));
                double o[4]; _mm256_storeu_pd(o, s);
                for (int l = 0; l < 4; l++) y[order[q + l]] = o[l];
            }
        }
        for (; q < last; q++) {          /* the group's last rows, one at a time */
            double w = rv[q], s = 0;
            for (int k = 0; k < len; k++) s += w * x[gc[e + k]];
            y[order[q]] = s;
            e += len;
        }
    }
}

int main(int argc, char **argv) {
    int n = argc > 1 ? atoi(argv[1]) : 16384, lo = argc > 2 ? atoi(argv[2]) : 0, hi = argc > 3 ? atoi(argv[3]) : n;
    load("ptr.bin", ptr, 4, n + 1);
    load("idx.bin", idx, 4, ptr[n]);
    load("val.bin", val, 8, ptr[n]);
    for (int i = 0; i < n; i++) x[i] = sin(0.01 * i);
    for (int i = lo; i < hi; i++) { double s = 0; for (int k = ptr[i]; k < ptr[i + 1]; k++) s += val[k] * x[idx[k]]; want[i] = s; }
    /* Group the rows lo..<hi by length; chunks of four rows entry-major, the rest row-major. */
    static int rows[MAXN];
    int q = 0, e = 0;
    for (int len = 0; len < 64; len++) {
        int r = 0;
        for (int i = lo; i < hi; i++) if (ptr[i + 1] - ptr[i] == len) rows[r++] = i;
        if (!r) continue;
        glen[ng] = len; gfirst[ng] = q; gent[ng] = e;
        for (int j = 0; j < r; j++) { order[q] = rows[j]; rv[q] = len ? val[ptr[rows[j]]] : 0; q++; }
        int chunked = r / 4 * 4;
        for (int c = 0; c < chunked; c += 4) for (int k = 0; k < len; k++) for (int l = 0; l < 4; l++) gc[e++] = idx[ptr[rows[c + l]] + k];
        for (int c = chunked; c < r; c++) for (int k = 0; k < len; k++) gc[e++] = idx[ptr[rows[c]] + k];
        ng++;
    }
    gfirst[ng] = q;
    for (int k = 0; k < e; k++) gc32[k] = gc[k];
    static const char *names[] = {"engine's: 4 rows per AVX vector, one 64-bit load per 4 columns",
                                  "the same, two chunks of 4 rows interleaved", "scalar, 4 rows interleaved",
                                  "4 rows per AVX vector, 32-bit columns", "2 rows per SSE vector", "AVX2 hardware gather"};
    for (int v = 0; v < 6; v++) {
        product(v);
        /* Each row has one value (TVB's cortical matrices: 1/neighbours), so every variant adds the
         * same products in the same order as the CSR loop. */
        for (int i = lo; i < hi; i++) if (y[i] != want[i]) { fprintf(stderr, "variant %d differs at row %d\n", v, i); return 1; }
        int reps = 2000;
        double best = 1e30;
        for (int t = 0; t < 3; t++) {
            double t0 = now();
            for (int r = 0; r < reps; r++) { product(v); x[r % n] += 0.0 * y[r % n]; }
            double dt = (now() - t0) / reps;
            if (dt < best) best = dt;
        }
        printf("%d %.4f %.2f %s\n", v, best / e * 1e9, best * 1e6, names[v]);
    }
    return 0;
}
