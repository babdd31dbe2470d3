/* labmem.exe - host of the memory scenarios (lab/README.md, "Memory scenarios").
 * Usage: labmem.exe SCENARIO TRUTH.json READY.flag
 *   fragment    (x86) reserves the whole 2 GB address space in 1 MB blocks, frees every other one
 *               and commits a page of each kept one: ~1 GB free, no free region of 64 MB; then
 *               alpsnow!AlpLoadSnowGrid HeapAlloc()s 64 MB, gets NULL and writes through it
 *   commit      (x64) alpsnow!AlpBuildForecastCube HeapAlloc()s more than the commit limit (RAM +
 *               swap: Linux's overcommit heuristic is the commit limit under Wine) from a
 *               HEAP_GENERATE_EXCEPTIONS heap while the address space has terabytes free:
 *               STATUS_NO_MEMORY
 *   heapleak    alpsnow!AlpCacheSnowReport leaks 64 KB blocks (a private heap and the process heap)
 *               until 1.25 GB (x86) / 4.5 GB (x64) are held; dumped live, no exception
 *   handleleak  alpsnow.dll opens 6000 handles to one named event, 1500 unnamed mutexes and 700 file
 *               handles and closes none; dumped live with HandleData
 *   badalloc    alpsnow!AlpResizeRunMap's operator new fails for real (malloc of more than the address
 *               space) and throws std::bad_alloc the MSVC way (0xE06D7363); nobody catches it
 * Before the failing call (or before READY.flag) the program writes its own ground truth to
 * TRUTH.json: what it allocated, handle counts by type, the failed allocation's size, the address
 * space as VirtualQuery sees it (free total, largest free region, fragments), GetProcessMemoryInfo. */
#include "../common/lab.h"
#include <psapi.h>
#include <stdlib.h>
#include <winternl.h>

static HMODULE g_dll;
static void *sym(const char *name) {
    FARPROC p = GetProcAddress(g_dll, name);
    if (!p) { printf("labmem: alpsnow.dll!%s missing\n", name); ExitProcess(3); }
    return (void *)p;
}
static FILE *g_f;
#define U64(x) ((unsigned long long)(x))
#define UP(x) ((unsigned long long)(uintptr_t)(x))

/* ---- the address space as the program sees it (VirtualQuery over the user range) */
static void space_truth(void) {
    SYSTEM_INFO si; GetSystemInfo(&si);
    ULONGLONG free_total = 0, largest = 0, largest_base = 0, frag_n = 0, frag_b = 0, commit = 0, reserve = 0, n = 0;
    MEMORY_BASIC_INFORMATION m;
    for (char *a = 0; VirtualQuery(a, &m, sizeof m) == sizeof m; a = (char *)m.BaseAddress + m.RegionSize) {
        n++;
        if (m.State == MEM_FREE) {
            free_total += m.RegionSize;
            if (m.RegionSize > largest) { largest = m.RegionSize; largest_base = (ULONG_PTR)m.BaseAddress; }
            if (m.RegionSize < (1 << 20)) { frag_n++; frag_b += m.RegionSize; }
        } else if (m.State == MEM_COMMIT) commit += m.RegionSize;
        else reserve += m.RegionSize;
        if ((ULONG_PTR)m.BaseAddress + m.RegionSize <= (ULONG_PTR)m.BaseAddress) break;
    }
    PROCESS_MEMORY_COUNTERS_EX pmc; memset(&pmc, 0, sizeof pmc);
    GetProcessMemoryInfo(GetCurrentProcess(), (PROCESS_MEMORY_COUNTERS *)&pmc, sizeof pmc);
    MEMORYSTATUSEX ms; ms.dwLength = sizeof ms; GlobalMemoryStatusEx(&ms);
    fprintf(g_f, "  \"address_space\": {\"regions\": %llu, \"free_total\": %llu, \"largest_free\": {\"base\": \"0x%llx\", \"size\": %llu}, "
            "\"free_below_1mb\": {\"regions\": %llu, \"bytes\": %llu}, \"committed\": %llu, \"reserved\": %llu, "
            "\"max_application_address\": \"0x%llx\"},\n",
            n, free_total, largest_base, largest, frag_n, frag_b, commit, reserve, UP(si.lpMaximumApplicationAddress));
    fprintf(g_f, "  \"process_memory\": {\"private_usage\": %llu, \"pagefile_usage\": %llu, \"working_set\": %llu},\n",
            U64(pmc.PrivateUsage), U64(pmc.PagefileUsage), U64(pmc.WorkingSetSize));
    fprintf(g_f, "  \"system_memory\": {\"total_phys\": %llu, \"commit_limit\": %llu, \"commit_available\": %llu, "
            "\"total_virtual\": %llu, \"available_virtual\": %llu},\n",
            U64(ms.ullTotalPhys), U64(ms.ullTotalPageFile), U64(ms.ullAvailPageFile), U64(ms.ullTotalVirtual), U64(ms.ullAvailVirtual));
}
static void truth_open(const char *path, const char *sc) {
    g_f = fopen(path, "w");
    if (!g_f) { printf("labmem: cannot write %s\n", path); ExitProcess(4); }
    fprintf(g_f, "{\n  \"scenario\": \"%s\",\n  \"pid\": %lu,\n  \"tid\": %lu,\n  \"pointer_size\": %u,\n  \"alpsnow_base\": \"0x%llx\",\n",
            sc, GetCurrentProcessId(), GetCurrentThreadId(), (unsigned)sizeof(void *), UP(g_dll));
}
static void truth_close(void) {
    DWORD c = 0;
    GetProcessHandleCount(GetCurrentProcess(), &c);
    fprintf(g_f, "  \"handle_count\": %lu\n}\n", c);
    fclose(g_f); g_f = NULL;
}
static void ready(const char *flag) {
    CloseHandle(CreateFileA(flag, GENERIC_WRITE, 0, NULL, CREATE_ALWAYS, FILE_ATTRIBUTE_NORMAL, NULL));
    Sleep(INFINITE);
}

