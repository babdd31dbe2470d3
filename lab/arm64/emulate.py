#!/usr/bin/env python3
"""Runs the ARM64 crash-lab DLL in an emulator (unicorn) and writes Windows ARM64 minidumps of
what happened, with the ground truth of every stack beside them.

No ARM64 Windows machine (or ARM64 Wine) is available to the lab, so this plays the part of the
OS: it maps the DLL at its preferred base, gives the thread a stack, calls `lab_entry` with
lr = 0 (the end of the stack, as RtlUserThreadStart leaves it), and tracks every `bl`/`blr` and
`ret` in a shadow stack. The shadow stack is the ground truth: for each live call, the return
address, the stack pointer at the call, and the callee-saved registers x19-x29 of the caller —
exactly what a correct unwinder must recover from .pdata/.xdata, whatever the prolog looks like.

Outputs (into OUTDIR):
  arm64-crash.dmp        the crash: leaf_write stores through a null pointer (c0000005), image
                         memory included (unwind data read from dump memory)
  arm64-crash-noimage.dmp  the same without image memory (unwind data only from --images)
  arm64-every-pc.dmp     one thread per instruction of the program, each stopped before that
                         instruction executed (prologs, bodies, epilogs, __chkstk), all sharing the
                         final stack memory of a run where the store succeeds
  arm64-expected.json    per dump and thread: the expected frames (pc, sp, x19-x29)

Usage: emulate.py DLL OUTDIR
"""
import json
import os
import struct
import sys

from unicorn import Uc, UcError, UC_ARCH_ARM64, UC_MODE_ARM, UC_HOOK_CODE, UC_PROT_ALL
from unicorn import UC_HOOK_MEM_WRITE_UNMAPPED, UC_HOOK_MEM_FETCH_UNMAPPED
from unicorn import arm64_const as A

STACK_BASE = 0x7F0000       # lowest address of the stack mapping
STACK_SIZE = 0x10000        # 64 KiB
TEB = 0x7FFDE000            # not captured: the thread's stack comes from its descriptor
SCRATCH = 0x500000          # where leaf_write stores in the every-pc run
CALLEE_SAVED = ["x19", "x20", "x21", "x22", "x23", "x24", "x25", "x26", "x27", "x28", "x29"]
XREG = [getattr(A, "UC_ARM64_REG_X%d" % i) for i in range(29)] + [A.UC_ARM64_REG_X29,
                                                                   A.UC_ARM64_REG_X30]


class Pe:
    def __init__(self, data):
        self.data = data
        pe = struct.unpack_from("<I", data, 0x3C)[0]
        assert data[pe:pe + 4] == b"PE\0\0"
        self.machine, nsec, self.timestamp, _, _, optsize, _ = struct.unpack_from("<HHIIIHH",
                                                                                  data, pe + 4)
        opt = pe + 24
        assert struct.unpack_from("<H", data, opt)[0] == 0x20B, "PE32+ expected"
        self.base = struct.unpack_from("<Q", data, opt + 24)[0]
        self.size = struct.unpack_from("<I", data, opt + 56)[0]
        self.headers = struct.unpack_from("<I", data, opt + 60)[0]
        self.checksum = struct.unpack_from("<I", data, opt + 64)[0]
        ndirs = struct.unpack_from("<I", data, opt + 108)[0]
        self.dirs = [struct.unpack_from("<II", data, opt + 112 + 8 * i) for i in range(ndirs)]
        self.sections = []
        for i in range(nsec):
            o = opt + optsize + 40 * i
            name = data[o:o + 8].rstrip(b"\0").decode()
            vsize, va, rawsize, rawptr = struct.unpack_from("<IIII", data, o + 8)
            self.sections.append((name, va, vsize, rawptr, rawsize))

    def image(self):
        """The image as the loader maps it (SizeOfImage bytes)."""
        img = bytearray(self.size)
        img[:self.headers] = self.data[:self.headers]
        for _, va, vsize, rawptr, rawsize in self.sections:
            n = min(vsize, rawsize)
            img[va:va + n] = self.data[rawptr:rawptr + n]
        return bytes(img)

    def exports(self):
        img = self.image()
        rva, _ = self.dirs[0]
        nfuncs, nnames, funcs, names, ords = struct.unpack_from("<IIIII", img, rva + 20)
        out = {}
        for i in range(nnames):
            nrva = struct.unpack_from("<I", img, names + 4 * i)[0]
            name = img[nrva:img.index(b"\0", nrva)].decode()
            o = struct.unpack_from("<H", img, ords + 2 * i)[0]
            out[name] = struct.unpack_from("<I", img, funcs + 4 * o)[0]
        return out


