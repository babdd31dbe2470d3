/* adparse.dll (Adventure Works Document Parser) - stackoverflow: a recursive-descent parser
 * without a depth limit meets a self-referencing document: AdParseValue -> AdParseArray ->
 * AdParseValue -> ... until the stack overflows. */
#include "../common/lab.h"
typedef struct AdNode { const struct AdNode *items[2]; int kind; } AdNode;
static AdNode g_doc;                                /* g_doc.items[0] == &g_doc : a cycle */
LAB_NOIPA int AdParseArray(const AdNode *n, int depth);
LAB_NOIPA int AdParseValue(const AdNode *n, int depth) {
    volatile char scratch[200];                     /* a realistic frame size */
    scratch[depth & 127] = (char)depth;
    if (n->kind == 1) return AdParseArray(n, depth + 1) + scratch[depth & 127];
    return 1;
}
LAB_NOIPA int AdParseArray(const AdNode *n, int depth) {
    int sum = 0;
    for (int i = 0; i < 2 && n->items[i]; i++) sum += AdParseValue(n->items[i], depth + 1);
    return sum;
}
LAB_EXPORT int AdParseDocument(int arg) {
    (void)arg;
    g_doc.kind = 1; g_doc.items[0] = &g_doc;
    return AdParseValue(&g_doc, 0);
}