/* ---- fragment */
#define BLOCK (1u << 20)
static int fragment(const char *truth) {
    static void *blocks[8192]; int n = 0, kept = 0, freed = 0;
    while (n < 8192 && (blocks[n] = VirtualAlloc(NULL, BLOCK, MEM_RESERVE, PAGE_NOACCESS))) n++;
    static void *small[4096]; int ns = 0;   /* the gaps below 1 MB, so that no larger hole is left */
    while (ns < 4096 && (small[ns] = VirtualAlloc(NULL, 0x10000, MEM_RESERVE, PAGE_NOACCESS))) ns++;
    for (int i = 0; i < n; i++) {
        if (i % 2) { VirtualFree(blocks[i], 0, MEM_RELEASE); blocks[i] = NULL; freed++; }
        else { VirtualAlloc(blocks[i], 0x1000, MEM_COMMIT, PAGE_READWRITE); kept++; }
    }
    SIZE_T want = 64u << 20;
    truth_open(truth, "fragment");
    fprintf(g_f, "  \"blocks\": {\"size\": %u, \"reserved\": %d, \"released\": %d, \"kept\": %d, \"committed_per_kept\": 4096, "
            "\"gap_fillers_64k\": %d, \"released_bytes\": %llu},\n", BLOCK, n, freed, kept, ns, U64(freed) * BLOCK);
    fprintf(g_f, "  \"failed_allocation\": {\"api\": \"HeapAlloc(GetProcessHeap(), 0, size)\", \"size\": %llu, "
            "\"function\": \"alpsnow!AlpAllocGrid\", \"caller\": \"alpsnow!AlpLoadSnowGrid\", \"result\": \"NULL\", "
            "\"fault_address\": \"0x%x\", \"fault_access\": \"write\"},\n", U64(want), 0xc /* offsetof(SnowGrid, resort_id) */);
    space_truth();
    truth_close();
    return ((int (*)(int, SIZE_T))sym("AlpLoadSnowGrid"))(7, want);
}

/* ---- commit: more than the commit limit, far less than the free address space */
static int commit(const char *truth) {
    MEMORYSTATUSEX ms; ms.dwLength = sizeof ms; GlobalMemoryStatusEx(&ms);
    ULONGLONG want = 64ull << 30;
    while (want <= 2 * ms.ullTotalPageFile) want *= 2;
    truth_open(truth, "commit");
    fprintf(g_f, "  \"failed_allocation\": {\"api\": \"HeapAlloc(HeapCreate(HEAP_GENERATE_EXCEPTIONS, 0, 0), HEAP_GENERATE_EXCEPTIONS, size)\", "
            "\"size\": %llu, \"function\": \"alpsnow!AlpBuildForecastCube\", \"result\": \"STATUS_NO_MEMORY raised\", "
            "\"why\": \"more than the commit limit (Wine: RAM + swap, Linux's overcommit heuristic refuses the mapping); the address space has far more free\"},\n", want);
    space_truth();
    truth_close();
    HANDLE h = NULL;
    void *p = ((void *(*)(SIZE_T, HANDLE *))sym("AlpBuildForecastCube"))((SIZE_T)want, &h);
    printf("labmem: commit: allocation of %llu bytes succeeded at %p (no commit limit here)\n", want, p);
    return 5;
}

