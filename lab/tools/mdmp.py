"""Minimal minidump reader (Python stdlib only) used by the crash lab to verify dumps and to
compute fixtures/lab/expected.json. Not a general-purpose parser: just what the lab needs."""
import bisect
import struct

STREAM_NAMES = {
    0: "Unused", 3: "ThreadList", 4: "ModuleList", 5: "MemoryList", 6: "Exception",
    7: "SystemInfo", 9: "Memory64List", 10: "CommentA", 11: "CommentW", 12: "HandleData",
    14: "UnloadedModuleList", 15: "MiscInfo", 16: "MemoryInfoList", 17: "ThreadInfoList",
    22: "ProcessVmCounters", 0xFFF0: "WineUnixModules",
}


class Dump:
    def __init__(self, path):
        self.path = path
        with open(path, "rb") as f:
            self.data = f.read()
        d = self.data
        sig, ver, n, rva = struct.unpack_from("<4sIII", d, 0)
        if sig != b"MDMP":
            raise ValueError("not a minidump: %r" % sig)
        self.version = ver
        self.streams = []
        for i in range(n):
            t, size, srva = struct.unpack_from("<III", d, rva + 12 * i)
            if srva + size > len(d):
                raise ValueError("stream %d (type %d) out of file" % (i, t))
            self.streams.append((t, size, srva))
        self._parse()

    def stream(self, t):
        for st, size, rva in self.streams:
            if st == t:
                return rva, size
        return None

    def u16(self, o): return struct.unpack_from("<H", self.data, o)[0]
    def u32(self, o): return struct.unpack_from("<I", self.data, o)[0]
    def u64(self, o): return struct.unpack_from("<Q", self.data, o)[0]

    def mdstring(self, rva):
        n = self.u32(rva)
        return self.data[rva + 4: rva + 4 + n].decode("utf-16-le", "replace")

    def _parse(self):
        d = self.data
        si = self.stream(7)
        self.arch = None
        if si:
            pa = self.u16(si[0])
            self.arch = {0: "x86", 9: "x64", 12: "arm64", 5: "arm"}.get(pa, str(pa))
        self.ptr = 8 if self.arch == "x64" else 4
        # threads
        self.threads = []
        tl = self.stream(3)
        if tl:
            for i in range(self.u32(tl[0])):
                o = tl[0] + 4 + 48 * i
                tid, susp, pcls, prio, teb, sstart, ssize, srva, csize, crva = struct.unpack_from("<IIIIQQIIII", d, o)
                self.threads.append(dict(tid=tid, teb=teb, stack_start=sstart, stack_size=ssize,
                                         stack_rva=srva, ctx_rva=crva, ctx_size=csize))
        # modules
        self.modules = []
        ml = self.stream(4)
        if ml:
            for i in range(self.u32(ml[0])):
                o = ml[0] + 4 + 108 * i
                base, size, cks, ts, nrva = struct.unpack_from("<QIIII", d, o)
                vs = struct.unpack_from("<13I", d, o + 24)
                cv_size, cv_rva = struct.unpack_from("<II", d, o + 76)
                name = self.mdstring(nrva)
                fv = None
                if vs[0] == 0xFEEF04BD:
                    fv = "%d.%d.%d.%d" % (vs[2] >> 16, vs[2] & 0xFFFF, vs[3] >> 16, vs[3] & 0xFFFF)
                cv = d[cv_rva:cv_rva + cv_size] if cv_size else b""
                self.modules.append(dict(base=base, size=size, name=name, file=name.replace("/", "\\").split("\\")[-1],
                                         timestamp=ts, file_version=fv, cv=cv))
        # memory
        self.memory = []
        mm = self.stream(5)
        if mm:
            for i in range(self.u32(mm[0])):
                a, n, r = struct.unpack_from("<QII", d, mm[0] + 4 + 16 * i)
                self.memory.append((a, n, r))
        self.memory.sort()
        self._mem_starts = [m[0] for m in self.memory]
        # exception
        self.exception = None
        ex = self.stream(6)
        if ex:
            o = ex[0]
            tid = self.u32(o)
            code, flags, rec, addr, nparams = struct.unpack_from("<IIQQI", d, o + 8)
            params = list(struct.unpack_from("<15Q", d, o + 8 + 32))[:nparams]
            csize, crva = struct.unpack_from("<II", d, o + 8 + 152)
            self.exception = dict(tid=tid, code=code, flags=flags, address=addr, params=params,
                                  ctx_rva=crva, ctx_size=csize)
        # user/extra streams
        c = self.stream(10)
        self.comment = d[c[0]:c[0] + c[1]].rstrip(b"\0").decode("latin-1") if c else None
        self.meminfo = []
        mi = self.stream(16)
        if mi:
            hs, es, n = struct.unpack_from("<IIQ", d, mi[0])
            for i in range(n):
                b, ab, ap, _, rs, st, pr, ty, _ = struct.unpack_from("<QQIIQIIII", d, mi[0] + hs + es * i)
                self.meminfo.append(dict(base=b, alloc_base=ab, alloc_protect=ap, size=rs, state=st, protect=pr, type=ty))
        self.unloaded = []
        um = self.stream(14)
        if um:
            hs, es, n = struct.unpack_from("<III", d, um[0])
            for i in range(n):
                b, s, ck, ts, nr = struct.unpack_from("<QIIII", d, um[0] + hs + es * i)
                self.unloaded.append(dict(base=b, size=s, name=self.mdstring(nr)))
        self.handles = []
        hd = self.stream(12)
        if hd:
            hs, ds, n, _ = struct.unpack_from("<IIII", d, hd[0])
            for i in range(n):
                h, tr, nr, at, ga, hc, pc = struct.unpack_from("<QIIIIII", d, hd[0] + hs + ds * i)
                self.handles.append(dict(handle=h, type=self.mdstring(tr) if tr else None,
                                         name=self.mdstring(nr) if nr else None))
        self.threadinfo = []
        ti = self.stream(17)
        if ti:
            hs, es, n = struct.unpack_from("<III", d, ti[0])
            for i in range(n):
                vals = struct.unpack_from("<IIIIQQQQQQ", d, ti[0] + hs + es * i)
                self.threadinfo.append(dict(tid=vals[0], create=vals[4], start=vals[8]))

    # ---- memory access
    def read(self, addr, size):
        i = bisect.bisect_right(self._mem_starts, addr) - 1
        if i < 0:
            return None
        a, n, r = self.memory[i]
        if addr + size > a + n:
            return None
        return self.data[r + addr - a: r + addr - a + size]

    def has(self, addr, size=1):
        return self.read(addr, size) is not None

    def ptr_at(self, addr):
        b = self.read(addr, self.ptr)
        if b is None:
            return None
        return struct.unpack("<Q" if self.ptr == 8 else "<I", b)[0]

    def module_at(self, addr):
        for m in self.modules:
            if m["base"] <= addr < m["base"] + m["size"]:
                return m
        return None

    def meminfo_at(self, addr):
        for r in self.meminfo:
            if r["base"] <= addr < r["base"] + r["size"]:
                return r
        return None

    def context_regs(self, ctx_rva):
        d = self.data
        if self.arch == "x64":
            rsp, rbp, rip = self.u64(ctx_rva + 0x98), self.u64(ctx_rva + 0xA0), self.u64(ctx_rva + 0xF8)
            return dict(sp=rsp, fp=rbp, ip=rip)
        return dict(sp=self.u32(ctx_rva + 0xC4), fp=self.u32(ctx_rva + 0xB4), ip=self.u32(ctx_rva + 0xB8))

    # ---- PE from dump memory
    def pe_dirs(self, base):
        h = self.read(base, 0x400)
        if not h or h[:2] != b"MZ":
            return None
        lfa = struct.unpack_from("<I", h, 0x3C)[0]
        h = self.read(base, lfa + 0x108)
        if not h or h[lfa:lfa + 4] != b"PE\0\0":
            return None
        magic = struct.unpack_from("<H", h, lfa + 24)[0]
        ddo = lfa + 24 + (112 if magic == 0x20B else 96)
        return [struct.unpack_from("<II", h, ddo + 8 * i) for i in range(16)]

    def exports(self, base):
        """{rva: name} from the export directory in dump memory (empty if not captured)."""
        dd = self.pe_dirs(base)
        if not dd or not dd[0][0]:
            return {}
        rva, size = dd[0]
        e = self.read(base + rva, 40)
        if not e:
            return {}
        nfunc, nnames, afun, anam, aord = struct.unpack_from("<IIIII", e, 20)
        out = {}
        funcs = self.read(base + afun, 4 * nfunc) or b""
        names = self.read(base + anam, 4 * nnames) or b""
        ords = self.read(base + aord, 2 * nnames) or b""
        for i in range(min(nnames, len(names) // 4, len(ords) // 2)):
            nr = struct.unpack_from("<I", names, 4 * i)[0]
            o = struct.unpack_from("<H", ords, 2 * i)[0]
            if 4 * o + 4 > len(funcs):
                continue
            fr = struct.unpack_from("<I", funcs, 4 * o)[0]
            if rva <= fr < rva + size:
                continue  # forwarder
            s = self.read(base + nr, 1)
            if s is None:
                continue
            chars = bytearray()
            a = base + nr
            while len(chars) < 256:
                c = self.read(a, 1)
                if not c or c == b"\0":
                    break
                chars += c
                a += 1
            out[fr] = chars.decode("latin-1")
        return out
