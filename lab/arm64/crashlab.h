/* Shared by crashlab.c and crashlab_fp.c. */
typedef unsigned long long u64;
typedef long long s64;
typedef __builtin_va_list va_list;
#define va_start(v, l) __builtin_va_start(v, l)
#define va_arg(v, t) __builtin_va_arg(v, t)
#define va_end(v) __builtin_va_end(v)
#define EXPORT __declspec(dllexport) __attribute__((noinline))

/* Indirect calls through a volatile table: no inlining, no tail calls, real return addresses.
 * The chain, outermost first: lab_entry -> variadic_thunk -> variadic -> fp_saved ->
 * callee_saved -> odd_saved -> framed_variadic_thunk -> framed_variadic -> framed -> framed_big -> big_frame
 * -> dynamic_alloca -> debug_frame -> small_frame -> leaf_write (the crash). */
typedef s64 (*fn)(s64, s64);
extern volatile fn chain[24];
extern volatile s64 sink;
enum { C_VARIADIC_THUNK = 1, C_VARIADIC, C_FP_SAVED, C_CALLEE_SAVED, C_ODD_SAVED, C_FRAMED_VARIADIC_THUNK,
       C_FRAMED_VARIADIC, C_FRAMED, C_FRAMED_BIG, C_BIG_FRAME, C_DYNAMIC_ALLOCA, C_DEBUG_FRAME,
       C_SMALL_FRAME, C_LEAF_WRITE };
