/* cohosync.dll (Coho Winery Inventory Sync) - the made-up vendor DLL of the hang scenarios
 * (lab/src/hang/labhang.c drives it). Every blocking call of the hang fixtures happens inside this
 * DLL, so a hang analyser has a third-party module to blame. The locks are globals of this DLL. */
#include "../common/lab.h"

LAB_EXPORT CRITICAL_SECTION g_stock_lock, g_ledger_lock;   /* deadlock: stock -> ledger vs ledger -> stock */
LAB_EXPORT CRITICAL_SECTION g_catalog_lock;                /* blocked: 20 lookups behind one refresh */
LAB_EXPORT CRITICAL_SECTION g_batch_lock;                  /* orphaned: owner thread exited holding it */
static volatile LONG g_deadlock_arrived;
static volatile LONG g_arm_attach_hang;                    /* loaderlock: next DLL_THREAD_ATTACH blocks */
static HANDLE g_never;                                     /* an event nobody ever sets */
LAB_EXPORT volatile ULONG64 g_checksum;

LAB_EXPORT void CohoInit(void) {
    InitializeCriticalSection(&g_stock_lock);
    InitializeCriticalSection(&g_ledger_lock);
    InitializeCriticalSection(&g_catalog_lock);
    InitializeCriticalSection(&g_batch_lock);
    g_never = CreateEventA(NULL, TRUE, FALSE, NULL);
}

/* ---- deadlock: two threads take the same two locks in opposite order */
LAB_NOIPA void CohoMeetPartner(void) {
    InterlockedIncrement(&g_deadlock_arrived);
    while (g_deadlock_arrived < 2) Sleep(1);      /* both hold their first lock */
}
LAB_NOIPA void CohoUpdateLedger(int sku) {
    EnterCriticalSection(&g_ledger_lock);         /* blocks: owned by the CohoPostLedger thread */
    LeaveCriticalSection(&g_ledger_lock);
}
LAB_EXPORT int CohoTransferStock(int sku) {
    EnterCriticalSection(&g_stock_lock);
    CohoMeetPartner();
    CohoUpdateLedger(sku);
    LeaveCriticalSection(&g_stock_lock);
    return 0;
}
LAB_NOIPA void CohoReserveStock(int sku) {
    EnterCriticalSection(&g_stock_lock);          /* blocks: owned by the CohoTransferStock thread */
    LeaveCriticalSection(&g_stock_lock);
}
LAB_EXPORT int CohoPostLedger(int sku) {
    EnterCriticalSection(&g_ledger_lock);
    CohoMeetPartner();
    CohoReserveStock(sku);
    LeaveCriticalSection(&g_ledger_lock);
    return 0;
}

/* ---- blocked behind one owner: the owner sleeps inside the vendor DLL holding the catalog lock */
LAB_NOIPA void CohoWaitForBackend(void) {
    Sleep(INFINITE);                              /* "waiting for the catalog server" */
}
LAB_EXPORT int CohoRefreshCatalog(int n) {
    EnterCriticalSection(&g_catalog_lock);
    CohoWaitForBackend();
    LeaveCriticalSection(&g_catalog_lock);
    return 0;
}
LAB_EXPORT int CohoLookupItem(int sku) {
    EnterCriticalSection(&g_catalog_lock);        /* blocks behind CohoRefreshCatalog */
    LeaveCriticalSection(&g_catalog_lock);
    return sku;
}

/* ---- infinite waits on an event and on a mutex owned by another thread */
LAB_EXPORT DWORD CohoWaitForShipment(HANDLE shipped) {
    return WaitForSingleObject(shipped, INFINITE);   /* nobody ever sets it */
}
LAB_EXPORT DWORD CohoHoldInventory(HANDLE mutex) {
    DWORD r = WaitForSingleObject(mutex, INFINITE);  /* acquires it ... */
    WaitForSingleObject(g_never, INFINITE);          /* ... and waits forever holding it */
    return r;
}
LAB_EXPORT DWORD CohoCountInventory(HANDLE mutex) {
    return WaitForSingleObject(mutex, INFINITE);     /* blocks: owned by the CohoHoldInventory thread */
}

/* ---- orphaned critical section: the owner returns (and its thread exits) without leaving it */
LAB_EXPORT int CohoOpenBatch(int id) {
    EnterCriticalSection(&g_batch_lock);
    if (id > 0) return -1;                        /* "error path" forgets LeaveCriticalSection */
    LeaveCriticalSection(&g_batch_lock);
    return 0;
}
LAB_EXPORT int CohoCloseBatch(int id) {
    EnterCriticalSection(&g_batch_lock);          /* blocks forever: the owner is gone */
    LeaveCriticalSection(&g_batch_lock);
    return 0;
}

/* ---- CPU spin: a checksum loop that never ends */
LAB_EXPORT ULONG64 CohoComputeChecksum(int seed) {
    ULONG64 h = 1469598103934665603ULL ^ (ULONG64)seed;
    for (;;) {                                    /* the end condition is never met */
        h = (h ^ (h >> 7)) * 1099511628211ULL;
        g_checksum = h;
        if (h == 0) break;
    }
    return h;
}

/* ---- loader lock: a thread blocks inside DllMain(DLL_THREAD_ATTACH), holding the loader lock */
LAB_EXPORT DWORD CohoLoadPlugin(HANDLE go) {
    WaitForSingleObject(go, INFINITE);
    return LoadLibraryA("cohoplug.dll") != NULL;  /* blocks: the loader lock is held by the attaching thread */
}
LAB_EXPORT void CohoArmAttachHang(void) { InterlockedExchange(&g_arm_attach_hang, 1); }
LAB_NOIPA void CohoAttachThread(void) {
    if (InterlockedExchange(&g_arm_attach_hang, 0))
        WaitForSingleObject(g_never, INFINITE);   /* in DllMain: with the loader lock held */
}
BOOL WINAPI DllMain(HINSTANCE inst, DWORD reason, LPVOID reserved) {
    if (reason == DLL_THREAD_ATTACH) CohoAttachThread();
    return TRUE;
}
