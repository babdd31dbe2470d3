/* fabmedia.dll (Fabrikam Media Decoder) - useafterfree: a 1 MiB frame buffer is HeapFree()d
 * (large blocks are released back to the OS) and then read through a stale pointer: access
 * violation reading freed (MEM_FREE) memory. */
#include "../common/lab.h"
typedef struct FmFrame { int width, height; unsigned char *pixels; } FmFrame;
static FmFrame g_frame;
LAB_NOIPA void FmReleaseFrame(FmFrame *f) {
    HeapFree(GetProcessHeap(), 0, f->pixels);   /* pixels not cleared: dangling */
}
LAB_NOIPA int FmChecksumFrame(const FmFrame *f) {
    int sum = 0;
    for (int i = 0; i < f->width * f->height; i += 4096) sum += f->pixels[i];
    return sum;
}
LAB_EXPORT int FmDecodeFrame(int arg) {
    g_frame.width = 1024; g_frame.height = 1024;
    g_frame.pixels = HeapAlloc(GetProcessHeap(), HEAP_ZERO_MEMORY, 1024 * 1024);
    if (!g_frame.pixels) return -1;
    int sum = FmChecksumFrame(&g_frame);
    FmReleaseFrame(&g_frame);
    return sum + FmChecksumFrame(&g_frame) + arg;   /* use after free */
}
