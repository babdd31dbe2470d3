// The MSVC-style x64 lab case (lab/msvc-x64/build.sh): C++ classes, a namespace, an anonymous
// namespace and a class template on a call chain six deep, built by clang for
// x86_64-pc-windows-msvc and linked by lld-link with a PDB. No frame pointers (the x64 Windows
// ABI unwinds through .pdata), no CRT, no imports. Every function keeps string-constant pointers
// and addresses of data in volatile locals, so the stack below each return address holds values
// inside the image that a scanner without function bounds takes for return addresses.
// The `CHAIN n` markers give the real call chain, innermost (0) first; build.sh turns them into
// fixtures/lab/msvc-x64/msvcx64-truth.json.

#define NOINLINE __declspec(noinline)

extern "C" int _fltused = 0;

namespace app {

int g_table[64] = {1, 2, 3};
const char *const g_labels[] = {"alpha label", "beta label", "gamma label"};

struct Config {
    const char *label;
    int scale;
    int *slot;
};
Config g_config = {"config: widget scale", 3, g_table};

class Widget {
public:
    NOINLINE int draw(int x, float y, const char *label); // CHAIN 0
    int *target;
    int width;
};

int Widget::draw(int x, float y, const char *label) {
    const char *volatile notes[3] = {"drawing the widget now", label, g_labels[1]};
    int *volatile data = &g_table[5];
    Config *volatile cfg = &g_config;
    // Access violation: `target` is null (a write to 0x10 + 4 * x).
    target[4 + x] = width + static_cast<int>(y) + (notes[0] != nullptr) + *data + cfg->scale;
    return target[0];
}

template <typename T> class Holder {
public:
    NOINLINE T apply(T v); // CHAIN 2
    T value;
};

} // namespace app

namespace {

class Parser {
public:
    NOINLINE int parse(const char *text, app::Widget *w); // CHAIN 1
};

int Parser::parse(const char *text, app::Widget *w) {
    const char *volatile here[2] = {"parser: reading tokens", text};
    int *volatile slot = app::g_config.slot;
    int n = 0;
    for (const char *p = text; *p; ++p)
        n += *p == ' ';
    int r = w->draw(n, 1.5f, here[0]);
    return r + n + *slot;
}

} // namespace

namespace app {

template <typename T> T Holder<T>::apply(T v) {
    const char *volatile why[2] = {"holder: applying value", g_labels[2]};
    const Config *volatile cfg = &g_config;
    Widget w = {nullptr, static_cast<int>(v)};
    Parser p;
    T r = static_cast<T>(p.parse(why[0], &w));
    return r + value + cfg->scale;
}

class Pipeline {
public:
    NOINLINE int stage(int depth); // CHAIN 3
    Holder<int> holder;
};

int Pipeline::stage(int depth) {
    const char *volatile names[2] = {"pipeline stage", g_labels[0]};
    int *volatile row = &g_table[depth];
    int r = holder.apply(depth + *row);
    return r + (names[1] != nullptr);
}

class Runner {
public:
    NOINLINE static int run(Pipeline &p); // CHAIN 4
};

int Runner::run(Pipeline &p) {
    const char *volatile banner[2] = {"runner: starting the pipeline", g_config.label};
    int total = p.stage(2);
    return total + (banner[0] != nullptr);
}

} // namespace app

extern "C" NOINLINE int entry() { // CHAIN 5
    const char *volatile hello[2] = {"entry: hello from msvcx64", app::g_labels[0]};
    app::Pipeline p = {{7}};
    int r = app::Runner::run(p);
    return r + (hello[1] != nullptr);
}
