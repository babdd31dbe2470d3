/*
 * labdump - a small ProcDump-like out-of-process minidump writer for the coroner crash lab.
 *
 *   labdump.exe -o OUT.dmp [-e CODE|any] [-n N] [-c COMMENT] [-t TYPE] [-m full] [-R] [-v]
 *               [-x all|stack] (-f CMDLINE_FILE | -- PROGRAM [ARGS...])
 *
 * -m full writes a full-memory dump as DebugDiag and `procdump -ma` do (MiniDumpWithFullMemory |
 * MiniDumpWithFullMemoryInfo | MiniDumpWithHandleData | MiniDumpWithThreadInfo): Wine's dbghelp
 * then writes every committed page into a Memory64List, so the memory-list rewrite below is
 * skipped (the streams are added all the same).
 *
 * Starts PROGRAM under the debugger API (DEBUG_ONLY_THIS_PROCESS), skips the loader breakpoint and
 * writes a minidump with MiniDumpWriteDump
 *   - at the second-chance exception (default), or
 *   - at the N-th first-chance exception with code CODE (-e c00000fd, -e any), falling back to the
 *     second chance if that comes first.
 * Then it terminates the target.
 *
 * Wine's dbghelp omits much of what Windows' dbghelp writes (see /work/shared/lab/WINE-NOTES.md),
 * so unless -R is given the dumper post-processes the written file while the target is still
 * stopped, keeping the format valid:
 *   - appends a new MemoryList (old ranges + PEB, process parameters and their strings, PEB_LDR_DATA
 *     and loader entries, the ProcessHeaps array and heap headers, every TEB, and for every module
 *     its PE header page, export directory (-x stack: only for modules referenced from a thread stack
 *     or holding the exception address, else just IMAGE_EXPORT_DIRECTORY), the resource directory
 *     path to and data of VS_VERSIONINFO/manifest resources,
 *     debug directory + CodeView data and (x64) the .pdata exception directory);
 *   - adds MemoryInfoList, ThreadInfoList, HandleData, UnloadedModuleList and CommentStreamA streams;
 *   - fills empty module CvRecords from the image's CodeView debug entry;
 *   - adds process times to the MiscInfo stream (MINIDUMP_MISC1_PROCESS_TIMES);
 *   - writes a new stream directory at the end of the file and points the header at it.
 * Every event seen is printed to stdout as one "event ..." line (used by lab/tools/lab.py), and
 * after the dump the faulting thread is walked with StackWalk64 ("event frame ..." lines; -W: no walk).
 */
#define _WIN32_WINNT 0x0601
#include <windows.h>
#include <dbghelp.h>
#include <psapi.h>
#include <winternl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdint.h>

#ifdef _WIN64
#define PTRSZ 8
#else
#define PTRSZ 4
#endif

typedef NTSTATUS (NTAPI *pNtQIP)(HANDLE, ULONG, PVOID, ULONG, PULONG);
typedef NTSTATUS (NTAPI *pNtQIT)(HANDLE, ULONG, PVOID, ULONG, PULONG);
typedef NTSTATUS (NTAPI *pNtQSI)(ULONG, PVOID, ULONG, PULONG);
typedef NTSTATUS (NTAPI *pNtQO)(HANDLE, ULONG, PVOID, ULONG, PULONG);
typedef void (NTAPI *pRtlGUET)(PULONG *, PULONG *, PVOID *);

static pNtQIP NtQIP; static pNtQIT NtQIT; static pNtQSI NtQSI; static pNtQO NtQO;

/* ------------------------------------------------------------------ small helpers */
typedef struct { unsigned char *p; size_t n, cap; } buf_t;
static void bput(buf_t *b, const void *d, size_t n) {
    if (b->n + n > b->cap) {
        size_t c = b->cap ? b->cap : 65536;
        while (c < b->n + n) c *= 2;
        b->p = realloc(b->p, c); b->cap = c;
    }
    if (d) memcpy(b->p + b->n, d, n); else memset(b->p + b->n, 0, n);
    b->n += n;
}
static void balign(buf_t *b, size_t a) { while (b->n % a) bput(b, "\0", 1); }
static uint32_t rd32(const unsigned char *p) { uint32_t v; memcpy(&v, p, 4); return v; }
static uint64_t rd64(const unsigned char *p) { uint64_t v; memcpy(&v, p, 8); return v; }
static void wr32(unsigned char *p, uint32_t v) { memcpy(p, &v, 4); }
static void wr64(unsigned char *p, uint64_t v) { memcpy(p, &v, 8); }

static HANDLE g_proc;
static int rpm(uint64_t addr, void *dst, size_t n) {
    SIZE_T got = 0;
    if (!addr) return 0;
    return ReadProcessMemory(g_proc, (LPCVOID)(uintptr_t)addr, dst, n, &got) && got == n;
}
static uint64_t rptr(uint64_t addr) {
    uint64_t v = 0;
    if (!rpm(addr, &v, PTRSZ)) return 0;
    return v;
}

/* ------------------------------------------------------------------ range collection */
typedef struct { uint64_t a, b; uint32_t rva; } rng_t;   /* [a,b) ; rva for old ranges */
typedef struct { rng_t *v; size_t n, cap; } rvec_t;
static void radd(rvec_t *r, uint64_t a, uint64_t size, uint32_t rva) {
    if (!a || !size || size > 0x4000000) return;
    if (r->n == r->cap) { r->cap = r->cap ? r->cap * 2 : 1024; r->v = realloc(r->v, r->cap * sizeof(rng_t)); }
    r->v[r->n].a = a; r->v[r->n].b = a + size; r->v[r->n].rva = rva; r->n++;
}
static int rcmp(const void *x, const void *y) {
    const rng_t *p = x, *q = y;
    return p->a < q->a ? -1 : p->a > q->a ? 1 : (p->b < q->b ? -1 : p->b > q->b);
}
static void rmerge(rvec_t *r) {   /* sort and merge overlapping or adjacent ranges */
    size_t i, o = 0;
    if (!r->n) return;
    qsort(r->v, r->n, sizeof(rng_t), rcmp);
    for (i = 1; i < r->n; i++) {
        if (r->v[i].a <= r->v[o].b) { if (r->v[i].b > r->v[o].b) r->v[o].b = r->v[i].b; }
        else r->v[++o] = r->v[i];
    }
    r->n = o + 1;
}

static rvec_t g_want;      /* extra ranges requested */
static int g_verbose;
#define WANT(a, n) radd(&g_want, (a), (n), 0)

static void want_ustr(uint64_t us) {   /* UNICODE_STRING at us (native layout) */
    unsigned char t[16];
    if (!rpm(us, t, 2 * 2 + PTRSZ * (PTRSZ == 8 ? 2 : 1))) return;
    uint16_t len = *(uint16_t *)t, max = *(uint16_t *)(t + 2);
    uint64_t p = PTRSZ == 8 ? rd64(t + 8) : rd32(t + 4);
    uint32_t n = max > len ? max : (uint32_t)len + 2;
    if (p && n) WANT(p, n);
}

