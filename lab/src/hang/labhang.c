/* labhang.exe - host of the hang scenarios (lab/README.md, "Hang scenarios").
 * Usage: labhang.exe SCENARIO TRUTH.json READY.flag
 *   deadlock   two threads, two critical sections of cohosync.dll taken in opposite order
 *   blocked    20 worker threads in EnterCriticalSection behind one owner sleeping in cohosync.dll
 *   waits      one thread waits forever on an event, one on a mutex owned by a third thread
 *   orphaned   a critical section whose owner thread exited holding it, with one waiter
 *   spin       one thread spins forever in cohosync.dll
 *   loaderlock a new thread blocks in cohosync.dll's DllMain(DLL_THREAD_ATTACH) holding the loader
 *              lock (PEB.LoaderLock); another thread blocks in LoadLibraryA
 * Once every thread is in place it writes its ground truth (process and thread ids and roles,
 * every lock's address, owner, waiters, raw fields, handle values) as JSON to TRUTH.json, then
 * creates READY.flag and sleeps forever: the driver (lab/tools/lab.py hang) dumps it and kills it. */
#include "../common/lab.h"
#include <stdlib.h>

typedef int (*int_fn)(int);
typedef DWORD (*wait_fn)(HANDLE);
static HMODULE g_dll;
static FARPROC sym(const char *name) {
    FARPROC p = GetProcAddress(g_dll, name);
    if (!p) { printf("labhang: cohosync.dll!%s missing\n", name); ExitProcess(3); }
    return p;
}

/* ------------------------------------------------------------------ threads */
#define MAXT 64
static struct { DWORD tid; HANDLE h; const char *role, *state; int exited; } g_t[MAXT];
static int g_nt;
typedef struct { FARPROC fn; intptr_t arg; } job_t;
static volatile LONG g_started;

LAB_NOIPA DWORD WINAPI HangWorkerThread(LPVOID p) {
    job_t *j = p;
    InterlockedIncrement(&g_started);
    return (DWORD)((int (*)(intptr_t))j->fn)(j->arg);
}
static int spawn(const char *fn, intptr_t arg, const char *role, const char *state) {
    job_t *j = malloc(sizeof *j);
    j->fn = sym(fn); j->arg = arg;
    int i = g_nt++;
    g_t[i].role = role; g_t[i].state = state;
    g_t[i].h = CreateThread(NULL, 0, HangWorkerThread, j, 0, &g_t[i].tid);
    return i;
}
static void wait_started(int n) { while (g_started < n) Sleep(1); }

/* until the section has `waiters` threads queued (Wine: LockCount counts the waiters; an owned
 * section without waiters has 0; Windows encodes it differently), then let them reach the wait */
static void wait_queued(CRITICAL_SECTION *cs, int waiters) {
    for (int i = 0; i < 5000 && cs->LockCount < waiters; i++) Sleep(1);
    Sleep(300);
}

/* ------------------------------------------------------------------ truth */
static FILE *g_f;
static int g_first;
static void sep(void) { if (!g_first) fprintf(g_f, ",\n"); g_first = 0; }
static int tid_index(DWORD tid) { for (int i = 0; i < g_nt; i++) if (g_t[i].tid == tid) return i; return -1; }

static void cs_truth(const char *name, CRITICAL_SECTION *cs, const int *waiters, int nw, const char *note) {
    sep();
    DWORD owner = (DWORD)(uintptr_t)cs->OwningThread;
    fprintf(g_f, "    {\"kind\": \"critical_section\", \"name\": \"%s\", \"address\": \"0x%llx\", "
            "\"owner_tid\": %lu, \"owner_exited\": %s, \"waiter_tids\": [",
            name, (unsigned long long)(uintptr_t)cs, owner, tid_index(owner) >= 0 && g_t[tid_index(owner)].exited ? "true" : "false");
    for (int i = 0; i < nw; i++) fprintf(g_f, "%s%lu", i ? ", " : "", g_t[waiters[i]].tid);
    fprintf(g_f, "],\n     \"recursion_count\": %ld, \"lock_count_raw\": %ld, \"owning_thread_raw\": \"0x%llx\", "
            "\"lock_semaphore\": \"0x%llx\", \"spin_count\": \"0x%llx\", \"debug_info\": \"0x%llx\", \"size\": %u",
            cs->RecursionCount, cs->LockCount, (unsigned long long)(uintptr_t)cs->OwningThread,
            (unsigned long long)(uintptr_t)cs->LockSemaphore, (unsigned long long)cs->SpinCount,
            (unsigned long long)(uintptr_t)cs->DebugInfo, (unsigned)sizeof *cs);
    if (note) fprintf(g_f, ", \"note\": \"%s\"", note);
    fprintf(g_f, "}");
}
static void handle_truth(const char *kind, const char *name, HANDLE h, DWORD owner, const int *waiters, int nw) {
    sep();
    fprintf(g_f, "    {\"kind\": \"%s\", \"name\": \"%s\", \"handle\": \"0x%llx\", \"owner_tid\": ", kind, name,
            (unsigned long long)(uintptr_t)h);
    if (owner) fprintf(g_f, "%lu", owner); else fprintf(g_f, "null");
    fprintf(g_f, ", \"waiter_tids\": [");
    for (int i = 0; i < nw; i++) fprintf(g_f, "%s%lu", i ? ", " : "", g_t[waiters[i]].tid);
    fprintf(g_f, "], \"signaled\": false}");
}

