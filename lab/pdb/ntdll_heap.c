/* The NT heap's headers as the public ntdll PDB of Windows 10 x64 describes them (`dt
 * ntdll!_HEAP_SEGMENT`, `dt ntdll!_HEAP`, build 17763), for coroner's test of heap layouts read
 * from a PDB's type stream (lab/pdb/build-heap.sh). Only the types matter: the DLL exports one
 * variable of each so that clang's CodeView keeps them.
 *
 * Built twice: as is (the real offsets), and with -DOTHER_BUILD, a made-up "build" whose
 * _HEAP_SEGMENT has one more pointer before SegmentSignature, so every later field moves by 8
 * and a walk with the known-build offsets reads the wrong bytes.
 *
 * _HEAP opens with a union of its _HEAP_SEGMENT (`Segment`) and the same fields inline, as
 * ntdll's does; _HEAP_SEGMENT.Heap points to a _HEAP declared but not yet defined (a forward
 * reference in the type stream). */
typedef unsigned char UCHAR;
typedef unsigned short USHORT;
typedef unsigned int ULONG;
typedef unsigned long long ULONGLONG;

typedef struct _LIST_ENTRY {
    struct _LIST_ENTRY *Flink;
    struct _LIST_ENTRY *Blink;
} LIST_ENTRY;

typedef struct _HEAP_ENTRY {
    void *PreviousBlockPrivateData;
    USHORT Size;
    UCHAR Flags;
    UCHAR SmallTagIndex;
    USHORT PreviousSize;
    UCHAR SegmentOffset;
    UCHAR UnusedBytes;
} HEAP_ENTRY;

struct _HEAP;

#ifdef OTHER_BUILD
#define EXTRA void *SegmentCookie;
#else
#define EXTRA
#endif

#define SEGMENT_FIELDS                                                                        \
    HEAP_ENTRY Entry;                      /* +0x000 */                                     \
    EXTRA                                  /* (OTHER_BUILD: +0x010, 8 bytes) */             \
    ULONG SegmentSignature;                /* +0x010 */                                     \
    ULONG SegmentFlags;                    /* +0x014 */                                     \
    LIST_ENTRY SegmentListEntry;           /* +0x018 */                                     \
    struct _HEAP *Heap;                    /* +0x028 */                                     \
    void *BaseAddress;                     /* +0x030 */                                     \
    ULONG NumberOfPages;                   /* +0x038 */                                     \
    HEAP_ENTRY *FirstEntry;                /* +0x040 */                                     \
    HEAP_ENTRY *LastValidEntry;            /* +0x048 */                                     \
    ULONG NumberOfUnCommittedPages;        /* +0x050 */                                     \
    ULONG NumberOfUnCommittedRanges;       /* +0x054 */                                     \
    USHORT SegmentAllocatorBackTraceIndex; /* +0x058 */                                     \
    USHORT Reserved;                       /* +0x05a */                                     \
    LIST_ENTRY UCRSegmentList;             /* +0x060 */

struct _HEAP_SEGMENT {
    SEGMENT_FIELDS
};

struct _HEAP {
    union {
        struct _HEAP_SEGMENT Segment;
        struct {
            SEGMENT_FIELDS
        };
    };
    ULONG Flags;                      /* +0x070 */
    ULONG ForceFlags;                 /* +0x074 */
    ULONG CompatibilityFlags;         /* +0x078 */
    ULONG EncodeFlagMask;             /* +0x07c */
    HEAP_ENTRY Encoding;              /* +0x080 */
    ULONG Interceptor;                /* +0x090 */
    ULONG VirtualMemoryThreshold;     /* +0x094 */
    ULONG Signature;                  /* +0x098 */
    ULONGLONG SegmentReserve;         /* +0x0a0 */
    ULONGLONG SegmentCommit;          /* +0x0a8 */
    ULONGLONG DeCommitFreeBlockThreshold; /* +0x0b0 */
    ULONGLONG DeCommitTotalFreeThreshold; /* +0x0b8 */
    ULONGLONG TotalFreeSize;          /* +0x0c0 */
    ULONGLONG MaximumAllocationSize;  /* +0x0c8 */
    USHORT ProcessHeapsListIndex;     /* +0x0d0 */
    USHORT HeaderValidateLength;      /* +0x0d2 */
    void *HeaderValidateCopy;         /* +0x0d8 */
    USHORT NextAvailableTagIndex;     /* +0x0e0 */
    USHORT MaximumTagIndex;           /* +0x0e2 */
    void *TagEntries;                 /* +0x0e8 */
    LIST_ENTRY UCRList;               /* +0x0f0 */
    ULONGLONG AlignRound;             /* +0x100 */
    ULONGLONG AlignMask;              /* +0x108 */
    LIST_ENTRY VirtualAllocdBlocks;   /* +0x110 */
    LIST_ENTRY SegmentList;           /* +0x120 */
    USHORT AllocatorBackTraceIndex;   /* +0x130 */
    ULONG NonDedicatedListLength;     /* +0x134 */
    void *BlocksIndex;                /* +0x138 */
    void *UCRIndex;                   /* +0x140 */
    void *PseudoTagEntries;           /* +0x148 */
    LIST_ENTRY FreeLists;             /* +0x150 */
    void *LockVariable;               /* +0x160 */
    void *CommitRoutine;              /* +0x168 */
};

__declspec(dllexport) struct _HEAP RtlpHeapLayout;
__declspec(dllexport) struct _HEAP_SEGMENT RtlpHeapSegmentLayout;

int __stdcall DllMain(void *module, ULONG reason, void *reserved) {
    (void)module;
    (void)reason;
    (void)reserved;
    return 1;
}
