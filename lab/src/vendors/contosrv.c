/* contosrv.dll (Contoso Script Runtime) - dep: "JIT" code is copied into a PAGE_READWRITE buffer
 * and called without making it executable (DEP / NX violation, AV with parameter 0 = 8). */
#include "../common/lab.h"
typedef int (*jit_fn_t)(void);
LAB_NOIPA int CsCallJitted(jit_fn_t fn) { return fn(); }
LAB_EXPORT int CsRunScript(int arg) {
    static const unsigned char code[] = { 0xb8, 0x2a, 0x00, 0x00, 0x00, 0xc3 };   /* mov eax,42; ret */
    unsigned char *buf = VirtualAlloc(NULL, 4096, MEM_COMMIT | MEM_RESERVE, PAGE_READWRITE);
    if (!buf) return -1;
    memcpy(buf, code, sizeof code);
    return CsCallJitted((jit_fn_t)buf) + arg;
}