int main(int argc, char **argv) {
    if (argc < 4) { printf("usage: labhang SCENARIO TRUTH.json READY.flag\n"); return 1; }
    const char *sc = argv[1];
    g_t[0].tid = GetCurrentThreadId(); g_t[0].role = "main";
    g_t[0].state = "Sleep(INFINITE) in labhang!main after writing the truth"; g_nt = 1;
    g_dll = LoadLibraryA("cohosync.dll");
    if (!g_dll) { printf("labhang: cannot load cohosync.dll: %lu\n", GetLastError()); return 2; }
    ((void (*)(void))sym("CohoInit"))();
    CRITICAL_SECTION *stock = (void *)sym("g_stock_lock"), *ledger = (void *)sym("g_ledger_lock");
    CRITICAL_SECTION *catalog = (void *)sym("g_catalog_lock"), *batch = (void *)sym("g_batch_lock");
    /* locks and handles are recorded after the threads are in place */
    int wa[32]; int nwa = 0;
    HANDLE ev = NULL, mx = NULL; int ev_waiter = -1, mx_owner = -1, mx_waiter = -1;
    HANDLE go = NULL; CRITICAL_SECTION *loader_lock = NULL;
    int a = -1, b = -1, owner = -1, orphan = -1, spinner = -1, ll_holder = -1, ll_waiter = -1;

    if (!strcmp(sc, "deadlock")) {
        a = spawn("CohoTransferStock", 11, "deadlock: holds g_stock_lock, waits for g_ledger_lock",
                  "EnterCriticalSection(g_ledger_lock) in cohosync!CohoUpdateLedger <- CohoTransferStock");
        b = spawn("CohoPostLedger", 12, "deadlock: holds g_ledger_lock, waits for g_stock_lock",
                  "EnterCriticalSection(g_stock_lock) in cohosync!CohoReserveStock <- CohoPostLedger");
        wait_started(2);
        wait_queued(stock, 1); wait_queued(ledger, 1);
    } else if (!strcmp(sc, "blocked")) {
        owner = spawn("CohoRefreshCatalog", 1, "owner of g_catalog_lock, sleeping inside the vendor DLL",
                      "Sleep(INFINITE) in cohosync!CohoWaitForBackend <- CohoRefreshCatalog");
        wait_started(1);
        while (!catalog->OwningThread) Sleep(1);
        for (int i = 0; i < 20; i++)
            wa[nwa++] = spawn("CohoLookupItem", 100 + i, "worker blocked on g_catalog_lock",
                              "EnterCriticalSection(g_catalog_lock) in cohosync!CohoLookupItem");
        wait_started(21);
        wait_queued(catalog, 20);
    } else if (!strcmp(sc, "waits")) {
        ev = CreateEventA(NULL, TRUE, FALSE, "Local\\CohoShipmentReady");
        mx = CreateMutexA(NULL, FALSE, "Local\\CohoInventoryMutex");
        ev_waiter = spawn("CohoWaitForShipment", (intptr_t)ev, "waits forever on an event nobody sets",
                          "WaitForSingleObject(event, INFINITE) in cohosync!CohoWaitForShipment");
        mx_owner = spawn("CohoHoldInventory", (intptr_t)mx, "owns the mutex, waits forever on an unnamed event",
                         "WaitForSingleObject(unnamed event, INFINITE) in cohosync!CohoHoldInventory");
        wait_started(2); Sleep(200);
        mx_waiter = spawn("CohoCountInventory", (intptr_t)mx, "waits forever on the mutex",
                          "WaitForSingleObject(mutex, INFINITE) in cohosync!CohoCountInventory");
        wait_started(3); Sleep(300);
    } else if (!strcmp(sc, "orphaned")) {
        orphan = spawn("CohoOpenBatch", 1, "entered g_batch_lock and exited without leaving it", "exited");
        WaitForSingleObject(g_t[orphan].h, INFINITE);
        g_t[orphan].exited = 1;
        wa[nwa++] = spawn("CohoCloseBatch", 1, "waits for g_batch_lock, whose owner has exited",
                          "EnterCriticalSection(g_batch_lock) in cohosync!CohoCloseBatch");
        wait_started(2);
        wait_queued(batch, 1);
    } else if (!strcmp(sc, "spin")) {
        spinner = spawn("CohoComputeChecksum", 5, "spins on the CPU forever",
                        "running: loop in cohosync!CohoComputeChecksum");
        wait_started(1); Sleep(500);
    } else if (!strcmp(sc, "loaderlock")) {
        go = CreateEventA(NULL, TRUE, FALSE, NULL);
        /* the LoadLibrary thread starts before the hang is armed (a thread created afterwards would
         * block at start-up, in its own DLL_THREAD_ATTACH, before reaching LoadLibrary) */
        ll_waiter = spawn("CohoLoadPlugin", (intptr_t)go, "waits for the loader lock in LoadLibraryA(cohoplug.dll)",
                          "LoadLibraryA in cohosync!CohoLoadPlugin: loader lock (PEB.LoaderLock) held by the attaching thread");
        wait_started(1); Sleep(100);
        ((void (*)(void))sym("CohoArmAttachHang"))();
        ll_holder = g_nt++;
        g_t[ll_holder].role = "holds the loader lock: blocks inside cohosync!DllMain(DLL_THREAD_ATTACH) during its start-up";
        g_t[ll_holder].state = "WaitForSingleObject(unnamed event, INFINITE) in cohosync!CohoAttachThread <- DllMain <- loader (thread never reaches its start routine)";
        g_t[ll_holder].h = CreateThread(NULL, 0, HangWorkerThread, NULL, 0, &g_t[ll_holder].tid);
        loader_lock = *(CRITICAL_SECTION **)((char *)((void **)NtCurrentTeb())[12] /* TEB.ProcessEnvironmentBlock */ + (sizeof(void *) == 8 ? 0x110 : 0xa0));
        for (int i = 0; i < 5000 && !loader_lock->OwningThread; i++) Sleep(1);
        SetEvent(go);
        wait_queued(loader_lock, 1);
    } else { printf("labhang: unknown scenario %s\n", sc); return 1; }

    g_f = fopen(argv[2], "w");
    if (!g_f) { printf("labhang: cannot write %s\n", argv[2]); return 4; }
    fprintf(g_f, "{\n  \"scenario\": \"%s\",\n  \"pid\": %lu,\n  \"pointer_size\": %u,\n  \"cohosync_base\": \"0x%llx\",\n  \"threads\": [\n",
            sc, GetCurrentProcessId(), (unsigned)sizeof(void *), (unsigned long long)(uintptr_t)g_dll);
    g_first = 1;
    for (int i = 0; i < g_nt; i++) {
        sep();
        fprintf(g_f, "    {\"tid\": %lu, \"role\": \"%s\", \"state\": \"%s\", \"exited\": %s}",
                g_t[i].tid, g_t[i].role, g_t[i].state, g_t[i].exited ? "true" : "false");
    }
    fprintf(g_f, "\n  ],\n  \"locks\": [\n");
    g_first = 1;
    if (a >= 0) {
        int wb[1] = { b }, wA[1] = { a };
        cs_truth("cohosync!g_stock_lock", stock, wb, 1, NULL);
        cs_truth("cohosync!g_ledger_lock", ledger, wA, 1, NULL);
    }
    if (owner >= 0) cs_truth("cohosync!g_catalog_lock", catalog, wa, nwa, NULL);
    if (orphan >= 0) cs_truth("cohosync!g_batch_lock", batch, wa, nwa, "the owner thread has exited: not in the dump's thread list");
    if (loader_lock) {
        int w[1] = { ll_waiter };
        cs_truth("ntdll loader lock (PEB.LoaderLock)", loader_lock, w, 1, "Wine's loader_section; the name is not cohosync's");
    }
    if (ev) {
        int w1[1] = { ev_waiter }, w2[1] = { mx_waiter };
        handle_truth("event", "Local\\\\CohoShipmentReady", ev, 0, w1, 1);
        handle_truth("mutex", "Local\\\\CohoInventoryMutex", mx, g_t[mx_owner].tid, w2, 1);
    }
    fprintf(g_f, "\n  ]\n}\n");
    fclose(g_f);
    (void)spinner; (void)go;
    CloseHandle(CreateFileA(argv[3], GENERIC_WRITE, 0, NULL, CREATE_ALWAYS, FILE_ATTRIBUTE_NORMAL, NULL));
    Sleep(INFINITE);
    return 0;
}
