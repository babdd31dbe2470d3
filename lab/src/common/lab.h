/* Shared helpers for the coroner crash lab programs (see lab/README.md). */
#ifndef LAB_H
#define LAB_H
#include <windows.h>
#include <stdio.h>
#include <string.h>

/* noipa, not noinline: with noinline gcc -O2 still propagates constants (e.g. a NULL pointer)
 * into the caller and deletes the faulting store (WINE-NOTES.md). */
#define LAB_NOIPA __attribute__((noipa))
#define LAB_EXPORT __declspec(dllexport)

/* A thread that idles until the process dies: gives the dumps realistic extra threads. */
static inline DWORD WINAPI LabIdleThreadProc(LPVOID ev) {
    WaitForSingleObject((HANDLE)ev, INFINITE);
    return 0;
}
#endif
