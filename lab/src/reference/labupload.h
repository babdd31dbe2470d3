/* COM-like interface of the third-party upload component (reference scenario). */
#ifndef LABUPLOAD_H
#define LABUPLOAD_H
#include <windows.h>

typedef struct IUploadRequest IUploadRequest;
typedef struct IUploadRequestVtbl {
    HRESULT (STDMETHODCALLTYPE *QueryInterface)(IUploadRequest *, REFIID, void **);
    ULONG (STDMETHODCALLTYPE *AddRef)(IUploadRequest *);
    ULONG (STDMETHODCALLTYPE *Release)(IUploadRequest *);
    HRESULT (STDMETHODCALLTYPE *SetField)(IUploadRequest *, const char *name, const char *value);
    HRESULT (STDMETHODCALLTYPE *Save)(IUploadRequest *, const char *path);
} IUploadRequestVtbl;
struct IUploadRequest { const IUploadRequestVtbl *lpVtbl; };

typedef HRESULT (STDAPICALLTYPE *PFN_DllGetClassObject)(REFCLSID, REFIID, void **);
#endif