def regs_of(uc):
    r = {("x%d" % i): uc.reg_read(XREG[i]) for i in range(29)}
    r["x29"] = uc.reg_read(A.UC_ARM64_REG_X29)
    r["x30"] = uc.reg_read(A.UC_ARM64_REG_X30)
    r["sp"] = uc.reg_read(A.UC_ARM64_REG_SP)
    r["pc"] = uc.reg_read(A.UC_ARM64_REG_PC)
    r["cpsr"] = uc.reg_read(A.UC_ARM64_REG_NZCV)
    return r


def run(pe, target, stop_every_pc):
    """Runs lab_entry(0x11, 0x22). Returns (stack bytes at the end, fault or None, snapshots):
    a snapshot is (registers, shadow stack) before an instruction first executes."""
    uc = Uc(UC_ARCH_ARM64, UC_MODE_ARM)
    uc.reg_write(A.UC_ARM64_REG_CPACR_EL1, 0x300000)  # FP/SIMD on
    img = pe.image()
    uc.mem_map(pe.base, (pe.size + 0xFFF) & ~0xFFF, UC_PROT_ALL)
    uc.mem_write(pe.base, img)
    uc.mem_map(STACK_BASE, STACK_SIZE, UC_PROT_ALL)
    uc.mem_map(SCRATCH, 0x1000, UC_PROT_ALL)
    exports = pe.exports()
    uc.mem_write(pe.base + exports["lab_target"], struct.pack("<Q", target))
    sp = STACK_BASE + STACK_SIZE - 0x100
    uc.reg_write(A.UC_ARM64_REG_SP, sp)
    uc.reg_write(A.UC_ARM64_REG_X30, 0)
    uc.reg_write(A.UC_ARM64_REG_X0, 0x11)
    uc.reg_write(A.UC_ARM64_REG_X1, 0x22)
    for i, r in enumerate(CALLEE_SAVED[:-1]):  # recognisable callee-saved values
        uc.reg_write(XREG[19 + i], 0x1900 + i)
    uc.reg_write(A.UC_ARM64_REG_X29, 0)

    shadow = []
    snaps = []
    seen = set()
    fault = {}

    def on_code(uc, addr, size, _):
        if stop_every_pc and addr not in seen:
            seen.add(addr)
            snaps.append((regs_of(uc), [dict(f) for f in shadow]))
        insn = struct.unpack("<I", uc.mem_read(addr, 4))[0]
        if insn & 0xFC000000 == 0x94000000 or insn & 0xFFFFFC1F == 0xD63F0000:  # bl / blr
            r = regs_of(uc)
            shadow.append({"ret": addr + 4, "sp": r["sp"],
                           "regs": {k: r[k] for k in CALLEE_SAVED}})
        elif insn & 0xFFFFFC1F == 0xD65F0000 and shadow:  # ret
            shadow.pop()

    def on_bad_write(uc, access, addr, size, value, _):
        fault["regs"] = regs_of(uc)
        fault["addr"] = addr
        fault["shadow"] = [dict(f) for f in shadow]
        return False

    uc.hook_add(UC_HOOK_CODE, on_code)
    uc.hook_add(UC_HOOK_MEM_WRITE_UNMAPPED, on_bad_write)
    uc.hook_add(UC_HOOK_MEM_FETCH_UNMAPPED, lambda *a: False)  # the return to lr = 0
    try:
        uc.emu_start(pe.base + exports["lab_entry"], 0)
    except UcError:
        pass
    # The used part of the stack (from just below the deepest sp), as a dump would hold it.
    low = min([r["sp"] for r, _ in snaps] + [fault["regs"]["sp"]] if fault else
              [r["sp"] for r, _ in snaps])
    low = max(STACK_BASE, (low - 0x100) & ~0xFFF)
    stack = bytes(uc.mem_read(low, STACK_BASE + STACK_SIZE - low))
    return (low, stack), (fault or None), snaps


def expected_frames(regs, shadow):
    """Frame 0 is the context; then one frame per live call, innermost first: [pc, sp] and for
    callers [pc, sp, [x19..x29]]."""
    frames = [[regs["pc"], regs["sp"]]]
    for f in reversed(shadow):
        frames.append([f["ret"], f["sp"], [f["regs"][k] for k in CALLEE_SAVED]])
    return frames


def context_bytes(r):
    """A Windows ARM64 CONTEXT (0x390 bytes): flags, cpsr, x0-x28, fp, lr, sp, pc, ..."""
    b = bytearray(0x390)
    struct.pack_into("<II", b, 0, 0x00400007, r["cpsr"])
    for i in range(29):
        struct.pack_into("<Q", b, 8 + 8 * i, r["x%d" % i])
    struct.pack_into("<QQQQ", b, 8 + 8 * 29, r["x29"], r["x30"], r["sp"], r["pc"])
    return bytes(b)


