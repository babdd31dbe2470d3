/* labupload.dll - Fabrikam Upload 4.1.0.2, a COM-like upload component (reference case).
 *
 * Bug reproduced: Save() destroys the request's private heap (HeapDestroy) when it flushes, but
 * keeps the handle; the next allocation from it (HeapAlloc) faults.  That allocation runs inside
 * UploadSafeAlloc, protected by the component's own SEH handler (x86: fs:[0] record, x64:
 * .seh_handler, see labupload_seh_*.S), and the handler "logs" the failure by allocating from the
 * same dead heap again: nested faults, each dispatched through KiUserExceptionDispatcher, until
 * the handler gives up (after UPLOAD_MAX_NESTED levels) and the exception goes unhandled. */
#include "../common/lab.h"
#include "labupload.h"

#define UPLOAD_MAX_NESTED 3

typedef struct UploadRequest {
    IUploadRequest iface;
    LONG refs;
    HANDLE heap;           /* private heap, destroyed too early */
    char *fields;
    size_t used;
    char target[260];
} UploadRequest;

static UploadRequest *g_current;   /* the request the SEH handler reports about */
static volatile LONG g_nested;

/* implemented in labupload_seh_x86.S / labupload_seh_x64.S */
extern void *UploadSafeAlloc(UploadRequest *req, SIZE_T size);

LAB_NOIPA void *UploadAllocBuffer(UploadRequest *req, SIZE_T size) {
    return HeapAlloc(req->heap, HEAP_ZERO_MEMORY, size);      /* fault: heap was destroyed */
}

LAB_NOIPA void UploadLogFailure(UploadRequest *req, DWORD code) {
    char *line = HeapAlloc(req->heap, 0, 128);                /* faults again: same dead heap */
    if (line) { _snprintf(line, 128, "upload of %s failed: %08lx", req->target, code); OutputDebugStringA(line); }
}

EXCEPTION_DISPOSITION __cdecl UploadSehHandler(EXCEPTION_RECORD *rec, void *frame, CONTEXT *ctx, void *dispatch) {
    (void)frame; (void)ctx; (void)dispatch;
    if (rec->ExceptionFlags & (EXCEPTION_UNWINDING | EXCEPTION_EXIT_UNWIND)) return ExceptionContinueSearch;
    if (InterlockedIncrement(&g_nested) <= UPLOAD_MAX_NESTED) UploadLogFailure(g_current, rec->ExceptionCode);
    return ExceptionContinueSearch;
}

LAB_NOIPA void UploadFlushFields(UploadRequest *req) {
    /* "flush" the form fields and release the per-request heap... but keep using the handle */
    HeapDestroy(req->heap);
    req->fields = NULL;
    req->used = 0;
}

HRESULT STDMETHODCALLTYPE Upload_QueryInterface(IUploadRequest *This, REFIID riid, void **ppv) {
    (void)riid; *ppv = This; This->lpVtbl->AddRef(This); return S_OK;
}
ULONG STDMETHODCALLTYPE Upload_AddRef(IUploadRequest *This) {
    return InterlockedIncrement(&((UploadRequest *)This)->refs);
}
ULONG STDMETHODCALLTYPE Upload_Release(IUploadRequest *This) {
    UploadRequest *r = (UploadRequest *)This;
    LONG n = InterlockedDecrement(&r->refs);
    if (!n) HeapFree(GetProcessHeap(), 0, r);
    return n;
}
LAB_NOIPA HRESULT STDMETHODCALLTYPE UploadRequest_SetField(IUploadRequest *This, const char *name, const char *value) {
    UploadRequest *r = (UploadRequest *)This;
    size_t n = strlen(name) + strlen(value) + 2;
    if (!r->fields) r->fields = HeapAlloc(r->heap, 0, 4096);
    if (!r->fields || r->used + n >= 4096) return E_OUTOFMEMORY;
    _snprintf(r->fields + r->used, 4096 - r->used, "%s=%s", name, value);
    r->used += n;
    return S_OK;
}
LAB_NOIPA HRESULT STDMETHODCALLTYPE UploadRequest_Save(IUploadRequest *This, const char *path) {
    UploadRequest *r = (UploadRequest *)This;
    lstrcpynA(r->target, path, sizeof r->target);
    UploadFlushFields(r);
    g_current = r;
    char *buf = UploadSafeAlloc(r, 0x2000);
    if (!buf) return E_OUTOFMEMORY;
    return S_OK;
}

static const IUploadRequestVtbl upload_vtbl = {
    Upload_QueryInterface, Upload_AddRef, Upload_Release, UploadRequest_SetField, UploadRequest_Save
};

LAB_EXPORT HRESULT STDAPICALLTYPE DllGetClassObject(REFCLSID clsid, REFIID iid, void **ppv) {
    (void)clsid; (void)iid;
    UploadRequest *r = HeapAlloc(GetProcessHeap(), HEAP_ZERO_MEMORY, sizeof *r);
    if (!r) return E_OUTOFMEMORY;
    r->iface.lpVtbl = &upload_vtbl;
    r->refs = 1;
    r->heap = HeapCreate(0, 0x10000, 0);
    *ppv = r;
    return S_OK;
}
LAB_EXPORT HRESULT STDAPICALLTYPE DllCanUnloadNow(void) { return S_FALSE; }
