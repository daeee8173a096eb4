/*
 * Generates SoftFloat test vectors from the host x86-64 FPU (SSE/AVX/FMA/AVX-512 scalar
 * instructions), which implements IEEE 754 with tininess detected after rounding, like RISC-V.
 * x86 has no round-to-nearest-max-magnitude, so only modes 0-3 (RNE RTZ RDN RUP) are produced.
 *
 *   gcc -O1 -mavx512f -mfma -frounding-math -fsignaling-nans -o gen gen-x86-vectors.c -lm
 *   ./gen <count per op and mode> <seed> > x86-vectors.txt
 *
 * Line format (hex, no prefixes):  op rm a b c result flags
 * flags use the RISC-V fflags encoding (NX=1 UF=2 OF=4 DZ=8 NV=16). The consumer treats a NaN
 * result as the canonical NaN and, for float->integer conversions that raise NV, compares only
 * the flags (x86 returns "integer indefinite" where RISC-V saturates).
 */
#include <fenv.h>
#include <immintrin.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint64_t s_state;

static uint64_t next64(void)
{
    /* splitmix64 */
    uint64_t z = (s_state += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

static int rnd(int n) { return (int)(next64() % (uint64_t)n); }

static const int s_modes[4] = { FE_TONEAREST, FE_TOWARDZERO, FE_DOWNWARD, FE_UPWARD };

static unsigned flags_now(void)
{
    unsigned f = 0;
    if (fetestexcept(FE_INEXACT)) f |= 1;
    if (fetestexcept(FE_UNDERFLOW)) f |= 2;
    if (fetestexcept(FE_OVERFLOW)) f |= 4;
    if (fetestexcept(FE_DIVBYZERO)) f |= 8;
    if (fetestexcept(FE_INVALID)) f |= 16;
    return f;
}

/* A value with a random sign, an exponent biased toward the ends of the range or toward 'near',
 * and a fraction biased toward patterns that make ties and carries. */
static uint64_t gen(int precision, int expBits, int near)
{
    int maxExp = (1 << expBits) - 1, fracBits = precision - 1, e;
    uint64_t mask = (1ULL << fracBits) - 1, frac;
    switch (rnd(9)) {
    case 0: e = rnd(maxExp + 1); break;
    case 1: e = rnd(3); break;
    case 2: e = maxExp - 1 - rnd(3); break;
    case 3: e = maxExp; break; /* inf / NaN */
    case 4: e = near + rnd(61) - 30; break;
    default: e = near + rnd(7) - 3; break;
    }
    if (e < 0) e = 0;
    if (e > maxExp) e = maxExp;
    switch (rnd(6)) {
    case 0: frac = 0; break;
    case 1: frac = mask; break;
    case 2: frac = 1ULL << rnd(fracBits); break;
    case 3: frac = mask ^ (1ULL << rnd(fracBits)); break;
    case 4: frac = next64() & mask & ~((1ULL << rnd(fracBits)) - 1); break;
    default: frac = next64() & mask; break;
    }
    if (e == maxExp && rnd(3) == 0) frac = 0;
    return ((uint64_t)rnd(2) << (precision + expBits - 1)) | ((uint64_t)e << fracBits) | frac;
}

static int exp32(uint32_t a) { return (a >> 23) & 0xFF; }
static int exp64(uint64_t a) { return (a >> 52) & 0x7FF; }

static float f32(uint32_t u) { float f; memcpy(&f, &u, 4); return f; }
static uint32_t u32(float f) { uint32_t u; memcpy(&u, &f, 4); return u; }
static double f64(uint64_t u) { double d; memcpy(&d, &u, 8); return d; }
static uint64_t u64(double d) { uint64_t u; memcpy(&u, &d, 8); return u; }

static void emit(const char *op, int rm, uint64_t a, uint64_t b, uint64_t c, uint64_t r, unsigned flags)
{
    printf("%s %d %llx %llx %llx %llx %x\n", op, rm, (unsigned long long)a, (unsigned long long)b,
           (unsigned long long)c, (unsigned long long)r, flags);
}

/* Each operation reads volatile inputs after clearing the flags and stores its result to a
 * volatile before the flags are read, so the compiler cannot move it across the flag accesses. */
static volatile float s_x, s_y, s_z, s_rf;
static volatile double s_xd, s_yd, s_zd, s_rd;
static volatile uint64_t s_ri;

#define RUN_F32(name, a, b, c, expr) do { feclearexcept(FE_ALL_EXCEPT); s_rf = (expr); \
    unsigned fl_ = flags_now(); emit(name, rm, a, b, c, u32(s_rf), fl_); } while (0)
#define RUN_F64(name, a, b, c, expr) do { feclearexcept(FE_ALL_EXCEPT); s_rd = (expr); \
    unsigned fl_ = flags_now(); emit(name, rm, a, b, c, u64(s_rd), fl_); } while (0)