class Writer:
    def __init__(self):
        self.buf = bytearray(32)
        self.streams = []

    def add(self, data, align=8):
        while len(self.buf) % align:
            self.buf.append(0)
        rva = len(self.buf)
        self.buf += data
        return rva

    def string(self, s):
        u = s.encode("utf-16-le")
        return self.add(struct.pack("<I", len(u)) + u + b"\0\0", 4)

    def stream(self, ty, data):
        self.streams.append((ty, len(data), self.add(data)))

    def finish(self, timestamp):
        d = b"".join(struct.pack("<III", *s) for s in self.streams)
        rva = self.add(d, 4)
        struct.pack_into("<4sIIIIIQ", self.buf, 0, b"MDMP", 0xA793, len(self.streams), rva, 0,
                         timestamp, 0)
        return bytes(self.buf)


def write_dump(path, pe, dll_name, threads, low_stack, with_image, exception=None):
    """threads: [(thread id, registers)]; exception: (thread id, code, address, params)."""
    w = Writer()
    low, stack = low_stack
    stack_rva = w.add(stack, 16)
    image_rva = w.add(pe.image(), 16) if with_image else None
    mem = [(low, len(stack), stack_rva)]
    if with_image:
        mem.append((pe.base, pe.size, image_rva))
    ctx_rvas = {tid: w.add(context_bytes(r), 16) for tid, r in threads}
    name_rva = w.string("C:\\lab\\" + dll_name)
    csd = w.string("")
    # SystemInfo: PROCESSOR_ARCHITECTURE_ARM64 (12), Windows 10.0.22621, workstation.
    w.stream(7, struct.pack("<HHHBBIIIIIHH", 12, 8, 0, 4, 1, 10, 0, 22621, 2, csd, 0x100, 0)
             + bytes(24))
    tl = struct.pack("<I", len(threads))
    for tid, r in threads:
        tl += struct.pack("<IIIIQQIIII", tid, 0, 0x20, 0, TEB, low, len(stack),
                          stack_rva, 0x390, ctx_rvas[tid])
    w.stream(3, tl)
    vs = struct.pack("<13I", 0xFEEF04BD, 0x10000, 0x10000, 0, 0x10000, 0, 0x3F, 0, 0x4, 2, 0, 0, 0)
    w.stream(4, struct.pack("<I", 1) + struct.pack("<QIIII", pe.base, pe.size, pe.checksum,
                                                    pe.timestamp, name_rva)
             + vs + bytes(8 + 8 + 16))
    w.stream(5, struct.pack("<I", len(mem)) + b"".join(struct.pack("<QII", *m) for m in mem))
    if exception:
        tid, code, addr, params = exception
        rec = struct.pack("<IIQQII", code, 0, 0, addr, len(params), 0)
        rec += b"".join(struct.pack("<Q", p) for p in params) + bytes(8 * (15 - len(params)))
        w.stream(6, struct.pack("<II", tid, 0) + rec + struct.pack("<II", 0x390, ctx_rvas[tid]))
    with open(path, "wb") as f:
        f.write(w.finish(1700000000))


def main():
    dll, out = sys.argv[1], sys.argv[2]
    data = open(dll, "rb").read()
    pe = Pe(data)
    assert pe.machine == 0xAA64, "not an ARM64 image"
    name = os.path.basename(dll)
    funcs = sorted((rva, n) for n, rva in pe.exports().items())

    def where(pc):
        rva = pc - pe.base
        best = None
        for frva, n in funcs:
            if frva <= rva:
                best = "%s+0x%x" % (n, rva - frva)
        return best

    expected = {}
    # The crash.
    stack, fault, _ = run(pe, 0, False)
    assert fault and fault["addr"] == 0, "the lab program did not fault on the null store"
    r = fault["regs"]
    for with_image, fname in ((True, "arm64-crash.dmp"), (False, "arm64-crash-noimage.dmp")):
        write_dump(os.path.join(out, fname), pe, name, [(1, r)], stack, with_image,
                   (1, 0xC0000005, r["pc"], [1, 0]))
        expected[fname] = {"1": expected_frames(r, fault["shadow"])}
    # Every instruction.
    stack, fault, snaps = run(pe, SCRATCH, True)
    assert fault is None
    threads = [(i + 1, regs) for i, (regs, _) in enumerate(snaps)]
    write_dump(os.path.join(out, "arm64-every-pc.dmp"), pe, name, threads, stack, True)
    expected["arm64-every-pc.dmp"] = {str(i + 1): expected_frames(regs, shadow)
                                      for i, (regs, shadow) in enumerate(snaps)}
    # Names of the crash's frames, for people reading the file.
    crash_where = [where(f[0]) or "?" for f in expected["arm64-crash.dmp"]["1"]]
    with open(os.path.join(out, "arm64-expected.json"), "w") as f:
        json.dump({"module": name, "base": pe.base, "frame": "[pc, sp, [x19..x29] (callers)]",
                   "crash_frames": crash_where, "dumps": expected}, f, separators=(",", ":"))
        f.write("\n")
    print("%s: crash at %s (%d frames); %d threads in arm64-every-pc.dmp"
          % (name, where(r["pc"]), len(crash_where), len(threads)))


if __name__ == "__main__":
    main()
