/* proseware.dll (Proseware Ring Buffer) - guardpage: the component reserves a ring buffer whose
 * last page is PAGE_GUARD (its own overrun sentinel) and reads past the end of the data into it:
 * STATUS_GUARD_PAGE_VIOLATION (0x80000001), unhandled. */
#include "../common/lab.h"
LAB_NOIPA int PwReadSlot(const volatile int *ring, int slot) {
    return ring[slot];                   /* slot 1024 = first int of the guard page */
}
LAB_EXPORT int PwDrainRing(int arg) {
    char *ring = VirtualAlloc(NULL, 8192, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE);
    DWORD old;
    if (!ring) return -1;
    VirtualProtect(ring + 4096, 4096, PAGE_READWRITE | PAGE_GUARD, &old);
    int sum = 0;
    for (int i = 0; i <= 1024; i++) sum += PwReadSlot((const volatile int *)ring, i);
    return sum + arg;
}