/* ------------------------------------------------------------------ PE images */
static void want_resources(uint64_t base, uint32_t rva, uint32_t size) {
    if (!rva || !size) return;
    if (size > 8 * 1024 * 1024) size = 8 * 1024 * 1024;
    unsigned char *r = malloc(size);
    if (!rpm(base + rva, r, size)) { free(r); WANT(base + rva, 16); return; }
    /* iterative walk: (offset, level, type) */
    struct { uint32_t off; int level; uint32_t type; } st[512]; int sp = 0;
    st[sp].off = 0; st[sp].level = 0; st[sp].type = 0; sp++;
    while (sp) {
        sp--; uint32_t off = st[sp].off; int level = st[sp].level; uint32_t type = st[sp].type;
        if (off + 16 > size) continue;
        uint32_t n = *(uint16_t *)(r + off + 12) + *(uint16_t *)(r + off + 14);
        if (off + 16 + n * 8 > size) continue;
        WANT(base + rva + off, 16 + n * 8);
        for (uint32_t i = 0; i < n; i++) {
            uint32_t name = rd32(r + off + 16 + i * 8), data = rd32(r + off + 20 + i * 8);
            uint32_t t = level == 0 ? name : type;
            if (name & 0x80000000u) {
                uint32_t so = name & 0x7fffffffu;
                if (so + 2 <= size) WANT(base + rva + so, 2 + 2 * *(uint16_t *)(r + so));
            }
            if (level == 0 && t != 16 /*RT_VERSION*/ && t != 24 /*RT_MANIFEST*/) continue;   /* only these subtrees */
            if (data & 0x80000000u) {
                if (sp < 512 && level < 3) { st[sp].off = data & 0x7fffffffu; st[sp].level = level + 1; st[sp].type = t; sp++; }
            } else if (data + 16 <= size) {
                WANT(base + rva + data, 16);
                uint32_t drva = rd32(r + data), dsz = rd32(r + data + 4);
                if ((t == 16 /*RT_VERSION*/ || t == 24 /*RT_MANIFEST*/) && dsz < 1024 * 1024) WANT(base + drva, dsz);
            }
        }
    }
    free(r);
}

typedef struct { uint32_t rva, size; } ddir_t;
static int pe_dirs(uint64_t base, ddir_t dd[16], uint32_t *sizeofheaders) {
    unsigned char h[4096];
    if (!rpm(base, h, sizeof h)) return 0;
    if (h[0] != 'M' || h[1] != 'Z') return 0;
    uint32_t lfa = rd32(h + 0x3c);
    if (lfa > 4096 - 0x108 || rd32(h + lfa) != 0x4550) return 0;
    uint16_t magic = *(uint16_t *)(h + lfa + 24);
    uint32_t opt = lfa + 24, ndd, ddo;
    if (magic == 0x20b) { ndd = rd32(h + opt + 108); ddo = opt + 112; }
    else if (magic == 0x10b) { ndd = rd32(h + opt + 92); ddo = opt + 96; }
    else return 0;
    *sizeofheaders = rd32(h + opt + 60);
    memset(dd, 0, 16 * sizeof(ddir_t));
    for (uint32_t i = 0; i < ndd && i < 16 && ddo + i * 8 + 8 <= sizeof h; i++) {
        dd[i].rva = rd32(h + ddo + i * 8); dd[i].size = rd32(h + ddo + i * 8 + 4);
    }
    return 1;
}

static const char *g_trigger = "hang";   /* -T: why a live process is dumped (comment text) */
static int g_exports_all = 1;   /* -x all (default) | -x stack */
static void want_module(uint64_t base, uint32_t imgsize, int on_stack) {
    ddir_t dd[16]; uint32_t soh = 0;
    WANT(base, 0x1000);
    if (!pe_dirs(base, dd, &soh)) return;
    if (soh > 0x1000 && soh < 0x10000) WANT(base, soh);
#define INIMG(i) (dd[i].rva && dd[i].size && dd[i].rva < imgsize && dd[i].size <= imgsize)
    if (INIMG(0)) {                                                 /* exports */
        if (g_exports_all || on_stack) WANT(base + dd[0].rva, dd[0].size);
        else {                          /* just IMAGE_EXPORT_DIRECTORY and the DLL name */
            unsigned char ed[40];
            WANT(base + dd[0].rva, 40);
            if (rpm(base + dd[0].rva, ed, 40) && rd32(ed + 12) < imgsize) WANT(base + rd32(ed + 12), 64);
        }
    }
    if (INIMG(2)) want_resources(base, dd[2].rva, dd[2].size);      /* resources */
#ifdef _WIN64
    if (INIMG(3)) WANT(base + dd[3].rva, dd[3].size);               /* .pdata */
#endif
    if (INIMG(6)) {                                                 /* debug directory */
        WANT(base + dd[6].rva, dd[6].size);
        unsigned char e[28];
        for (uint32_t o = 0; o + 28 <= dd[6].size && o < 28 * 16; o += 28)
            if (rpm(base + dd[6].rva + o, e, 28)) {
                uint32_t sz = rd32(e + 16), rva = rd32(e + 20);
                if (rva && sz && sz < 65536 && rva < imgsize) WANT(base + rva, sz);
            }
    }
}

/* CodeView record of a module's image (for empty CvRecords) */
static int module_cv(uint64_t base, unsigned char *out, uint32_t *outn) {
    ddir_t dd[16]; uint32_t soh; unsigned char e[28];
    if (!pe_dirs(base, dd, &soh) || !dd[6].rva) return 0;
    for (uint32_t o = 0; o + 28 <= dd[6].size && o < 28 * 16; o += 28) {
        if (!rpm(base + dd[6].rva + o, e, 28)) return 0;
        uint32_t type = rd32(e + 12), sz = rd32(e + 16), rva = rd32(e + 20);
        if (type == 2 && sz >= 24 && sz <= 1024 && rpm(base + rva, out, sz)) { *outn = sz; return 1; }
    }
    return 0;
}

/* ------------------------------------------------------------------ process-wide memory */
#ifdef _WIN64
enum { PEB_LDR = 0x18, PEB_PARAMS = 0x20, PEB_HEAP = 0x30, PEB_NHEAPS = 0xe8, PEB_MAXHEAPS = 0xec, PEB_HEAPS = 0xf0,
       PEB_SIZE = 0x7d0, TEB_SIZE = 0x2000, PP_SIZE = 0x440, PP_ENV = 0x80, PP_ENVSIZE = 0x3f0,
       LDR_SIZE = 0x58, LDR_LOADLIST = 0x10, LE_SIZE = 0x120, LE_FULLNAME = 0x48, LE_BASENAME = 0x58 };
static const int pp_strings[] = { 0x38, 0x50, 0x60, 0x70, 0xb0, 0xc0, 0xd0, 0xe0 };
#else
enum { PEB_LDR = 0x0c, PEB_PARAMS = 0x10, PEB_HEAP = 0x18, PEB_NHEAPS = 0x88, PEB_MAXHEAPS = 0x8c, PEB_HEAPS = 0x90,
       PEB_SIZE = 0x480, TEB_SIZE = 0x1000, PP_SIZE = 0x2a0, PP_ENV = 0x48, PP_ENVSIZE = 0x290,
       LDR_SIZE = 0x30, LDR_LOADLIST = 0x0c, LE_SIZE = 0xa8, LE_FULLNAME = 0x24, LE_BASENAME = 0x2c };
static const int pp_strings[] = { 0x24, 0x30, 0x38, 0x40, 0x70, 0x78, 0x80, 0x88 };
#endif
static uint64_t g_peb, g_exc_addr;

