/* wwcache.dll (Wide World Importers Object Cache) - heapcorrupt: an evicted cache entry is still
 * referenced and written to after HeapFree (use-after-free), overwriting the heap's free-list
 * links stored in the freed block; the next HeapAlloc of that size faults inside ntdll. */
#include "../common/lab.h"
typedef struct WwEntry { struct WwEntry *next, *prev; char payload[240]; } WwEntry;
static WwEntry *g_stale;
LAB_NOIPA WwEntry *WwCacheInsert(HANDLE heap) {
    WwEntry *e = HeapAlloc(heap, 0, sizeof(WwEntry));
    if (e) memset(e->payload, 0x57, sizeof e->payload);
    return e;
}
LAB_NOIPA void WwCacheEvict(HANDLE heap, WwEntry *e) {
    HeapFree(heap, 0, e);                /* g_stale still points here */
}
LAB_NOIPA void WwCacheTouch(WwEntry *e) {
    /* "re-link" the stale entry: writes where the heap keeps its free-list pointers */
#ifdef _WIN64
    e->next = (WwEntry *)0x0000414141414140ULL;
    e->prev = (WwEntry *)0x0000424242424240ULL;
#else
    e->next = (WwEntry *)0x41414140;
    e->prev = (WwEntry *)0x42424240;
#endif
}
LAB_EXPORT int WwCacheRefresh(int arg) {
    HANDLE heap = GetProcessHeap();
    WwEntry *a = WwCacheInsert(heap), *b = WwCacheInsert(heap), *c = WwCacheInsert(heap);
    g_stale = b;
    WwCacheEvict(heap, b);
    WwCacheTouch(g_stale);
    WwEntry *d = WwCacheInsert(heap);    /* reuses b's free block: unlinks the corrupt entry */
    return (a != NULL) + (c != NULL) + (d != NULL) + arg;
}