/* ---- heapleak */
/* one heap as HeapWalk sees it: regions (segments), committed and uncommitted bytes, busy blocks */
static void heap_walk_truth(HANDLE h, const char *kind, ULONGLONG blocks, ULONGLONG bytes, int last) {
    PROCESS_HEAP_ENTRY e; e.lpData = NULL;
    ULONGLONG regions = 0, committed = 0, uncommitted = 0, busy = 0, busy_bytes = 0;
    static ULONGLONG bases[256]; int nb = 0;
    HeapLock(h);
    while (HeapWalk(h, &e)) {
        if (e.wFlags & PROCESS_HEAP_REGION) {
            regions++; committed += e.Region.dwCommittedSize; uncommitted += e.Region.dwUnCommittedSize;
            if (nb < 256) bases[nb++] = UP(e.lpData);
        }
        else if (e.wFlags & PROCESS_HEAP_ENTRY_BUSY) { busy++; busy_bytes += e.cbData; }
    }
    HeapUnlock(h);
    fprintf(g_f, "    {\"handle\": \"0x%llx\", \"kind\": \"%s\", \"blocks\": %llu, \"bytes\": %llu, "
            "\"heapwalk\": {\"regions\": %llu, \"committed\": %llu, \"uncommitted\": %llu, \"busy_blocks\": %llu, \"busy_bytes\": %llu, "
            "\"region_bases\": [", UP(h), kind, blocks, bytes, regions, committed, uncommitted, busy, busy_bytes);
    for (int i = 0; i < nb; i++) fprintf(g_f, "%s\"0x%llx\"", i ? ", " : "", bases[i]);
    fprintf(g_f, "]}}%s\n", last ? "" : ",");
}

static int heapleak(const char *truth, const char *flag) {
    SIZE_T block = 64 * 1024;
    ULONGLONG target = sizeof(void *) == 8 ? (4608ull << 20) : (1280ull << 20);
    void *(*cache)(int, SIZE_T, int) = (void *)sym("AlpCacheSnowReport");
    HANDLE report = ((HANDLE (*)(void))sym("AlpReportHeap"))();
    ULONGLONG n_proc = 0, n_rep = 0, failed = 0;
    for (int i = 0; (n_proc + n_rep) * block < target; i++) {
        int on_proc = i % 4 == 0;
        if (!cache(i, block, on_proc)) { failed++; if (failed > 16) break; continue; }
        if (on_proc) n_proc++; else n_rep++;
    }
    truth_open(truth, "heapleak");
    fprintf(g_f, "  \"leak\": {\"function\": \"alpsnow!AlpCacheSnowReport\", \"block_size\": %llu, \"failed_calls\": %llu, "
            "\"bytes\": %llu, \"heaps\": [\n", U64(block), failed, (n_proc + n_rep) * block);
    heap_walk_truth(GetProcessHeap(), "process heap (GetProcessHeap)", n_proc, n_proc * block, 0);
    heap_walk_truth(report, "private heap (alpsnow!AlpReportHeap: HeapCreate(0, 0, 0))", n_rep, n_rep * block, 1);
    fprintf(g_f, "  ]},\n");
    space_truth();
    truth_close();
    ready(flag);
    return 0;
}