static void want_process(void) {
    PROCESS_BASIC_INFORMATION pbi; ULONG rl;
    memset(&pbi, 0, sizeof pbi);
    if (NtQIP(g_proc, ProcessBasicInformation, &pbi, sizeof pbi, &rl) != 0) return;
    g_peb = (uintptr_t)pbi.PebBaseAddress;
    WANT(g_peb, PEB_SIZE);
    uint64_t pp = rptr(g_peb + PEB_PARAMS);
    if (pp) {
        WANT(pp, PP_SIZE);
        for (size_t i = 0; i < sizeof pp_strings / sizeof pp_strings[0]; i++) want_ustr(pp + pp_strings[i]);
        uint64_t env = rptr(pp + PP_ENV);
        if (env) {   /* sanitized by lab/env.sh; find the double NUL */
            uint16_t w[2048]; uint64_t n = 0; int done = 0;
            while (!done && n < 65536 && rpm(env + n, w, sizeof w)) {
                for (int i = 0; i + 1 < 2048; i++) if (!w[i] && !w[i + 1]) { n += (i + 2) * 2; done = 1; break; }
                if (!done) n += sizeof w - 2;
            }
            WANT(env, done ? n : 4096);
        }
    }
    uint64_t ph = rptr(g_peb + PEB_HEAP);   /* Wine leaves NumberOfHeaps/ProcessHeaps empty */
    if (ph) WANT(ph, 0x1000);
    uint32_t nh = 0, maxh = 0;
    rpm(g_peb + PEB_NHEAPS, &nh, 4); rpm(g_peb + PEB_MAXHEAPS, &maxh, 4);
    uint64_t heaps = rptr(g_peb + PEB_HEAPS);
    if (heaps && nh < 1024) {
        WANT(heaps, (uint64_t)(maxh > nh && maxh < 1024 ? maxh : nh) * PTRSZ);
        for (uint32_t i = 0; i < nh; i++) { uint64_t h = rptr(heaps + i * PTRSZ); if (h) WANT(h, 0x1000); }
    }
    uint64_t ldr = rptr(g_peb + PEB_LDR);
    if (ldr) {
        WANT(ldr, LDR_SIZE);
        uint64_t head = ldr + LDR_LOADLIST, e = rptr(head);
        for (int i = 0; e && e != head && i < 256; i++, e = rptr(e)) {
            WANT(e, LE_SIZE); want_ustr(e + LE_FULLNAME); want_ustr(e + LE_BASENAME);
        }
    }
}

/* ------------------------------------------------------------------ threads */
#define MAXT 512
static struct { DWORD tid; HANDLE h; } g_thr[MAXT]; static int g_nthr;
typedef struct { NTSTATUS ExitStatus; PVOID TebBaseAddress; HANDLE Pid, Tid; ULONG_PTR AffinityMask; LONG Priority, BasePriority; } lab_tbi_t;
static int g_attach;   /* -p: attached to a live process without debugging it */
static HANDLE thread_handle(DWORD tid) {
    for (int i = 0; i < g_nthr; i++) if (g_thr[i].tid == tid) return g_thr[i].h;
    if (g_attach && g_nthr < MAXT) {   /* not a debugger: open the thread on demand */
        HANDLE h = OpenThread(THREAD_ALL_ACCESS, FALSE, tid);
        if (h) { g_thr[g_nthr].tid = tid; g_thr[g_nthr].h = h; g_nthr++; }
        return h;
    }
    return NULL;
}
static uint64_t thread_teb(HANDLE h, uint64_t *affinity) {
    lab_tbi_t tbi; ULONG rl;
    memset(&tbi, 0, sizeof tbi);
    if (!h || NtQIT(h, 0 /*ThreadBasicInformation*/, &tbi, sizeof tbi, &rl) != 0) return 0;
    if (affinity) *affinity = tbi.AffinityMask;
    return (uintptr_t)tbi.TebBaseAddress;
}

/* ------------------------------------------------------------------ user streams */
static uint32_t put_mdstring(buf_t *f, const WCHAR *s, size_t nchars) {  /* MINIDUMP_STRING */
    balign(f, 4);
    uint32_t rva = (uint32_t)f->n, len = (uint32_t)(nchars * 2);
    bput(f, &len, 4); bput(f, s, len); bput(f, "\0\0", 2);
    return rva;
}
static uint64_t ft64(FILETIME t) { return ((uint64_t)t.dwHighDateTime << 32) | t.dwLowDateTime; }

typedef struct { uint32_t type, size, rva; } dirent_t;
static dirent_t g_newdir[64]; static int g_nnew;
static void add_stream(uint32_t type, uint32_t rva, uint32_t size) {
    g_newdir[g_nnew].type = type; g_newdir[g_nnew].rva = rva; g_newdir[g_nnew].size = size; g_nnew++;
}

static void stream_memory_info(buf_t *f) {
    buf_t e = {0}; uint64_t addr = 0, n = 0;
    MEMORY_BASIC_INFORMATION m;
    while (n < 200000 && VirtualQueryEx(g_proc, (LPCVOID)(uintptr_t)addr, &m, sizeof m) == sizeof m) {
        unsigned char d[48]; memset(d, 0, 48);
        wr64(d, (uintptr_t)m.BaseAddress); wr64(d + 8, (uintptr_t)m.AllocationBase);
        wr32(d + 16, m.AllocationProtect); wr64(d + 24, m.RegionSize);
        wr32(d + 32, m.State); wr32(d + 36, m.Protect); wr32(d + 40, m.Type);
        bput(&e, d, 48); n++;
        uint64_t next = (uintptr_t)m.BaseAddress + m.RegionSize;
        if (next <= addr || !m.RegionSize) break;
        addr = next;
    }
    balign(f, 8);
    uint32_t rva = (uint32_t)f->n; unsigned char h[16];
    wr32(h, 16); wr32(h + 4, 48); wr64(h + 8, n);
    bput(f, h, 16); bput(f, e.p, e.n);
    add_stream(16 /*MemoryInfoListStream*/, rva, (uint32_t)(16 + e.n));
    free(e.p);
}

static void stream_thread_info(buf_t *f, const unsigned char *dump, uint32_t tl_rva) {
    uint32_t n = tl_rva ? rd32(dump + tl_rva) : 0;
    buf_t e = {0};
    DWORD *tids = calloc(n + 1, sizeof(DWORD));
    for (uint32_t i = 0; i < n; i++) tids[i] = rd32(dump + tl_rva + 4 + i * 48);
    for (uint32_t i = 0; i < n; i++) {
        DWORD tid = tids[i];
        HANDLE h = thread_handle(tid);
        unsigned char d[64]; memset(d, 0, 64);
        FILETIME c, x, k, u; DWORD code = 0; uint64_t aff = 0; PVOID start = NULL; ULONG rl;
        wr32(d, tid);
        if (h && GetThreadTimes(h, &c, &x, &k, &u)) {
            wr64(d + 16, ft64(c)); wr64(d + 24, ft64(x)); wr64(d + 32, ft64(k)); wr64(d + 40, ft64(u));
        } else wr32(d + 8, GetLastError());
        if (h && GetExitCodeThread(h, &code)) wr32(d + 12, code);
        if (code != STILL_ACTIVE) wr32(d + 4, 4 /*MINIDUMP_THREAD_INFO_EXITED_THREAD*/);
        if (h && NtQIT(h, 9 /*ThreadQuerySetWin32StartAddress*/, &start, sizeof start, &rl) == 0)
            wr64(d + 48, (uintptr_t)start);
        thread_teb(h, &aff); wr64(d + 56, aff);
        bput(&e, d, 64);
    }
    balign(f, 8);
    uint32_t rva = (uint32_t)f->n; unsigned char hd[12];
    wr32(hd, 12); wr32(hd + 4, 64); wr32(hd + 8, n);
    bput(f, hd, 12); bput(f, e.p, e.n);
    add_stream(17 /*ThreadInfoListStream*/, rva, (uint32_t)(12 + e.n));
    free(e.p); free(tids);
}

