/* margie.dll (Margie's Travel Booking Engine) - cppthrow: an MSVC-style C++ throw
 * (_CxxThrowException semantics: RaiseException(0xE06D7363, EXCEPTION_NONCONTINUABLE,
 * {0x19930520, pObject, pThrowInfo[, ImageBase on x64]})) of a "std::bad_alloc"-like object
 * that nobody catches. The ThrowInfo / CatchableTypeArray / TypeDescriptor chain is laid out as
 * MSVC does, so an analyser can recover the type name ".?AVbooking_error@margie@@".
 * Written in C so that it behaves the same on x86 and x64 (mingw's own C++ exceptions are
 * DWARF-based on i686 and raise no SEH exception at all). */
#include "../common/lab.h"

extern IMAGE_DOS_HEADER __ImageBase;
#ifdef _WIN64
typedef DWORD ptr32_t;    /* image-relative RVA */
#define P32(x) ((DWORD)((ULONG_PTR)(x) - (ULONG_PTR)&__ImageBase))
#define NPARAMS 4
#else
typedef ULONG_PTR ptr32_t;
#define P32(x) ((ULONG_PTR)(x))
#define NPARAMS 3
#endif
typedef struct { const void *vftable; void *spare; char name[40]; } TypeDescriptor;
typedef struct { DWORD properties; ptr32_t pType; int mdisp, pdisp, vdisp; DWORD size; ptr32_t copy; } CatchableType;
typedef struct { int count; ptr32_t types[2]; } CatchableTypeArray;
typedef struct { DWORD attributes; ptr32_t unwind; ptr32_t forward; ptr32_t catchable; } ThrowInfo;

static const void *g_fake_vftable[2];
static TypeDescriptor td_booking = { g_fake_vftable, NULL, ".?AVbooking_error@margie@@" };
static TypeDescriptor td_exception = { g_fake_vftable, NULL, ".?AVexception@std@@" };
static CatchableType ct_booking, ct_exception;
static CatchableTypeArray cta;
static ThrowInfo ti;
typedef struct { const void *vftable; const char *what; int doFree; int itinerary; } BookingError;

LAB_NOIPA void MtThrowBookingError(int itinerary) {
    static BookingError err;
    err.vftable = g_fake_vftable; err.what = "itinerary has no return flight"; err.itinerary = itinerary;
    ct_booking.properties = 0; ct_booking.pType = P32(&td_booking); ct_booking.mdisp = 0; ct_booking.pdisp = -1; ct_booking.size = sizeof err;
    ct_exception = ct_booking; ct_exception.pType = P32(&td_exception);
    cta.count = 2; cta.types[0] = P32(&ct_booking); cta.types[1] = P32(&ct_exception);
    ti.attributes = 0; ti.catchable = P32(&cta);
    ULONG_PTR args[4] = { 0x19930520, (ULONG_PTR)&err, (ULONG_PTR)&ti, (ULONG_PTR)&__ImageBase };
    RaiseException(0xE06D7363, EXCEPTION_NONCONTINUABLE, NPARAMS, args);
}
LAB_NOIPA int MtPriceItinerary(int itinerary) {
    if (itinerary > 5) MtThrowBookingError(itinerary);
    return 100 * itinerary;
}
LAB_EXPORT int MtBookItinerary(int itinerary) {
    return MtPriceItinerary(itinerary) + 1;
}
