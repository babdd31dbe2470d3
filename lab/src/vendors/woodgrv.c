/* woodgrv.dll (Woodgrove Secure Token) - failfast: a canary check fails and the component calls
 * __fastfail(FAST_FAIL_FATAL_APP_EXIT = 7): `int 0x29` with the code in ecx/rcx. */
#include "../common/lab.h"
static volatile DWORD g_canary = 0x57475244;
LAB_NOIPA __attribute__((noreturn)) void WgFailFast(unsigned int code) {
    __asm__ volatile ("int $0x29" :: "c"(code) : "memory");
    __builtin_unreachable();
}
LAB_NOIPA int WgCheckCanary(const volatile DWORD *canary) {
    if (*canary != 0x57475244) WgFailFast(7 /* FAST_FAIL_FATAL_APP_EXIT */);
    return 1;
}
LAB_EXPORT int WgValidateToken(int arg) {
    g_canary ^= (DWORD)arg;              /* "token corrupted" */
    return WgCheckCanary(&g_canary);
}
