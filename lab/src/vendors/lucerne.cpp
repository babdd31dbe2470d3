// lucerne.dll (Lucerne Publishing Layout Engine) - cppexception: a C++ exception thrown from deep
// inside the layout code is never caught. With mingw-w64 x64 (SEH unwinder) the throw is
// RaiseException(0x20474343 'GCC ', ...) from libgcc's _Unwind_RaiseException.
#include <stdexcept>
#include <string>
#include <windows.h>
#define LAB_NOIPA __attribute__((noipa))

namespace lucerne {
struct FontCache {
    LAB_NOIPA const char *glyph(int code) {
        if (code > 6) throw std::runtime_error("lucerne: glyph cache corrupt for code " + std::to_string(code));
        return "g";
    }
};
struct Layout {
    FontCache cache;
    LAB_NOIPA int measure_line(int code) { return (int)std::string(cache.glyph(code)).size(); }
    LAB_NOIPA int layout_page(int code) { return measure_line(code) * 2; }
};
}

extern "C" __declspec(dllexport) int LucerneRenderPage(int code) {
    lucerne::Layout l;
    return l.layout_page(code);
}