typedef struct { ULONG pid; BYTE type, flags; USHORT handle; PVOID obj; ACCESS_MASK access; } shte_t;
#define MAX_HANDLES 65536   /* a handle-leak dump holds thousands */
static void stream_handles(buf_t *f, DWORD pid) {
    static uint64_t hv[MAX_HANDLES]; int nh = 0;
    ULONG sz = 1 << 16, rl = 0; NTSTATUS st; void *si = NULL;
    for (;;) {
        si = realloc(si, sz);
        st = NtQSI(16 /*SystemHandleInformation*/, si, sz, &rl);
        if (st == (NTSTATUS)0xC0000004L && sz < (64u << 20)) { sz *= 2; continue; }
        break;
    }
    if (st == 0) {
        ULONG cnt = *(ULONG *)si; shte_t *te = (shte_t *)((char *)si + sizeof(ULONG_PTR));
        for (ULONG i = 0; i < cnt && nh < MAX_HANDLES; i++) if (te[i].pid == pid) hv[nh++] = te[i].handle;
    }
    free(si);
    if (!nh) /* fallback: probe handle values */
        for (uintptr_t v = 4; v < 4 * (MAX_HANDLES + 2048) && nh < MAX_HANDLES; v += 4) {
            HANDLE d;
            if (DuplicateHandle(g_proc, (HANDLE)v, GetCurrentProcess(), &d, 0, FALSE, DUPLICATE_SAME_ACCESS)) {
                hv[nh++] = v; CloseHandle(d);
            }
        }
    /* descriptors first (fixed size), then strings */
    balign(f, 8);
    uint32_t rva = (uint32_t)f->n; unsigned char hd[16];
    wr32(hd, 16); wr32(hd + 4, 32); wr32(hd + 8, nh); wr32(hd + 12, 0);
    bput(f, hd, 16);
    size_t desc0 = f->n;
    bput(f, NULL, 32 * (size_t)nh);
    for (int i = 0; i < nh; i++) {
        unsigned char d[32]; memset(d, 0, 32);
        wr64(d, hv[i]);
        HANDLE dup;
        if (DuplicateHandle(g_proc, (HANDLE)(uintptr_t)hv[i], GetCurrentProcess(), &dup, 0, FALSE, DUPLICATE_SAME_ACCESS)) {
            union { UNICODE_STRING us; unsigned char raw[4096]; } q; ULONG r2;
            ULONG basic[14];
            if (NtQO(dup, 2 /*ObjectTypeInformation*/, &q, sizeof q, &r2) == 0 && q.us.Buffer)
                wr32(d + 8, put_mdstring(f, q.us.Buffer, q.us.Length / 2));
            if (NtQO(dup, 1 /*ObjectNameInformation*/, &q, sizeof q, &r2) == 0 && q.us.Buffer && q.us.Length)
                wr32(d + 12, put_mdstring(f, q.us.Buffer, q.us.Length / 2));
            memset(basic, 0, sizeof basic);
            if (NtQO(dup, 0 /*ObjectBasicInformation*/, basic, sizeof basic, &r2) == 0) {
                wr32(d + 16, basic[0]); wr32(d + 20, basic[1]);
                wr32(d + 24, basic[2] ? basic[2] - 1 : 0); wr32(d + 28, basic[3] ? basic[3] - 1 : 0);
            }
            CloseHandle(dup);
        }
        memcpy(f->p + desc0 + 32 * (size_t)i, d, 32);
    }
    add_stream(12 /*HandleDataStream*/, rva, (uint32_t)(16 + 32 * nh));
}

/* ProcessVmCountersStream (22), MINIDUMP_PROCESS_VM_COUNTERS_1 (Windows' dbghelp writes it into
 * every dump; Wine's does not): GetProcessMemoryInfo of the target (Wine: from /proc/PID/status) */
static void stream_vm_counters(buf_t *f) {
    PROCESS_MEMORY_COUNTERS_EX c; memset(&c, 0, sizeof c);
    if (!GetProcessMemoryInfo(g_proc, (PROCESS_MEMORY_COUNTERS *)&c, sizeof c)) return;
    if (!c.PrivateUsage) {   /* Wine 8 leaves PrivateUsage 0: private bytes = committed MEM_PRIVATE pages */
        MEMORY_BASIC_INFORMATION m; uint64_t addr = 0;
        while (VirtualQueryEx(g_proc, (LPCVOID)(uintptr_t)addr, &m, sizeof m) == sizeof m && m.RegionSize) {
            if (m.State == MEM_COMMIT && m.Type == MEM_PRIVATE) c.PrivateUsage += m.RegionSize;
            uint64_t next = (uintptr_t)m.BaseAddress + m.RegionSize;
            if (next <= addr) break;
            addr = next;
        }
    }
    unsigned char d[80]; memset(d, 0, sizeof d);
    d[0] = 1;   /* Revision 1: Revision u16, pad u16, PageFaultCount u32, then 9 SIZE_T64 */
    wr32(d + 4, c.PageFaultCount);
    wr64(d + 8, c.PeakWorkingSetSize); wr64(d + 16, c.WorkingSetSize);
    wr64(d + 24, c.QuotaPeakPagedPoolUsage); wr64(d + 32, c.QuotaPagedPoolUsage);
    wr64(d + 40, c.QuotaPeakNonPagedPoolUsage); wr64(d + 48, c.QuotaNonPagedPoolUsage);
    wr64(d + 56, c.PagefileUsage); wr64(d + 64, c.PeakPagefileUsage); wr64(d + 72, c.PrivateUsage);
    balign(f, 8);
    uint32_t rva = (uint32_t)f->n;
    bput(f, d, sizeof d);
    add_stream(22 /*ProcessVmCountersStream*/, rva, sizeof d);
}

static void stream_unloaded(buf_t *f, uint64_t target_ntdll) {
    HMODULE nt = GetModuleHandleA("ntdll.dll");
    pRtlGUET fn = (pRtlGUET)GetProcAddress(nt, "RtlGetUnloadEventTraceEx");
    uint32_t n = 0; buf_t e = {0};
    struct { uint64_t base; uint32_t size, ts, cs; WCHAR name[33]; } ent[64];
    if (fn && target_ntdll) {
        PULONG psz, pcnt; PVOID ptrace;
        fn(&psz, &pcnt, &ptrace);
        int64_t delta = (int64_t)target_ntdll - (int64_t)(uintptr_t)nt;
        ULONG esz = 0, ecnt = 0;
        rpm((uintptr_t)psz + delta, &esz, 4); rpm((uintptr_t)pcnt + delta, &ecnt, 4);
        uint64_t arr = rptr((uintptr_t)ptrace + delta);
        if (g_verbose) fprintf(stderr, "unload trace: size %lu count %lu array %llx\n", esz, ecnt, (unsigned long long)arr);
        if (arr && esz >= 2 * PTRSZ + 12 + 64 && esz < 512 && ecnt < 1024) {
            unsigned char *a = malloc((size_t)esz * ecnt);
            if (rpm(arr, a, (size_t)esz * ecnt))
                for (ULONG i = 0; i < ecnt && n < 64; i++) {
                    unsigned char *p = a + (size_t)i * esz;
                    uint64_t base = PTRSZ == 8 ? rd64(p) : rd32(p);
                    uint64_t size = PTRSZ == 8 ? rd64(p + 8) : rd32(p + 4);
                    if (!base) continue;
                    unsigned char *q = p + 2 * PTRSZ;   /* Sequence, TimeDateStamp, CheckSum, ImageName[32] */
                    ent[n].base = base; ent[n].size = (uint32_t)size;
                    ent[n].ts = rd32(q + 4); ent[n].cs = rd32(q + 8);
                    memcpy(ent[n].name, q + 12, 64); ent[n].name[32] = 0;
                    n++;
                }
            free(a);
        }
    }
    /* strings first, then the list */
    uint32_t names[64];
    for (uint32_t i = 0; i < n; i++) names[i] = put_mdstring(f, ent[i].name, wcslen(ent[i].name));
    balign(f, 8);
    uint32_t rva = (uint32_t)f->n; unsigned char hd[12];
    wr32(hd, 12); wr32(hd + 4, 24); wr32(hd + 8, n);
    bput(f, hd, 12);
    for (uint32_t i = 0; i < n; i++) {
        unsigned char d[24];
        wr64(d, ent[i].base); wr32(d + 8, ent[i].size); wr32(d + 12, ent[i].cs); wr32(d + 16, ent[i].ts); wr32(d + 20, names[i]);
        bput(f, d, 24);
    }
    add_stream(14 /*UnloadedModuleListStream*/, rva, 12 + 24 * n);
    (void)e;
}

