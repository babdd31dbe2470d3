/* labw3wp.exe - "web worker process" hosting the third-party upload component (reference case).
 * Usage: labw3wp.exe -ap "LabPool" -v "v2.0"
 * Thread layout: main (0) + 3 idle threads (1..3) + the request worker (4), like the original
 * incident where the faulting thread was thread 4. */
#include "../common/lab.h"
#include "labupload.h"

static const GUID CLSID_FabrikamUpload = {0x6f1c2a10, 0x4b1e, 0x11d5, {0x9a, 0x3c, 0x00, 0x50, 0x8b, 0x2e, 0x41, 0x07}};
static const GUID IID_IUploadRequest  = {0x6f1c2a11, 0x4b1e, 0x11d5, {0x9a, 0x3c, 0x00, 0x50, 0x8b, 0x2e, 0x41, 0x07}};

LAB_NOIPA HRESULT W3ProcessUploadRequest(const char *target) {
    /* where the component's InprocServer32 registration points */
    HMODULE mod = LoadLibraryA("C:\\Program Files\\Fabrikam\\Upload\\labupload.dll");
    if (!mod) { printf("cannot load labupload.dll: %lu\n", GetLastError()); return E_FAIL; }
    PFN_DllGetClassObject get = (PFN_DllGetClassObject)GetProcAddress(mod, "DllGetClassObject");
    IUploadRequest *req = NULL;
    HRESULT hr = get(&CLSID_FabrikamUpload, &IID_IUploadRequest, (void **)&req);
    if (FAILED(hr)) return hr;
    req->lpVtbl->SetField(req, "filename", "quarterly-report.xls");
    req->lpVtbl->SetField(req, "content-type", "application/vnd.ms-excel");
    hr = req->lpVtbl->Save(req, target);
    req->lpVtbl->Release(req);
    return hr;
}

LAB_NOIPA DWORD WINAPI W3RequestWorkerThread(LPVOID arg) {
    return (DWORD)W3ProcessUploadRequest((const char *)arg);
}

int main(int argc, char **argv) {
    const char *pool = "DefaultAppPool";
    for (int i = 1; i + 1 < argc; i++) if (!strcmp(argv[i], "-ap")) pool = argv[i + 1];
    printf("labw3wp: app pool %s\n", pool);
    HANDLE stop = CreateEventA(NULL, TRUE, FALSE, NULL);
    for (int i = 0; i < 3; i++) CloseHandle(CreateThread(NULL, 0, LabIdleThreadProc, stop, 0, NULL));
    Sleep(50);
    HANDLE w = CreateThread(NULL, 0, W3RequestWorkerThread, (LPVOID)"C:\\inetpub\\uploads\\incoming\\0001.tmp", 0, NULL);
    WaitForSingleObject(w, INFINITE);
    SetEvent(stop);
    return 0;
}
