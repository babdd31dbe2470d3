/* A program whose optimised build inlines three levels deep, for coroner's PDB inline-site
 * reading. Built by build.sh with clang (CodeView) and lld-link (PDB); the markers below give
 * the ground truth: each MARK_* store is found in the disassembly, and its expected inline stack
 * comes from the line numbers of the CALL_* comments. */
static volatile int sink;

static inline __attribute__((always_inline)) void leaf(int v) {
    sink = v * 3 + 0x11223344; /* MARK_LEAF */
}

static inline __attribute__((always_inline)) void middle(int v) {
    leaf(v + 1); /* CALL_LEAF */
    sink = v ^ 0x55667788; /* MARK_MIDDLE */
}

__declspec(noinline) int outer(int v) {
    middle(v); /* CALL_MIDDLE */
    sink = v - 0x0a0b0c0d; /* MARK_OUTER */
    return sink;
}

int entry(void) { return outer(5); }