/* ------------------------------------------------------------------ post-processing */
static int postprocess(const char *path, DWORD pid, const char *comment) {
    FILE *fp = fopen(path, "rb");
    if (!fp) return 0;
    buf_t f = {0}; unsigned char tmp[65536]; size_t k;
    while ((k = fread(tmp, 1, sizeof tmp, fp)) > 0) bput(&f, tmp, k);
    fclose(fp);
    if (f.n < 32 || rd32(f.p) != 0x504d444d) { fprintf(stderr, "labdump: not a minidump\n"); return 0; }
    uint32_t nstreams = rd32(f.p + 8), dirrva = rd32(f.p + 12);
    dirent_t *od = calloc(nstreams, sizeof(dirent_t));
    uint32_t ml = 0, tl = 0, mod = 0, misc = 0; int ml_i = -1, full = 0;
    for (uint32_t i = 0; i < nstreams; i++) {
        od[i].type = rd32(f.p + dirrva + i * 12); od[i].size = rd32(f.p + dirrva + i * 12 + 4); od[i].rva = rd32(f.p + dirrva + i * 12 + 8);
        if (od[i].type == 5) { ml = od[i].rva; ml_i = i; }
        if (od[i].type == 3) tl = od[i].rva;
        if (od[i].type == 4) mod = od[i].rva;
        if (od[i].type == 15) misc = od[i].rva;
        if (od[i].type == 9) full = 1;   /* Memory64List: every committed page is already there */
    }
    /* ---- extra memory wanted */
    want_process();
    uint64_t ntdll = 0;
    uint32_t nmod = mod ? rd32(f.p + mod) : 0;
    uint32_t nthr = tl ? rd32(f.p + tl) : 0;
    /* modules referenced from any thread's stack memory (candidate return addresses) */
    char *onstack = calloc(nmod + 1, 1);
    for (uint32_t i = 0; i < nthr; i++) {
        unsigned char *t = f.p + tl + 4 + i * 48;
        uint32_t ssz = rd32(t + 32), srva = rd32(t + 36);
        for (uint32_t o = 0; srva && o + PTRSZ <= ssz && srva + o + PTRSZ <= f.n; o += PTRSZ) {
            uint64_t v = PTRSZ == 8 ? rd64(f.p + srva + o) : rd32(f.p + srva + o);
            for (uint32_t j = 0; j < nmod; j++) {
                unsigned char *m = f.p + mod + 4 + j * 108;
                if (v >= rd64(m) && v < rd64(m) + rd32(m + 8)) { onstack[j] = 1; break; }
            }
        }
    }
    for (uint32_t j = 0; j < nmod; j++) {   /* and the module holding the exception address */
        unsigned char *m = f.p + mod + 4 + j * 108;
        if (g_exc_addr >= rd64(m) && g_exc_addr < rd64(m) + rd32(m + 8)) onstack[j] = 1;
    }
    for (uint32_t i = 0; i < nmod; i++) {
        unsigned char *m = f.p + mod + 4 + i * 108;
        uint64_t base = rd64(m); uint32_t size = rd32(m + 8), nrva = rd32(m + 20);
        want_module(base, size, onstack[i]);
        if (nrva && nrva + 4 < f.n) {   /* name: find ntdll.dll */
            uint32_t len = rd32(f.p + nrva) / 2; char nm[260]; uint32_t j;
            for (j = 0; j < len && j < 259; j++) nm[j] = (char)*(uint16_t *)(f.p + nrva + 4 + j * 2);
            nm[j] = 0;
            if (j >= 9 && !_stricmp(nm + j - 9, "ntdll.dll")) ntdll = base;
        }
    }
    free(onstack);
    for (uint32_t i = 0; i < nthr; i++) {
        unsigned char *t = f.p + tl + 4 + i * 48;
        uint64_t teb = rd64(t + 16), teb2 = thread_teb(thread_handle(rd32(t)), NULL);
        if (teb) WANT(teb, TEB_SIZE);
        if (teb2 && teb2 != teb) WANT(teb2, TEB_SIZE);
    }
    /* ---- new memory list: union of old ranges and the readable parts of the wanted ones */
    rmerge(&g_want);
    if (full) g_want.n = 0;
    rvec_t pieces = {0}, old = {0}, uni = {0};
    for (size_t i = 0; i < g_want.n; i++) {
        uint64_t a = g_want.v[i].a;
        while (a < g_want.v[i].b) {
            uint64_t pe = (a | 0xfff) + 1; if (pe > g_want.v[i].b) pe = g_want.v[i].b;
            static unsigned char pg[4096];
            if (rpm(a, pg, (size_t)(pe - a))) {
                if (pieces.n && pieces.v[pieces.n - 1].b == a) pieces.v[pieces.n - 1].b = pe;
                else radd(&pieces, a, pe - a, 0);
            }
            a = pe;
        }
    }
    uint32_t nold = ml ? rd32(f.p + ml) : 0;
    for (uint32_t i = 0; i < nold; i++) {
        unsigned char *d = f.p + ml + 4 + i * 16;
        radd(&old, rd64(d), rd32(d + 8), rd32(d + 12));
    }
    qsort(old.v, old.n, sizeof(rng_t), rcmp);
    for (size_t i = 0; i < pieces.n; i++) radd(&uni, pieces.v[i].a, pieces.v[i].b - pieces.v[i].a, 0);
    for (size_t i = 0; i < old.n; i++) radd(&uni, old.v[i].a, old.v[i].b - old.v[i].a, 0);
    rmerge(&uni);
    /* memory data */
    size_t oi = 0, pi = 0; uint64_t extra = 0;
    for (size_t u = 0; u < uni.n; u++) {
        uint64_t a = uni.v[u].a, b = uni.v[u].b;
        while (pi < pieces.n && pieces.v[pi].b <= a) pi++;
        if (oi < old.n && old.v[oi].a == a && old.v[oi].b == b && (pi >= pieces.n || pieces.v[pi].a >= b)
            && (oi + 1 >= old.n || old.v[oi + 1].a >= b)) {
            uni.v[u].rva = old.v[oi].rva;          /* unchanged: keep Wine's data, no copy */
            oi++;
            continue;
        }
        balign(&f, 4);
        uni.v[u].rva = (uint32_t)f.n;
        size_t at = f.n;
        bput(&f, NULL, (size_t)(b - a));
        while (pi < pieces.n && pieces.v[pi].a < b) {
            rpm(pieces.v[pi].a, f.p + at + (pieces.v[pi].a - a), (size_t)(pieces.v[pi].b - pieces.v[pi].a));
            extra += pieces.v[pi].b - pieces.v[pi].a;
            pi++;
        }
        while (oi < old.n && old.v[oi].a < b) {
            memcpy(f.p + at + (old.v[oi].a - a), f.p + old.v[oi].rva, (size_t)(old.v[oi].b - old.v[oi].a));
            oi++;
        }
    }
    balign(&f, 8);
    uint32_t newml = (uint32_t)f.n; uint32_t cnt = (uint32_t)uni.n;
    bput(&f, &cnt, 4);
    for (size_t u = 0; u < uni.n; u++) {
        unsigned char d[16];
        wr64(d, uni.v[u].a); wr32(d + 8, (uint32_t)(uni.v[u].b - uni.v[u].a)); wr32(d + 12, uni.v[u].rva);
        bput(&f, d, 16);
    }
    if (g_verbose) fprintf(stderr, "labdump: memory list %u -> %u ranges (+%llu bytes wanted)\n", nold, cnt, (unsigned long long)extra);
    /* ---- CvRecords of modules (in place) */
    for (uint32_t i = 0; i < nmod; i++) {
        size_t mo = mod + 4 + i * 108;
        unsigned char cv[1024]; uint32_t cvn;
        if (rd32(f.p + mo + 76) == 0 && module_cv(rd64(f.p + mo), cv, &cvn)) {
            balign(&f, 4);
            wr32(f.p + mo + 76, cvn); wr32(f.p + mo + 80, (uint32_t)f.n);
            bput(&f, cv, cvn);
        }
    }
    /* ---- MiscInfo process times (in place, MINIDUMP_MISC_INFO is 24 bytes) */
    FILETIME c, x, kt, ut;
    if (misc && rd32(f.p + misc) >= 24 && GetProcessTimes(g_proc, &c, &x, &kt, &ut)) {
        uint64_t ct = ft64(c);
        wr32(f.p + misc + 4, rd32(f.p + misc + 4) | 2 /*MINIDUMP_MISC1_PROCESS_TIMES*/);
        wr32(f.p + misc + 12, (uint32_t)(ct / 10000000ULL - 11644473600ULL));
        wr32(f.p + misc + 16, (uint32_t)(ft64(ut) / 10000000ULL));
        wr32(f.p + misc + 20, (uint32_t)(ft64(kt) / 10000000ULL));
    }
    /* ---- user streams */
    if (comment && *comment) {
        uint32_t rva = (uint32_t)f.n, len = (uint32_t)strlen(comment) + 1;
        bput(&f, comment, len);
        add_stream(10 /*CommentStreamA*/, rva, len);
    }
    stream_memory_info(&f);
    stream_thread_info(&f, f.p, tl);
    stream_handles(&f, pid);
    stream_unloaded(&f, ntdll);
    stream_vm_counters(&f);
    /* ---- new directory */
    balign(&f, 8);
    uint32_t ndir = (uint32_t)f.n, nn = 0;
    for (uint32_t i = 0; i < nstreams; i++) {
        unsigned char d[12];
        if (od[i].type == 0) continue;   /* UnusedStream */
        wr32(d, od[i].type);
        if ((int)i == ml_i) { wr32(d + 4, 4 + 16 * cnt); wr32(d + 8, newml); }
        else { wr32(d + 4, od[i].size); wr32(d + 8, od[i].rva); }
        bput(&f, d, 12); nn++;
    }
    if (ml_i < 0 && !full) { unsigned char d[12]; wr32(d, 5); wr32(d + 4, 4 + 16 * cnt); wr32(d + 8, newml); bput(&f, d, 12); nn++; }
    for (int i = 0; i < g_nnew; i++) {
        unsigned char d[12]; wr32(d, g_newdir[i].type); wr32(d + 4, g_newdir[i].size); wr32(d + 8, g_newdir[i].rva);
        bput(&f, d, 12); nn++;
    }
    wr32(f.p + 8, nn); wr32(f.p + 12, ndir);
    fp = fopen(path, "wb");
    if (!fp) return 0;
    fwrite(f.p, 1, f.n, fp); fclose(fp);
    return 1;
}

