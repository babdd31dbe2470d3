/* labhost.exe - generic test host: loads one vendor DLL and calls into it.
 * Usage: labhost.exe SCENARIO      (nullwrite, stackoverflow, heapcorrupt, cppexception, cppthrow,
 *                                   failfast, unloaded, divzero, illegal, breakpoint, dep,
 *                                   guardpage, useafterfree)
 * Linked with a 256 KiB stack reserve so that the stack-overflow dumps stay small.
 * One idle "heartbeat" thread is started first; the scenario runs on the main thread (thread 0). */
#include "../common/lab.h"

typedef int (__cdecl *lab_entry_t)(int arg);

LAB_NOIPA int HostCallVendor(const char *dll, const char *export, int arg) {
    HMODULE mod = LoadLibraryA(dll);
    if (!mod) { printf("labhost: cannot load %s: %lu\n", dll, GetLastError()); return 2; }
    lab_entry_t fn = (lab_entry_t)GetProcAddress(mod, export);
    if (!fn) { printf("labhost: %s!%s not found\n", dll, export); return 3; }
    return fn(arg);
}

/* unloaded: keep a callback pointer into a plug-in, unload the plug-in, call the stale pointer */
LAB_NOIPA int HostRunPluginCallback(lab_entry_t cb, int arg) {
    return cb(arg);
}
LAB_NOIPA int HostUnloadedPlugin(void) {
    HMODULE mod = LoadLibraryA("litware.dll");
    if (!mod) { printf("labhost: cannot load litware.dll: %lu\n", GetLastError()); return 2; }
    lab_entry_t cb = (lab_entry_t)GetProcAddress(mod, "LitwareFormatCallback");
    int r = HostRunPluginCallback(cb, 1);
    FreeLibrary(mod);                           /* plug-in unloaded ... */
    return r + HostRunPluginCallback(cb, 2);    /* ... but its callback is still called */
}

static const struct { const char *scenario, *dll, *export; } table[] = {
    { "nullwrite",     "tsrecord.dll", "TsRecordCommit" },
    { "stackoverflow", "adparse.dll",  "AdParseDocument" },
    { "heapcorrupt",   "wwcache.dll",  "WwCacheRefresh" },
    { "cppexception",  "lucerne.dll",  "LucerneRenderPage" },
    { "cppthrow",      "margie.dll",   "MtBookItinerary" },
    { "failfast",      "woodgrv.dll",  "WgValidateToken" },
    { "divzero",       "graphdsn.dll", "GdScaleImage" },
    { "illegal",       "fourthcf.dll", "FcCalibrateSensor" },
    { "breakpoint",    "nwtrader.dll", "NwPostOrder" },
    { "dep",           "contosrv.dll", "CsRunScript" },
    { "guardpage",     "proseware.dll", "PwDrainRing" },
    { "useafterfree",  "fabmedia.dll", "FmDecodeFrame" },
};

int main(int argc, char **argv) {
    if (argc < 2) { printf("usage: labhost SCENARIO\n"); return 1; }
    HANDLE stop = CreateEventA(NULL, TRUE, FALSE, NULL);
    CloseHandle(CreateThread(NULL, 0, LabIdleThreadProc, stop, 0, NULL));
    Sleep(20);
    int r = 1;
    if (!strcmp(argv[1], "unloaded")) r = HostUnloadedPlugin();
    else {
        size_t i;
        for (i = 0; i < sizeof table / sizeof table[0]; i++)
            if (!strcmp(argv[1], table[i].scenario)) { r = HostCallVendor(table[i].dll, table[i].export, 7); break; }
        if (i == sizeof table / sizeof table[0]) printf("labhost: unknown scenario %s\n", argv[1]);
    }
    printf("labhost: survived (%d)\n", r);
    SetEvent(stop);
    return r;
}