/* ---- handleleak */
typedef struct { ULONG len; const char *label; HANDLE first; } kind_t;
static void type_name(HANDLE h, char *out, size_t n) {
    union { PUBLIC_OBJECT_TYPE_INFORMATION t; unsigned char raw[1024]; } q; ULONG r;
    out[0] = 0;
    if (NtQueryObject(h, ObjectTypeInformation, &q, sizeof q, &r) == 0)
        snprintf(out, n, "%.*ls", (int)(q.t.TypeName.Length / 2), q.t.TypeName.Buffer);
}
/* the process's own handles by type, probing handle values (GetProcessHandleCount is 0 in Wine) */
#define MAXTYPES 32
static char g_tn[MAXTYPES][64]; static int g_tc[MAXTYPES], g_ntypes;
static void count_own_handles(void) {
    g_ntypes = 0;
    for (uintptr_t v = 4; v < 0x10000; v += 4) {
        char tn[64]; type_name((HANDLE)v, tn, sizeof tn);
        if (!tn[0]) continue;
        int i = 0;
        while (i < g_ntypes && strcmp(g_tn[i], tn)) i++;
        if (i == g_ntypes && g_ntypes < MAXTYPES) { strcpy(g_tn[g_ntypes], tn); g_tc[g_ntypes++] = 0; }
        if (i < MAXTYPES) g_tc[i]++;
    }
}
static int handleleak(const char *truth, const char *flag) {
    count_own_handles();
    int before = 0;
    for (int i = 0; i < g_ntypes; i++) before += g_tc[i];
    HANDLE (*gate)(void) = (void *)sym("AlpOpenLiftGate");
    HANDLE (*lock)(void) = (void *)sym("AlpLockLift");
    HANDLE (*logf)(const char *) = (void *)sym("AlpOpenTicketLog");
    static const struct { const char *what, *name; int count; } plan[3] = {
        { "event", "Local\\\\AlpineLiftGate", 6000 }, { "mutex", NULL, 1500 }, { "file", "tickets.log", 700 } };
    int opened[3] = { 0 }; HANDLE first[3] = { 0 };
    for (int k = 0; k < 3; k++)
        for (int i = 0; i < plan[k].count; i++) {
            HANDLE h = k == 0 ? gate() : k == 1 ? lock() : logf("tickets.log");
            if (h && h != INVALID_HANDLE_VALUE) { opened[k]++; if (!first[k]) first[k] = h; }
        }
    truth_open(truth, "handleleak");
    fprintf(g_f, "  \"handles_before\": %d,\n  \"types_before\": {", before);
    for (int i = 0; i < g_ntypes; i++) fprintf(g_f, "%s\"%s\": %d", i ? ", " : "", g_tn[i], g_tc[i]);
    fprintf(g_f, "},\n  \"leaked\": [\n");
    for (int k = 0; k < 3; k++) {
        char tn[128]; type_name(first[k], tn, sizeof tn);
        fprintf(g_f, "    {\"what\": \"%s\", \"type_name\": \"%s\", \"opened\": %d, \"first_handle\": \"0x%llx\", \"name\": ",
                plan[k].what, tn, opened[k], UP(first[k]));
        if (plan[k].name) fprintf(g_f, "\"%s\"}", plan[k].name); else fprintf(g_f, "null}");
        fprintf(g_f, "%s\n", k < 2 ? "," : "");
    }
    fprintf(g_f, "  ],\n");
    space_truth();
    truth_close();
    ready(flag);
    return 0;
}

/* ---- badalloc */
static int badalloc(const char *truth) {
    SIZE_T want = sizeof(void *) == 8 ? ((SIZE_T)1 << 46) : (SIZE_T)0xC0000000u;
    truth_open(truth, "badalloc");
    fprintf(g_f, "  \"failed_allocation\": {\"api\": \"malloc in alpsnow!AlpOperatorNew (operator new)\", \"size\": %llu, "
            "\"result\": \"NULL, then throw std::bad_alloc (MSVC encoding)\", \"exception_code\": \"0xe06d7363\", "
            "\"thrown_type\": \".?AVbad_alloc@std@@\", \"catchable_types\": [\".?AVbad_alloc@std@@\", \".?AVexception@std@@\"]},\n", U64(want));
    space_truth();
    truth_close();
    return ((int (*)(SIZE_T))sym("AlpResizeRunMap"))(want);
}

int main(int argc, char **argv) {
    if (argc < 4) { printf("usage: labmem SCENARIO TRUTH.json READY.flag\n"); return 1; }
    const char *sc = argv[1];
    HANDLE stop = CreateEventA(NULL, TRUE, FALSE, NULL);
    CloseHandle(CreateThread(NULL, 0, LabIdleThreadProc, stop, 0, NULL));
    g_dll = LoadLibraryA("alpsnow.dll");
    if (!g_dll) { printf("labmem: cannot load alpsnow.dll: %lu\n", GetLastError()); return 2; }
    if (!strcmp(sc, "fragment")) return fragment(argv[2]);
    if (!strcmp(sc, "commit")) return commit(argv[2]);
    if (!strcmp(sc, "heapleak")) return heapleak(argv[2], argv[3]);
    if (!strcmp(sc, "handleleak")) return handleleak(argv[2], argv[3]);
    if (!strcmp(sc, "badalloc")) return badalloc(argv[2]);
    printf("labmem: unknown scenario %s\n", sc);
    return 1;
}