/* ------------------------------------------------------------------ stack walk (ground truth log) */
/* Walks the faulting thread with dbghelp's StackWalk64 (Wine's dbghelp unwinds with .pdata on x64
 * and DWARF CFI / frame pointers on x86) and prints one "event frame" line per frame. */
static void walk_stack(HANDLE proc, HANDLE thread, const CONTEXT *ctx0) {
    CONTEXT ctx = *ctx0;
    STACKFRAME64 sf; memset(&sf, 0, sizeof sf);
#ifdef _WIN64
    DWORD machine = IMAGE_FILE_MACHINE_AMD64;
    sf.AddrPC.Offset = ctx.Rip; sf.AddrStack.Offset = ctx.Rsp; sf.AddrFrame.Offset = ctx.Rbp;
#else
    DWORD machine = IMAGE_FILE_MACHINE_I386;
    sf.AddrPC.Offset = ctx.Eip; sf.AddrStack.Offset = ctx.Esp; sf.AddrFrame.Offset = ctx.Ebp;
#endif
    sf.AddrPC.Mode = sf.AddrStack.Mode = sf.AddrFrame.Mode = AddrModeFlat;
    SymSetOptions(SYMOPT_UNDNAME | SYMOPT_DEFERRED_LOADS);
    if (!SymInitialize(proc, NULL, TRUE)) { printf("event walk failed SymInitialize %lu\n", GetLastError()); return; }
    int i = 0;
    if (!SymGetModuleBase64(proc, sf.AddrPC.Offset)) {
        /* PC outside every module (unloaded DLL, heap, DEP): dbghelp cannot unwind it; treat it
         * as a leaf that has not touched the stack: return address at [SP]. */
        uint64_t ret = rptr(sf.AddrStack.Offset);
        printf("event frame 0 pc=0x%llx sp=0x%llx module=? sym=? leaf=1\n", (unsigned long long)sf.AddrPC.Offset,
               (unsigned long long)sf.AddrStack.Offset);
        i = 1;
        sf.AddrPC.Offset = ret; sf.AddrStack.Offset += PTRSZ;
#ifdef _WIN64
        ctx.Rip = ret; ctx.Rsp = sf.AddrStack.Offset;
#else
        ctx.Eip = (DWORD)ret; ctx.Esp = (DWORD)sf.AddrStack.Offset;
#endif
    }
    for (; i < 512; i++) {
        if (!StackWalk64(machine, proc, thread, &sf, &ctx, NULL, SymFunctionTableAccess64, SymGetModuleBase64, NULL)) break;
        if (!sf.AddrPC.Offset) break;
        union { SYMBOL_INFO si; char b[sizeof(SYMBOL_INFO) + 256]; } u;
        memset(&u, 0, sizeof u); u.si.SizeOfStruct = sizeof(SYMBOL_INFO); u.si.MaxNameLen = 255;
        DWORD64 disp = 0; IMAGEHLP_MODULE64 mi; memset(&mi, 0, sizeof mi); mi.SizeOfStruct = sizeof mi;
        const char *mod = SymGetModuleInfo64(proc, sf.AddrPC.Offset, &mi) ? mi.ModuleName : "?";
        if (SymFromAddr(proc, sf.AddrPC.Offset, &disp, &u.si))
            printf("event frame %d pc=0x%llx sp=0x%llx module=%s sym=%s+0x%llx\n", i, (unsigned long long)sf.AddrPC.Offset,
                   (unsigned long long)sf.AddrStack.Offset, mod, u.si.Name, (unsigned long long)disp);
        else
            printf("event frame %d pc=0x%llx sp=0x%llx module=%s sym=?\n", i, (unsigned long long)sf.AddrPC.Offset,
                   (unsigned long long)sf.AddrStack.Offset, mod);
    }
    SymCleanup(proc);
}

/* ------------------------------------------------------------------ main */
static void usage(void) {
    fprintf(stderr, "usage: labdump -o OUT.dmp [-e CODE|any] [-n N] [-c COMMENT] [-t TYPE] [-m full] [-x all|stack] [-R] [-W] [-v] (-f CMDLINE_FILE | -- PROGRAM [ARGS...])\n"
                    "       labdump -o OUT.dmp -p PID [-m full] [-a ADDR:SIZE ...] [-k] [-T TRIGGER] [-c COMMENT] [-x all|stack] [-R] [-W] [-v]\n");
    exit(2);
}

/* ------------------------------------------------------------------ hang mode (-p PID) */
/* Like `procdump -ma PID` or DebugDiag's hang rule: OpenProcess on a live process (no debugger
 * attached, nothing injected), MiniDumpWriteDump without exception information, post-processing as
 * for crash dumps (+ the -a ranges, e.g. the pages of the locks), then a StackWalk64 of every thread
 * ("event twalk"/"event frame" lines). -k terminates the target afterwards. */
