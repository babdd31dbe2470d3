/* ARM64 Windows test program for coroner's ARM64 .pdata/.xdata unwinder. Freestanding (no CRT):
 * built with clang --target=aarch64-pc-windows-msvc and lld-link, run in an emulator by
 * emulate.py, which writes the minidump. Each function in the call chain has a different prolog
 * shape, so the image carries packed unwind data and full .xdata records of several kinds:
 * frame chains (save_fplr_x, set_fp), callee-saved integer and FP pairs (save_regp, save_next,
 * save_fregp), large frames (alloc_m/alloc_l with __chkstk), alloca (sp restored from fp),
 * variadic functions (homed x0-x7), and a leaf. */
#include "crashlab.h"

/* Where leaf_write stores: 0 (the crash) unless the emulator sets it. */
__declspec(dllexport) volatile s64 lab_target;

/* The crash: a store through a null pointer, from a leaf with no frame of its own. */
EXPORT s64 leaf_write(s64 p, s64 v) {
    *(volatile s64 *)p = v;
    return v + 1;
}

/* A plain frame: fp/lr record and a small local array. */
EXPORT s64 small_frame(s64 a, s64 b) {
    volatile s64 local[6];
    for (int i = 0; i < 6; i++) local[i] = a + i;
    s64 r = chain[C_LEAF_WRITE](lab_target, b + local[3]);
    return r + local[1];
}

/* alloca: the frame size is only known at run time, sp is restored from fp. */
EXPORT s64 dynamic_alloca(s64 a, s64 b) {
    volatile char *buf = __builtin_alloca((u64)(b & 0xff) + 32);
    buf[0] = (char)a;
    s64 r = chain[C_DEBUG_FRAME](a, b + buf[0]);
    return r + buf[1];
}

/* A frame larger than a page: __chkstk and a large allocation. */
EXPORT s64 big_frame(s64 a, s64 b) {
    volatile char buf[20000];
    for (int i = 0; i < 20000; i += 64) buf[i] = (char)(a + i);
    s64 r = chain[C_DYNAMIC_ALLOCA](a, b + buf[(u64)b % 20000]);
    return r + buf[(u64)a % 20000];
}

/* Many callee-saved integer registers live across the call. */
EXPORT s64 callee_saved(s64 a, s64 b) {
    s64 x1 = a * 3, x2 = b * 5, x3 = a ^ b, x4 = a + 7, x5 = b - 9, x6 = a * b, x7 = a - b,
         x8 = b | 1, x9 = a & 0xff, x10 = b >> 2;
    sink = x1;
    s64 r = chain[C_ODD_SAVED](a + 1, b + 2);
    return r + x1 + x2 + x3 + x4 + x5 + x6 + x7 + x8 + x9 + x10;
}

/* Five callee-saved values live across the call (clang saves four registers and lr). */
EXPORT s64 odd_saved(s64 a, s64 b) {
    s64 x1 = a * 3, x2 = b * 5, x3 = a ^ b, x4 = a + 7, x5 = b - 9;
    sink = x1;
    s64 r = chain[C_FRAMED_VARIADIC_THUNK](a, b);
    return r + x1 * x2 + x3 * x4 + x5;
}

/* Callee-saved floating-point registers live across the call. */
EXPORT s64 fp_saved(s64 a, s64 b) {
    double d1 = (double)a * 1.5, d2 = (double)b * 2.5, d3 = d1 / (d2 + 1.0);
    sink = (s64)d3;
    s64 r = chain[C_CALLEE_SAVED](a, b);
    return r + (s64)(d1 + d2 + d3);
}

/* A variadic function: its register arguments are homed on the stack. */
EXPORT s64 variadic(s64 n, ...) {
    va_list ap;
    va_start(ap, n);
    s64 a = va_arg(ap, s64), b = va_arg(ap, s64);
    va_end(ap);
    s64 r = chain[C_FP_SAVED](a, b);
    return r + n;
}

static s64 variadic_thunk(s64 a, s64 b) { return variadic(3, a, b, 0L); }

/* The thread's first function. */
EXPORT s64 lab_entry(s64 a, s64 b) {
    s64 r = chain[C_VARIADIC_THUNK](a, b);
    sink = r;
    return r;
}

/* Debug-build code (no optimisation): every local on the stack, a frame record. */
EXPORT __attribute__((optnone)) s64 debug_frame(s64 a, s64 b) {
    s64 x = a + b;
    s64 y[4] = {a, b, x, 0};
    s64 r = chain[C_SMALL_FRAME](y[0], y[2]);
    return r + y[1];
}

s64 framed_variadic_thunk(s64 a, s64 b);
s64 framed_variadic(s64 n, ...);
s64 framed(s64 a, s64 b);
s64 framed_big(s64 a, s64 b);
volatile s64 sink;
volatile fn chain[24] = {
    [C_VARIADIC_THUNK] = variadic_thunk, [C_VARIADIC] = 0, [C_FP_SAVED] = fp_saved,
    [C_CALLEE_SAVED] = callee_saved, [C_ODD_SAVED] = odd_saved, [C_FRAMED_VARIADIC_THUNK] = framed_variadic_thunk,
    [C_FRAMED] = framed, [C_FRAMED_BIG] = framed_big, [C_BIG_FRAME] = big_frame,
    [C_DYNAMIC_ALLOCA] = dynamic_alloca, [C_DEBUG_FRAME] = debug_frame,
    [C_SMALL_FRAME] = small_frame, [C_LEAF_WRITE] = leaf_write};

/* __chkstk for frames over a page (x15 = size / 16). No guard pages in the emulator. */
__asm__(".globl __chkstk\n__chkstk:\n ret\n");

int _DllMainCRTStartup(void *h, unsigned r, void *p) { (void)h; (void)r; (void)p; return 1; }
