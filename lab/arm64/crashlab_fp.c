/* The same kinds of functions built with frame pointers (-fno-omit-frame-pointer), as MSVC
 * builds them: frame records chained through x29 (packed unwind data with CR=3, save_fplr_x,
 * set_fp / add_fp). */
#include "crashlab.h"

EXPORT s64 framed_big(s64 a, s64 b) {
    volatile s64 buf[700];
    for (int i = 0; i < 700; i += 8) buf[i] = a + i;
    s64 r = chain[C_BIG_FRAME](a, b + buf[(u64)b % 700]);
    return r + buf[(u64)a % 700];
}

EXPORT s64 framed(s64 a, s64 b) {
    s64 x1 = a * 3, x2 = b * 5, x3 = a ^ b;
    sink = x1;
    s64 r = chain[C_FRAMED_BIG](a, b);
    return r + x1 + x2 + x3;
}

EXPORT s64 framed_variadic(s64 n, ...) {
    va_list ap;
    va_start(ap, n);
    s64 a = va_arg(ap, s64), b = va_arg(ap, s64);
    va_end(ap);
    s64 r = chain[C_FRAMED](a, b);
    return r + n;
}

s64 framed_variadic_thunk(s64 a, s64 b) { return framed_variadic(5, a, b, 1LL, 2LL); }
