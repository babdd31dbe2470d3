/* alpsnow.dll (Alpine Ski House Snow Report) - the made-up vendor DLL of the memory scenarios
 * (lab/src/memory/labmem.c drives it). Every allocation that fails or leaks is made here, so a
 * memory analyser has a third-party module to blame:
 *   fragment    AlpLoadSnowGrid: HeapAlloc()s a 64 MB grid and writes its header without checking
 *               for NULL (the classic unchecked allocation)
 *   commit      AlpBuildForecastCube: HeapAlloc() of a huge cube from a HEAP_GENERATE_EXCEPTIONS heap
 *               -> STATUS_NO_MEMORY raised by ntdll
 *   heapleak    AlpCacheSnowReport: copies each report into a new heap block and forgets it
 *   handleleak  AlpOpenLiftGate / AlpLockLift / AlpOpenTicketLog: open handles and never close them
 *   badalloc    AlpResizeRunMap: an MSVC-style throw of std::bad_alloc that nobody catches */
#include "../common/lab.h"

/* ---- fragment: the unchecked 64 MB allocation */
typedef struct { DWORD magic; DWORD rows, cols; DWORD resort_id; float depth[1]; } SnowGrid;
LAB_NOIPA SnowGrid *AlpAllocGrid(SIZE_T bytes) {
    return HeapAlloc(GetProcessHeap(), 0, bytes);          /* NULL: the address space has no 64 MB hole */
}
LAB_EXPORT int AlpLoadSnowGrid(int resort, SIZE_T bytes) {
    volatile SnowGrid *g = AlpAllocGrid(bytes);            /* volatile: the stores stay in source order */
    g->resort_id = (DWORD)resort;                          /* no NULL check: writes to 0x0000000c */
    g->magic = 0x534e4f57;
    g->rows = g->cols = 4096;
    return (int)g->rows;
}

/* ---- commit: a heap that raises STATUS_NO_MEMORY instead of returning NULL */
LAB_EXPORT void *AlpBuildForecastCube(SIZE_T bytes, HANDLE *heap_out) {
    HANDLE h = HeapCreate(HEAP_GENERATE_EXCEPTIONS, 0, 0);
    if (heap_out) *heap_out = h;
    return HeapAlloc(h, HEAP_GENERATE_EXCEPTIONS, bytes);  /* raises 0xC0000017 */
}

/* ---- heapleak: every report is copied into a block nobody frees */
static HANDLE g_report_heap;
LAB_EXPORT HANDLE AlpReportHeap(void) {
    if (!g_report_heap) g_report_heap = HeapCreate(0, 0, 0);
    return g_report_heap;
}
LAB_EXPORT void *AlpCacheSnowReport(int id, SIZE_T bytes, int on_process_heap) {
    HANDLE h = on_process_heap ? GetProcessHeap() : AlpReportHeap();
    char *p = HeapAlloc(h, 0, bytes);
    if (p) snprintf(p, 64, "snow report %d", id);           /* cached ... and forgotten */
    return p;
}

/* ---- handleleak */
LAB_EXPORT HANDLE AlpOpenLiftGate(void) {                 /* named: every call is one more handle to the same event */
    return CreateEventA(NULL, TRUE, FALSE, "Local\\AlpineLiftGate");
}
LAB_EXPORT HANDLE AlpLockLift(void) {                     /* unnamed mutexes */
    return CreateMutexA(NULL, FALSE, NULL);
}
LAB_EXPORT HANDLE AlpOpenTicketLog(const char *path) {    /* the same log file, opened again and again */
    return CreateFileA(path, GENERIC_READ, FILE_SHARE_READ | FILE_SHARE_WRITE, NULL, OPEN_ALWAYS, FILE_ATTRIBUTE_NORMAL, NULL);
}

/* ---- badalloc: MSVC's encoding of `throw std::bad_alloc()` (_CxxThrowException: 0xE06D7363,
 * {0x19930520, object, ThrowInfo[, image base on x64]}), written in C like margie.dll so that it is
 * the same on x86 and x64 (mingw's i686 g++ throws DWARF-2 exceptions that raise no SEH exception) */
extern IMAGE_DOS_HEADER __ImageBase;
#ifdef _WIN64
typedef DWORD ptr32_t;
#define P32(x) ((DWORD)((ULONG_PTR)(x) - (ULONG_PTR)&__ImageBase))
#define NPARAMS 4
#else
typedef ULONG_PTR ptr32_t;
#define P32(x) ((ULONG_PTR)(x))
#define NPARAMS 3
#endif
typedef struct { const void *vftable; void *spare; char name[32]; } TypeDescriptor;
typedef struct { DWORD properties; ptr32_t pType; int mdisp, pdisp, vdisp; DWORD size; ptr32_t copy; } CatchableType;
typedef struct { int count; ptr32_t types[2]; } CatchableTypeArray;
typedef struct { DWORD attributes; ptr32_t unwind; ptr32_t forward; ptr32_t catchable; } ThrowInfo;
static const void *g_vft[2];
static TypeDescriptor td_bad_alloc = { g_vft, NULL, ".?AVbad_alloc@std@@" };
static TypeDescriptor td_exception = { g_vft, NULL, ".?AVexception@std@@" };
static CatchableType ct_bad_alloc, ct_exception;
static CatchableTypeArray cta;
static ThrowInfo ti;
typedef struct { const void *vftable; const char *what; int do_free; } BadAlloc;

LAB_NOIPA void AlpThrowBadAlloc(void) {
    static BadAlloc e;
    e.vftable = g_vft; e.what = "bad allocation";
    ct_bad_alloc.pType = P32(&td_bad_alloc); ct_bad_alloc.pdisp = -1; ct_bad_alloc.size = sizeof e;
    ct_exception = ct_bad_alloc; ct_exception.pType = P32(&td_exception);
    cta.count = 2; cta.types[0] = P32(&ct_bad_alloc); cta.types[1] = P32(&ct_exception);
    ti.catchable = P32(&cta);
    ULONG_PTR args[4] = { 0x19930520, (ULONG_PTR)&e, (ULONG_PTR)&ti, (ULONG_PTR)&__ImageBase };
    RaiseException(0xE06D7363, EXCEPTION_NONCONTINUABLE, NPARAMS, args);
}
/* operator new as MSVC's CRT writes it: malloc, and throw bad_alloc when it returns NULL */
LAB_NOIPA void *AlpOperatorNew(SIZE_T bytes) {
    void *p = malloc(bytes);
    if (!p) AlpThrowBadAlloc();
    return p;
}
LAB_EXPORT int AlpResizeRunMap(SIZE_T bytes) {
    char *m = AlpOperatorNew(bytes);                       /* fails: more than the address space holds */
    m[0] = 1;
    return 0;
}