static int dump_live(DWORD pid, const char *out, DWORD type, const char *comment, int raw, int nowalk, int kill) {
    g_attach = 1;
    g_proc = OpenProcess(PROCESS_ALL_ACCESS, FALSE, pid);
    if (!g_proc) { fprintf(stderr, "labdump: OpenProcess(%lu) failed: %lu\n", pid, GetLastError()); return 3; }
    printf("event attach pid=0x%lx\n", pid);
    HANDLE hf = CreateFileA(out, GENERIC_READ | GENERIC_WRITE, 0, NULL, CREATE_ALWAYS, FILE_ATTRIBUTE_NORMAL, NULL);
    if (hf == INVALID_HANDLE_VALUE) { fprintf(stderr, "labdump: cannot create %s\n", out); return 4; }
    BOOL ok = MiniDumpWriteDump(g_proc, pid, hf, (MINIDUMP_TYPE)type, NULL, NULL, NULL);
    DWORD err = GetLastError();
    CloseHandle(hf);
    if (!ok) { fprintf(stderr, "labdump: MiniDumpWriteDump failed: %lu\n", err); return 5; }
    char dcl[2048]; snprintf(dcl, sizeof dcl, "%s", GetCommandLineA());
    char *cq = strstr(dcl, " -c "); if (cq && *comment) strcpy(cq, " -c <comment> ...");
    char *cm = malloc(strlen(comment) + strlen(dcl) + 512);
    sprintf(cm, "%s\r\ndumper: %s (dump type 0x%lx)\r\ntrigger: %s, live process %lu dumped without an exception", comment, dcl, type, g_trigger, pid);
    int rc = 0;
    if (!raw && !postprocess(out, pid, cm)) { fprintf(stderr, "labdump: post-processing failed\n"); rc = 6; }
    free(cm);
    if (!nowalk) {   /* every thread of the dump, in dump order */
        FILE *fp = fopen(out, "rb"); unsigned char h[32]; uint32_t tl = 0, nthr = 0;
        if (fp && fread(h, 1, 32, fp) == 32) {
            uint32_t ns = rd32(h + 8), dir = rd32(h + 12);
            for (uint32_t i = 0; i < ns; i++) {
                unsigned char d[12]; fseek(fp, dir + i * 12, SEEK_SET);
                if (fread(d, 1, 12, fp) == 12 && rd32(d) == 3) tl = rd32(d + 8);
            }
            if (tl) { fseek(fp, tl, SEEK_SET); if (fread(h, 1, 4, fp) != 4) nthr = 0; else nthr = rd32(h); }
            for (uint32_t i = 0; i < nthr; i++) {
                unsigned char t[48]; fseek(fp, tl + 4 + i * 48, SEEK_SET);
                if (fread(t, 1, 48, fp) != 48) break;
                DWORD tid = rd32(t); HANDLE th = thread_handle(tid);
                CONTEXT ctx; memset(&ctx, 0, sizeof ctx); ctx.ContextFlags = CONTEXT_FULL;
                if (!th) { printf("event twalk tid=0x%lx failed=OpenThread\n", tid); continue; }
                SuspendThread(th);
                if (GetThreadContext(th, &ctx)) { printf("event twalk tid=0x%lx index=%u\n", tid, i); walk_stack(g_proc, th, &ctx); }
                else printf("event twalk tid=0x%lx failed=GetThreadContext %lu\n", tid, GetLastError());
                ResumeThread(th);
            }
        }
        if (fp) fclose(fp);
    }
    printf("event dump hang pid=0x%lx file=%s\n", pid, out);
    fflush(stdout);
    if (kill) TerminateProcess(g_proc, 0xdead);
    return rc;
}