#define RUN_INT(name, a, expr) do { feclearexcept(FE_ALL_EXCEPT); s_ri = (expr); \
    unsigned fl_ = flags_now(); emit(name, rm, a, 0, 0, s_ri, fl_); } while (0)

int main(int argc, char **argv)
{
    int count = argc > 1 ? atoi(argv[1]) : 100;
    s_state = argc > 2 ? strtoull(argv[2], 0, 10) : 1;
    for (int rm = 0; rm < 4; rm++) {
        fesetround(s_modes[rm]);
        for (int i = 0; i < count; i++) {
            uint32_t a32 = (uint32_t)gen(24, 8, 127), b32, c32;
            uint64_t a64 = gen(53, 11, 1023), b64, c64;
            int target32 = rnd(3) == 0 ? 1 : rnd(2) == 0 ? 253 : 127;
            int target64 = rnd(3) == 0 ? 1 : rnd(2) == 0 ? 2045 : 1023;

            /* add/sub: b near a */
            b32 = (uint32_t)gen(24, 8, exp32(a32));
            b64 = gen(53, 11, exp64(a64));
            s_x = f32(a32); s_y = f32(b32); s_xd = f64(a64); s_yd = f64(b64);
            RUN_F32("AddF32", a32, b32, 0, s_x + s_y);
            RUN_F32("SubF32", a32, b32, 0, s_x - s_y);
            RUN_F64("AddF64", a64, b64, 0, s_xd + s_yd);
            RUN_F64("SubF64", a64, b64, 0, s_xd - s_yd);

            /* mul/fma: b chosen so the product lands near a range limit or near 1; c near the product */
            b32 = (uint32_t)gen(24, 8, target32 + 127 - exp32(a32));
            b64 = gen(53, 11, target64 + 1023 - exp64(a64));
            c32 = (uint32_t)gen(24, 8, exp32(a32) + exp32(b32) - 127);
            c64 = gen(53, 11, exp64(a64) + exp64(b64) - 1023);
            s_x = f32(a32); s_y = f32(b32); s_z = f32(c32); s_xd = f64(a64); s_yd = f64(b64); s_zd = f64(c64);
            RUN_F32("MulF32", a32, b32, 0, s_x * s_y);
            RUN_F32("FmaF32", a32, b32, c32, _mm_cvtss_f32(_mm_fmadd_ss(_mm_set_ss(s_x), _mm_set_ss(s_y), _mm_set_ss(s_z))));
            RUN_F64("MulF64", a64, b64, 0, s_xd * s_yd);
            RUN_F64("FmaF64", a64, b64, c64, _mm_cvtsd_f64(_mm_fmadd_sd(_mm_set_sd(s_xd), _mm_set_sd(s_yd), _mm_set_sd(s_zd))));

            /* div: quotient near a range limit or near 1 */
            b32 = (uint32_t)gen(24, 8, 127 - target32 + exp32(a32));
            b64 = gen(53, 11, 1023 - target64 + exp64(a64));
            s_x = f32(a32); s_y = f32(b32); s_xd = f64(a64); s_yd = f64(b64);
            RUN_F32("DivF32", a32, b32, 0, s_x / s_y);
            RUN_F64("DivF64", a64, b64, 0, s_xd / s_yd);
            RUN_F32("SqrtF32", a32, 0, 0, _mm_cvtss_f32(_mm_sqrt_ss(_mm_set_ss(s_x))));
            RUN_F64("SqrtF64", a64, 0, 0, _mm_cvtsd_f64(_mm_sqrt_sd(_mm_set_sd(0), _mm_set_sd(s_xd))));

            /* conversions between formats */
            uint64_t d = gen(53, 11, 1023 - 127 + rnd(280));
            s_xd = f64(d); s_x = f32(a32);
            RUN_F32("F64ToF32", d, 0, 0, _mm_cvtss_f32(_mm_cvtsd_ss(_mm_set_ss(0), _mm_set_sd(s_xd))));
            RUN_F64("F32ToF64", a32, 0, 0, _mm_cvtsd_f64(_mm_cvtss_sd(_mm_set_sd(0), _mm_set_ss(s_x))));

            /* float -> integer */
            uint64_t di = gen(53, 11, 1023 + rnd(70) - 4);
            uint32_t fi = (uint32_t)gen(24, 8, 127 + rnd(70) - 4);
            s_xd = f64(di); s_x = f32(fi);
            RUN_INT("F64ToI32", di, (uint32_t)_mm_cvtsd_si32(_mm_set_sd(s_xd)));
            RUN_INT("F64ToU32", di, _mm_cvtsd_u32(_mm_set_sd(s_xd)));
            RUN_INT("F64ToI64", di, (uint64_t)_mm_cvtsd_si64(_mm_set_sd(s_xd)));
            RUN_INT("F64ToU64", di, _mm_cvtsd_u64(_mm_set_sd(s_xd)));
            RUN_INT("F32ToI32", fi, (uint32_t)_mm_cvtss_si32(_mm_set_ss(s_x)));
            RUN_INT("F32ToU32", fi, _mm_cvtss_u32(_mm_set_ss(s_x)));
            RUN_INT("F32ToI64", fi, (uint64_t)_mm_cvtss_si64(_mm_set_ss(s_x)));
            RUN_INT("F32ToU64", fi, _mm_cvtss_u64(_mm_set_ss(s_x)));

            /* integer -> float */
            static volatile int64_t s_iv;
            static volatile uint64_t s_uv;
            s_iv = (int64_t)next64() >> rnd(64);
            if (rnd(2)) s_iv = -s_iv;
            s_uv = next64() >> rnd(64);
            int64_t iv = s_iv;
            uint64_t uv = s_uv;
            RUN_F64("I64ToF64", (uint64_t)iv, 0, 0, _mm_cvtsd_f64(_mm_cvtsi64_sd(_mm_set_sd(0), s_iv)));
            RUN_F64("U64ToF64", uv, 0, 0, _mm_cvtsd_f64(_mm_cvtu64_sd(_mm_set_sd(0), s_uv)));
            RUN_F32("I64ToF32", (uint64_t)iv, 0, 0, _mm_cvtss_f32(_mm_cvtsi64_ss(_mm_set_ss(0), s_iv)));
            RUN_F32("U64ToF32", uv, 0, 0, _mm_cvtss_f32(_mm_cvtu64_ss(_mm_set_ss(0), s_uv)));
            RUN_F32("I32ToF32", (uint32_t)(int32_t)iv, 0, 0, _mm_cvtss_f32(_mm_cvtsi32_ss(_mm_set_ss(0), (int32_t)s_iv)));
            RUN_F32("U32ToF32", (uint32_t)uv, 0, 0, _mm_cvtss_f32(_mm_cvtu32_ss(_mm_set_ss(0), (uint32_t)s_uv)));
        }
    }
    return 0;
}
