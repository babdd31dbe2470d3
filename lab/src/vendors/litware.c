/* litware.dll (Litware Formatter Plug-in) - unloaded: the host keeps this callback after
 * FreeLibrary and calls it (execution in the freed range of the unloaded DLL). */
#include "../common/lab.h"
static int g_calls;
LAB_EXPORT int LitwareFormatCallback(int arg) {
    g_calls++;
    return arg * 3 + g_calls;
}