int main(int argc, char **argv) {
    const char *out = NULL, *comment = "", *cmdfile = NULL;
    int want_first = 0, any_code = 0, nth = 1, raw = 0, nowalk = 0, kill = 0, full = 0;
    DWORD pid = 0;
    DWORD code = 0, type = MiniDumpWithHandleData | MiniDumpWithUnloadedModules |
                          MiniDumpWithProcessThreadData | MiniDumpWithThreadInfo;
    int i;
    for (i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--")) break;
        else if (!strcmp(argv[i], "-o") && i + 1 < argc) out = argv[++i];
        else if (!strcmp(argv[i], "-c") && i + 1 < argc) comment = argv[++i];
        else if (!strcmp(argv[i], "-n") && i + 1 < argc) nth = atoi(argv[++i]);
        else if (!strcmp(argv[i], "-t") && i + 1 < argc) type = strtoul(argv[++i], NULL, 16);
        else if (!strcmp(argv[i], "-m") && i + 1 < argc && !strcmp(argv[i + 1], "full")) {
            i++; full = 1;
            type = MiniDumpWithFullMemory | MiniDumpWithFullMemoryInfo | MiniDumpWithHandleData | MiniDumpWithThreadInfo;
        }
        else if (!strcmp(argv[i], "-p") && i + 1 < argc) pid = strtoul(argv[++i], NULL, 0);
        else if (!strcmp(argv[i], "-k")) kill = 1;
        else if (!strcmp(argv[i], "-a") && i + 1 < argc) {   /* extra memory ADDR:SIZE (hex) */
            char *e; uint64_t a = _strtoui64(argv[++i], &e, 16), n = *e == ':' ? _strtoui64(e + 1, NULL, 16) : 0x1000;
            WANT(a, n);
        }
        else if (!strcmp(argv[i], "-R")) raw = 1;
        else if (!strcmp(argv[i], "-W")) nowalk = 1;
        else if (!strcmp(argv[i], "-f") && i + 1 < argc) cmdfile = argv[++i];
        else if (!strcmp(argv[i], "-x") && i + 1 < argc) g_exports_all = strcmp(argv[++i], "stack") != 0;
        else if (!strcmp(argv[i], "-v")) g_verbose = 1;
        else if (!strcmp(argv[i], "-T") && i + 1 < argc) g_trigger = argv[++i];
        else if (!strcmp(argv[i], "-e") && i + 1 < argc) {
            want_first = 1; i++;
            if (!strcmp(argv[i], "any")) any_code = 1; else code = strtoul(argv[i], NULL, 16);
        } else usage();
    }
    char *target = NULL;
    if (!out) usage();
    if (pid) {
        HMODULE nt0 = GetModuleHandleA("ntdll.dll");
        NtQIP = (pNtQIP)GetProcAddress(nt0, "NtQueryInformationProcess");
        NtQIT = (pNtQIT)GetProcAddress(nt0, "NtQueryInformationThread");
        NtQSI = (pNtQSI)GetProcAddress(nt0, "NtQuerySystemInformation");
        NtQO = (pNtQO)GetProcAddress(nt0, "NtQueryObject");
        /* the hang types: procdump -ma / DebugDiag (full) or the same without FullMemory (reduced;
         * the post-processing adds PEB, TEBs, module headers and the -a ranges) */
        type = (full ? MiniDumpWithFullMemory : 0) | MiniDumpWithFullMemoryInfo | MiniDumpWithHandleData |
               MiniDumpWithThreadInfo | MiniDumpWithUnloadedModules;
        return dump_live(pid, out, type, comment, raw, nowalk, kill);
    }
    if (cmdfile) {   /* the target command line, verbatim, from a file (exact quoting) */
        FILE *cf = fopen(cmdfile, "rb"); static char line[8192]; size_t n;
        if (!cf) { fprintf(stderr, "labdump: cannot read %s\n", cmdfile); return 2; }
        n = fread(line, 1, sizeof line - 1, cf); fclose(cf); line[n] = 0;
        while (n && (line[n - 1] == '\n' || line[n - 1] == '\r')) line[--n] = 0;
        target = _strdup(line);
    } else {         /* the raw text after " -- " */
        if (i >= argc - 1) usage();
        char *cl = GetCommandLineA(), *p = strstr(cl, " -- ");
        if (!p) usage();
        p += 4; while (*p == ' ') p++;
        target = _strdup(p);
    }

    HMODULE nt = GetModuleHandleA("ntdll.dll");
    NtQIP = (pNtQIP)GetProcAddress(nt, "NtQueryInformationProcess");
    NtQIT = (pNtQIT)GetProcAddress(nt, "NtQueryInformationThread");
    NtQSI = (pNtQSI)GetProcAddress(nt, "NtQuerySystemInformation");
    NtQO = (pNtQO)GetProcAddress(nt, "NtQueryObject");

    STARTUPINFOA si; PROCESS_INFORMATION pi;
    memset(&si, 0, sizeof si); si.cb = sizeof si;
    if (!CreateProcessA(NULL, target, NULL, NULL, FALSE, DEBUG_ONLY_THIS_PROCESS, NULL, NULL, &si, &pi)) {
        fprintf(stderr, "labdump: CreateProcess(%s) failed: %lu\n", target, GetLastError());
        return 3;
    }
    g_proc = pi.hProcess;
    printf("event start pid=0x%lx tid=0x%lx cmdline=%s\n", pi.dwProcessId, pi.dwThreadId, target);
    int loader_bp = 0, seen = 0, dumped = 0, rc = 1;
    char events[4096] = ""; size_t evlen = 0;
    DEBUG_EVENT ev;
    while (WaitForDebugEvent(&ev, 120000)) {
        DWORD cont = DBG_CONTINUE;
        switch (ev.dwDebugEventCode) {
        case CREATE_PROCESS_DEBUG_EVENT:
            if (ev.u.CreateProcessInfo.hFile) CloseHandle(ev.u.CreateProcessInfo.hFile);
            if (g_nthr < MAXT) { g_thr[g_nthr].tid = ev.dwThreadId; g_thr[g_nthr].h = ev.u.CreateProcessInfo.hThread; g_nthr++; }
            printf("event thread tid=0x%lx index=%d\n", ev.dwThreadId, g_nthr - 1);
            break;
        case CREATE_THREAD_DEBUG_EVENT:
            if (g_nthr < MAXT) { g_thr[g_nthr].tid = ev.dwThreadId; g_thr[g_nthr].h = ev.u.CreateThread.hThread; g_nthr++; }
            printf("event thread tid=0x%lx index=%d\n", ev.dwThreadId, g_nthr - 1);
            break;
        case LOAD_DLL_DEBUG_EVENT:
            if (ev.u.LoadDll.hFile) CloseHandle(ev.u.LoadDll.hFile);
            break;
        case EXIT_PROCESS_DEBUG_EVENT:
            printf("event exit code=0x%lx\n", ev.u.ExitProcess.dwExitCode);
            goto done;
        case EXCEPTION_DEBUG_EVENT: {
            EXCEPTION_RECORD rec = ev.u.Exception.ExceptionRecord;
            int first = ev.u.Exception.dwFirstChance != 0;
            printf("event exception chance=%s code=0x%08lx address=0x%llx tid=0x%lx flags=0x%lx nparams=%lu",
                   first ? "first" : "second", rec.ExceptionCode, (unsigned long long)(uintptr_t)rec.ExceptionAddress,
                   ev.dwThreadId, rec.ExceptionFlags, rec.NumberParameters);
            for (DWORD j = 0; j < rec.NumberParameters && j < EXCEPTION_MAXIMUM_PARAMETERS; j++)
                printf(" p%lu=0x%llx", j, (unsigned long long)rec.ExceptionInformation[j]);
            printf("\n");
            if (evlen < sizeof events - 100)
                evlen += snprintf(events + evlen, sizeof events - evlen, "%s%s-chance 0x%08lx at 0x%llx (tid 0x%lx)",
                                  evlen ? "; " : "", first ? "first" : "second", rec.ExceptionCode,
                                  (unsigned long long)(uintptr_t)rec.ExceptionAddress, ev.dwThreadId);
            if (rec.ExceptionCode == EXCEPTION_BREAKPOINT && !loader_bp) { loader_bp = 1; break; }
            int trigger = 0;
            if (first) { if (want_first && (any_code || rec.ExceptionCode == code) && ++seen == nth) trigger = 1; }
            else trigger = 1;
            if (!trigger) { cont = DBG_EXCEPTION_NOT_HANDLED; break; }
            /* ---- write the dump */
            CONTEXT ctx; memset(&ctx, 0, sizeof ctx);
            ctx.ContextFlags = CONTEXT_ALL;
            HANDLE th = thread_handle(ev.dwThreadId);
            if (!th || !GetThreadContext(th, &ctx)) fprintf(stderr, "labdump: GetThreadContext failed %lu\n", GetLastError());
            g_exc_addr = (uintptr_t)rec.ExceptionAddress;
            EXCEPTION_POINTERS ep = { &rec, &ctx };
            MINIDUMP_EXCEPTION_INFORMATION mei = { ev.dwThreadId, &ep, FALSE };
            HANDLE hf = CreateFileA(out, GENERIC_READ | GENERIC_WRITE, 0, NULL, CREATE_ALWAYS, FILE_ATTRIBUTE_NORMAL, NULL);
            if (hf == INVALID_HANDLE_VALUE) { fprintf(stderr, "labdump: cannot create %s\n", out); rc = 4; }
            else {
                BOOL ok = MiniDumpWriteDump(pi.hProcess, pi.dwProcessId, hf, (MINIDUMP_TYPE)type, &mei, NULL, NULL);
                DWORD err = GetLastError();
                CloseHandle(hf);
                if (!ok) { fprintf(stderr, "labdump: MiniDumpWriteDump failed: %lu\n", err); rc = 5; }
                else {
                    char *cm = malloc(strlen(comment) + strlen(target) + sizeof events + 512);
                    /* the dumper's own command line minus the (long) -c comment text */
                    char dcl[2048]; const char *cl = GetCommandLineA(), *cq = strstr(cl, " -c ");
                    if (cq && *comment && (cq = strstr(cq, comment)) != NULL) {
                        snprintf(dcl, sizeof dcl, "%.*s<comment>%s", (int)(strstr(cl, " -c ") + 4 - cl), cl, cq + strlen(comment) + (cq[strlen(comment)] == '"'));
                    } else snprintf(dcl, sizeof dcl, "%s", cl);
                    cm = realloc(cm, strlen(comment) + strlen(target) + strlen(dcl) + sizeof events + 512);
                    sprintf(cm, "%s\r\ndumper: %s (dump type 0x%lx)\r\ntarget: %s\r\ntrigger: %s-chance exception 0x%08lx in thread 0x%lx\r\nevents: %s",
                            comment, dcl, type, target, first ? "first" : "second", rec.ExceptionCode, ev.dwThreadId, events);
                    if (!raw && !postprocess(out, pi.dwProcessId, cm)) { fprintf(stderr, "labdump: post-processing failed\n"); rc = 6; }
                    else rc = 0;
                    free(cm);
                    if (!nowalk) walk_stack(pi.hProcess, th, &ctx);
                    printf("event dump chance=%s code=0x%08lx tid=0x%lx file=%s\n", first ? "first" : "second",
                           rec.ExceptionCode, ev.dwThreadId, out);
                }
            }
            dumped = 1;
            fflush(stdout);
            TerminateProcess(pi.hProcess, rec.ExceptionCode);
            break;
        }
        default: break;
        }
        fflush(stdout);
        ContinueDebugEvent(ev.dwProcessId, ev.dwThreadId, cont);
    }
done:
    if (!dumped) { fprintf(stderr, "labdump: no dump written\n"); rc = rc ? rc : 7; }
    return rc;
}
