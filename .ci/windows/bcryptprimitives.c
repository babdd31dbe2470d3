/* A stand-in for Windows' bcryptprimitives.dll, for running coroner.exe under Debian 12's Wine 8.0.
 *
 * Rust's standard library (1.78 and later) takes its random numbers from ProcessPrng in
 * bcryptprimitives.dll, which Windows 10 and later have and Wine 8.0 lacks, so every Rust .exe
 * fails to start there. This DLL exports ProcessPrng and fills the buffer from
 * SystemFunction036 (RtlGenRandom in advapi32), which Wine has. CI only: the shipped binary is
 * unchanged and on Windows loads the system's own DLL. Built by .ci/windows/run with mingw-w64.
 */
#include <windows.h>

BOOLEAN WINAPI SystemFunction036(PVOID buffer, ULONG length);

__declspec(dllexport) BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T length)
{
    while (length > 0) {
        ULONG chunk = length > 0x10000000 ? 0x10000000 : (ULONG)length;
        if (!SystemFunction036(data, chunk))
            return FALSE;
        data += chunk;
        length -= chunk;
    }
    return TRUE;
}
