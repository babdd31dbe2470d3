//! The module table of the synthetic w3wp.exe (Windows Server 2003 SP1, x86).

use crate::pe::{Image, Section, VersionStrings, SCN_CODE, SCN_DATA, SCN_RDATA, SCN_RELOC};

pub const W3WP: usize = 0;
pub const NTDLL: usize = 1;
pub const KERNEL32: usize = 2;
// 3 msvcrt, 4 advapi32, 5 rpcrt4, 6 ole32 (no code sites)
pub const OLEAUT32: usize = 7;
pub const W3ISAPI: usize = 8;
pub const ASP: usize = 9;
pub const ABC: usize = 10;
pub const CONTOSO: usize = 11;

pub const SP1: [u16; 4] = [5, 2, 3790, 1830];
pub const IIS: [u16; 4] = [6, 0, 3790, 1830];
pub const CRT: [u16; 4] = [7, 0, 3790, 1830];
pub const ABC_VERSION: [u16; 4] = [4, 1, 0, 2];
pub const CONTOSO_VERSION: [u16; 4] = [2, 3, 0, 15];

/// 2001-08-14 07:34:56 UTC.
pub const ABC_TIMESTAMP: u32 = 0x3b78_d2a0;
/// 2003-06-11 UTC.
pub const CONTOSO_TIMESTAMP: u32 = 0x3ee6_e2c1;

pub(crate) fn std_sections(text_end: u32, data_end: u32, rsrc_end: u32, size: u32) -> Vec<Section> {
    let mut v = vec![
        Section {
            name: ".text",
            rva: 0x1000,
            vsize: text_end - 0x1000,
            chars: SCN_CODE,
        },
        Section {
            name: ".data",
            rva: text_end,
            vsize: data_end - text_end,
            chars: SCN_DATA,
        },
        Section {
            name: ".rsrc",
            rva: data_end,
            vsize: rsrc_end - data_end,
            chars: SCN_RDATA,
        },
    ];
    if size > rsrc_end {
        v.push(Section {
            name: ".reloc",
            rva: rsrc_end,
            vsize: size - rsrc_end,
            chars: SCN_RELOC,
        });
    }
    v
}

/// The section layout of the made-up third-party images: code, read-only data, data,
/// resources, relocations.
pub(crate) fn third_party_sections(
    text_end: u32,
    rdata_end: u32,
    data_end: u32,
    rsrc_end: u32,
    size: u32,
) -> Vec<Section> {
    vec![
        Section {
            name: ".text",
            rva: 0x1000,
            vsize: text_end - 0x1000,
            chars: SCN_CODE,
        },
        Section {
            name: ".rdata",
            rva: text_end,
            vsize: rdata_end - text_end,
            chars: SCN_RDATA,
        },
        Section {
            name: ".data",
            rva: rdata_end,
            vsize: data_end - rdata_end,
            chars: SCN_DATA,
        },
        Section {
            name: ".rsrc",
            rva: data_end,
            vsize: rsrc_end - data_end,
            chars: SCN_RDATA,
        },
        Section {
            name: ".reloc",
            rva: rsrc_end,
            vsize: size - rsrc_end,
            chars: SCN_RELOC,
        },
    ]
}

fn guid(name: &str) -> [u8; 16] {
    // FNV-1a based, deterministic.
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    let mut out = [0u8; 16];
    for (i, c) in name.bytes().chain(b"#coroner".iter().copied()).enumerate() {
        h ^= c as u64;
        h = h.wrapping_mul(0x100_0000_01b3);
        out[i % 16] ^= (h >> 24) as u8;
    }
    for (i, o) in out.iter_mut().enumerate() {
        h = h.wrapping_mul(0x100_0000_01b3) ^ i as u64;
        *o ^= (h >> 32) as u8;
    }
    out
}

pub(crate) fn ex(list: &[(&str, u32)]) -> Vec<(String, u32)> {
    list.iter().map(|(n, r)| (n.to_string(), *r)).collect()
}

#[allow(clippy::too_many_arguments)]
pub(crate) fn ms(
    file: &str,
    dir: &str,
    base: u32,
    size: u32,
    timestamp: u32,
    checksum: u32,
    version: [u16; 4],
    sections: Vec<Section>,
    exports: Vec<(String, u32)>,
    export_rva: u32,
    entry: u32,
    description: &str,
    product: &str,
) -> Image {
    let rsrc_rva = sections
        .iter()
        .find(|s| s.name == ".rsrc")
        .map(|s| s.rva)
        .unwrap_or(0);
    let vs = format!(
        "{}.{}.{}.{}",
        version[0], version[1], version[2], version[3]
    );
    let exe = file.ends_with(".exe");
    let pdb_name = match file.rfind('.') {
        Some(i) => format!("{}.pdb", &file[..i]),
        None => format!("{file}.pdb"),
    };
    Image {
        file: file.to_string(),
        path: format!("{dir}\\{file}"),
        base: base as u64,
        pref_base: base as u64,
        size,
        timestamp,
        checksum,
        file_version: version,
        product_version: version,
        exe,
        x64: false,
        sections,
        exports,
        forwarders: Vec::new(),
        export_rva: if exe { 0 } else { export_rva },
        rsrc_rva,
        iat_rva: 0x1000,
        iat_size: 0,
        entry,
        linker: (7, 10),
        os_version: (5, 2),
        lfanew: 0xe8,
        strings: Some(VersionStrings {
            company: "Microsoft Corporation".into(),
            description: description.into(),
            file_version: format!("{vs} (srv03_sp1_rtm.050324-1447)"),
            internal: file.to_string(),
            copyright: "\u{a9} Microsoft Corporation. All rights reserved.".into(),
            original: file.to_string(),
            product: product.into(),
            product_version: vs,
        }),
        pdb: Some((pdb_name, guid(file), 2)),
    }
}

pub(crate) const OS: &str = "Microsoft\u{ae} Windows\u{ae} Operating System";
const IISP: &str = "Internet Information Services";
pub(crate) const SYS32: &str = "C:\\WINDOWS\\system32";
pub(crate) const INETSRV: &str = "C:\\WINDOWS\\system32\\inetsrv";

/// All modules, in load order. `abc_base` is the ABCUpload4.dll load base;
/// ContosoImage.dll is only loaded when `contoso` is set.
pub fn modules(abc_base: u32, contoso: bool) -> Vec<Image> {
    let mut v = Vec::new();
    let mut w3wp = ms(
        "w3wp.exe",
        INETSRV,
        0x0100_0000,
        0x7000,
        0x4243_7781,
        0x0000_f5d7,
        IIS,
        std_sections(0x4000, 0x5000, 0x7000, 0x7000),
        Vec::new(),
        0,
        0x1cc0,
        "IIS Worker Process",
        IISP,
    );
    w3wp.path = "c:\\windows\\system32\\inetsrv\\w3wp.exe".into();
    v.push(w3wp);
    v.push(ms(
        "ntdll.dll",
        SYS32,
        0x7c80_0000,
        0xc0000,
        0x4243_77d2,
        0x000c_2b6e,
        SP1,
        std_sections(0x7c000, 0x8b000, 0xba000, 0xc0000),
        ex(&[
            ("RtlEnterCriticalSection", 0x01005),
            ("RtlLeaveCriticalSection", 0x010ed),
            ("DbgBreakPoint", 0x01230),
            ("RtlInitUnicodeString", 0x01b84),
            ("LdrLoadDll", 0x1577c),
            ("LdrGetProcedureAddress", 0x15bd0),
            ("NtClose", 0x20c64),
            ("NtContinue", 0x20d94),
            ("NtRemoveIoCompletion", 0x21a28),
            ("NtRaiseException", 0x21c50),
            ("NtWaitForMultipleObjects", 0x220e8),
            ("NtWaitForSingleObject", 0x22118),
            ("RtlCreateHeap", 0x26e25),
            ("RtlAllocateHeap", 0x2a12c),
            ("RtlFreeHeap", 0x2a3e0),
            ("RtlSizeHeap", 0x2b512),
            ("RtlReAllocateHeap", 0x2b7ed),
            ("KiUserCallbackDispatcher", 0x2ea9c),
            ("KiUserExceptionDispatcher", 0x2eaec),
            ("KiUserApcDispatcher", 0x2ec60),
            ("KiFastSystemCall", 0x2ed50),
            ("KiFastSystemCallRet", 0x2ed54),
            ("KiIntSystemCall", 0x2ed60),
            ("RtlDestroyHeap", 0x32e54),
            ("RtlDispatchException", 0x3c7b0),
            ("ExecuteHandler", 0x3ca10),
            ("ExecuteHandler2", 0x3ca40),
            ("RtlRaiseException", 0x3caf0),
            ("RtlUnwind", 0x3cb50),
            ("RtlRaiseStatus", 0x3cc20),
        ]),
        0x6d000,
        0,
        "NT Layer DLL",
        OS,
    ));
    let mut k32 = ms(
        "kernel32.dll",
        SYS32,
        0x77e4_0000,
        0x102000,
        0x4243_77c1,
        0x0010_a2d5,
        SP1,
        std_sections(0xa1000, 0xa3000, 0xfc000, 0x102000),
        ex(&[
            ("BaseProcessStart", 0x12d5c),
            ("GetProcAddress", 0x17e2d),
            ("VirtualAlloc", 0x1c3b4),
            ("VirtualFree", 0x1c4b4),
            ("LoadLibraryA", 0x1d961),
            ("LoadLibraryExW", 0x1e4e0),
            ("BaseThreadStart", 0x26057),
            ("ExitThread", 0x2a5f2),
            ("WaitForSingleObject", 0x2b970),
            ("WaitForSingleObjectEx", 0x2b996),
            ("SleepEx", 0x2be3a),
            ("Sleep", 0x2bf8f),
            ("GetQueuedCompletionStatus", 0x2c5a0),
            ("CreateThread", 0x2e0b1),
            ("HeapCreate", 0x2f3b3),
            ("HeapDestroy", 0x2f5e5),
            ("ExitProcess", 0x3503a),
            ("UnhandledExceptionFilter", 0x5b2ad),
        ]),
        0x7f000,
        0x1b5de,
        "Windows NT BASE API Client DLL",
        OS,
    );
    k32.forwarders = vec![
        ("HeapAlloc".into(), "NTDLL.RtlAllocateHeap".into()),
        ("HeapFree".into(), "NTDLL.RtlFreeHeap".into()),
        ("HeapReAlloc".into(), "NTDLL.RtlReAllocateHeap".into()),
        ("HeapSize".into(), "NTDLL.RtlSizeHeap".into()),
    ];
    v.push(k32);
    v.push(ms(
        "msvcrt.dll",
        SYS32,
        0x77ba_0000,
        0x5a000,
        0x4243_7772,
        0x0005_f0e1,
        CRT,
        std_sections(0x4c000, 0x53000, 0x54000, 0x5a000),
        ex(&[
            ("_except_handler3", 0x01d4c),
            ("free", 0x1c3ce),
            ("malloc", 0x1c4bb),
            ("memcpy", 0x226c0),
            ("memset", 0x22840),
            ("strlen", 0x22b30),
            ("wcslen", 0x3067c),
        ]),
        0x44000,
        0x1f1e6,
        "Windows NT CRT DLL",
        OS,
    ));
    v.push(ms(
        "advapi32.dll",
        SYS32,
        0x77f5_0000,
        0xa7000,
        0x4243_7761,
        0x000a_8f4c,
        SP1,
        std_sections(0x8f000, 0x92000, 0xa1000, 0xa7000),
        ex(&[
            ("RegCloseKey", 0x05a9c),
            ("RegOpenKeyExW", 0x06c4f),
            ("RegQueryValueExW", 0x06ef1),
            ("OpenProcessToken", 0x0f0c3),
            ("GetTokenInformation", 0x0f1a2),
        ]),
        0x88000,
        0x0243f,
        "Advanced Windows 32 Base API",
        OS,
    ));
    v.push(ms(
        "rpcrt4.dll",
        SYS32,
        0x77c5_0000,
        0x9f000,
        0x4243_779d,
        0x000a_3c0e,
        SP1,
        std_sections(0x91000, 0x93000, 0x99000, 0x9f000),
        ex(&[
            ("RpcStringFreeW", 0x1fe7c),
            ("UuidCreate", 0x2a7c9),
            ("RpcServerListen", 0x3b8b1),
            ("NdrClientCall2", 0x3c2b6),
        ]),
        0x8a000,
        0x0c9de,
        "Remote Procedure Call Runtime",
        OS,
    ));
    v.push(ms(
        "ole32.dll",
        SYS32,
        0x7767_0000,
        0x135000,
        0x4243_7799,
        0x0013_cc11,
        SP1,
        std_sections(0x11c000, 0x124000, 0x12b000, 0x135000),
        ex(&[
            ("CoTaskMemAlloc", 0x0ec6c),
            ("CoCreateInstance", 0x1f7c2),
            ("CoGetClassObject", 0x26f8a),
            ("CoUninitialize", 0x2db7e),
            ("CoInitializeEx", 0x2ee65),
        ]),
        0x110000,
        0x01a0c,
        "Microsoft OLE for Windows",
        OS,
    ));
    v.push(ms(
        "oleaut32.dll",
        SYS32,
        0x77d0_0000,
        0x8b000,
        0x4243_779e,
        0x0009_0e37,
        SP1,
        std_sections(0x7b000, 0x7e000, 0x84000, 0x8b000),
        ex(&[
            ("VariantInit", 0x04a1c),
            ("VariantClear", 0x04a46),
            ("SysAllocString", 0x04b0e),
            ("SysFreeString", 0x04b45),
            ("VariantChangeType", 0x0ad4c),
            ("DispCallFunc", 0x2f8ee),
            ("SafeArrayCreate", 0x3a0c2),
            ("LoadTypeLib", 0x3ec7f),
        ]),
        0x72000,
        0x01560,
        "OLEAUT32.DLL",
        OS,
    ));
    v.push(ms(
        "w3isapi.dll",
        INETSRV,
        0x5a40_0000,
        0x13000,
        0x4243_7815,
        0x0001_c4b2,
        IIS,
        std_sections(0xe000, 0xf000, 0x11000, 0x13000),
        ex(&[
            ("InitModule", 0x28d5),
            ("ProcessIsapiCompletion", 0x3f96),
            ("ProcessIsapiRequest", 0x4b3a),
            ("TerminateModule", 0x5e2f),
        ]),
        0xc000,
        0x1a2c,
        "Server Extension DLL",
        IISP,
    ));
    v.push(ms(
        "asp.dll",
        INETSRV,
        0x709e_0000,
        0x7b000,
        0x4243_781b,
        0x0008_6a3d,
        IIS,
        std_sections(0x62000, 0x66000, 0x77000, 0x7b000),
        ex(&[
            ("GetExtensionVersion", 0x0c8b1),
            ("TerminateExtension", 0x0cd13),
            ("HttpExtensionProc", 0x0d0c4),
            ("DllCanUnloadNow", 0x2ef8f),
            ("DllGetClassObject", 0x2f0a9),
            ("DllRegisterServer", 0x3a1d7),
            ("DllUnregisterServer", 0x3a2e1),
            ("AspStatusHtmlDump", 0x4b00e),
        ]),
        0x5f000,
        0x2a3c1,
        "Active Server Pages",
        IISP,
    ));
    v.push(Image {
        file: "ABCUpload4.dll".into(),
        path: "C:\\Program Files\\ABC Components\\ABCUpload4\\ABCUpload4.dll".into(),
        base: abc_base as u64,
        pref_base: 0x1000_0000,
        size: 0x56000,
        timestamp: ABC_TIMESTAMP,
        checksum: 0,
        file_version: ABC_VERSION,
        product_version: ABC_VERSION,
        exe: false,
        x64: false,
        sections: third_party_sections(0x3e000, 0x46000, 0x4c000, 0x50000, 0x56000),
        exports: ex(&[
            ("DllCanUnloadNow", 0x12790),
            ("DllRegisterServer", 0x12890),
            ("DllUnregisterServer", 0x129c0),
            ("DllGetClassObject", 0x12a40),
        ]),
        forwarders: Vec::new(),
        export_rva: 0x44a20,
        rsrc_rva: 0x4c000,
        iat_rva: 0x3e000,
        iat_size: 0,
        entry: 0x3a5f0,
        linker: (6, 0),
        os_version: (4, 0),
        lfanew: 0xd0,
        strings: Some(VersionStrings {
            company: "ABC Components Ltd.".into(),
            description: "ABCUpload ASP File Upload Component".into(),
            file_version: "4.1.0.2".into(),
            internal: "ABCUpload4".into(),
            copyright: "Copyright (C) 2001 ABC Components Ltd.".into(),
            original: "ABCUpload4.dll".into(),
            product: "ABCUpload".into(),
            product_version: "4.1.0.2".into(),
        }),
        pdb: None,
    });
    if contoso {
        v.push(Image {
            file: "ContosoImage.dll".into(),
            path: "C:\\Program Files\\Contoso\\Image Toolkit\\ContosoImage.dll".into(),
            base: 0x0440_0000,
            pref_base: 0x1000_0000,
            size: 0x24000,
            timestamp: CONTOSO_TIMESTAMP,
            checksum: 0x0002_f1a3,
            file_version: CONTOSO_VERSION,
            product_version: CONTOSO_VERSION,
            exe: false,
            x64: false,
            sections: third_party_sections(0x17000, 0x1b000, 0x1e000, 0x20000, 0x24000),
            exports: ex(&[
                ("DllCanUnloadNow", 0x1a20),
                ("DllRegisterServer", 0x1a60),
                ("DllUnregisterServer", 0x1b10),
                ("DllGetClassObject", 0x1bc0),
            ]),
            forwarders: Vec::new(),
            export_rva: 0x19800,
            rsrc_rva: 0x1e000,
            iat_rva: 0x17000,
            iat_size: 0,
            entry: 0x9c31,
            linker: (7, 0),
            os_version: (4, 0),
            lfanew: 0xe0,
            strings: Some(VersionStrings {
                company: "Contoso Imaging Inc.".into(),
                description: "Contoso Image Toolkit COM Component".into(),
                file_version: "2.3.0.15".into(),
                internal: "ContosoImage".into(),
                copyright: "Copyright (C) 2003 Contoso Imaging Inc.".into(),
                original: "ContosoImage.dll".into(),
                product: "Contoso Image Toolkit".into(),
                product_version: "2.3.0.15".into(),
            }),
            pdb: None,
        });
    }
    v
}

/// Export-based symbolisation, the way a debugger without PDBs does it:
/// `module!nearest_export_at_or_below+0xoff`, or `module+0xrva`.
pub fn symbolize(images: &[Image], addr: u64) -> (String, String) {
    for m in images {
        if m.contains(addr) {
            let rva = (addr - m.base) as u32;
            let best = m
                .exports
                .iter()
                .filter(|(_, r)| *r <= rva)
                .max_by_key(|(_, r)| *r);
            let module = m.module_name().to_string();
            let sym = match best {
                Some((name, r)) if rva == *r => format!("{module}!{name}"),
                Some((name, r)) => format!("{module}!{name}+{:#x}", rva - r),
                None => format!("{module}+{rva:#x}"),
            };
            return (module, sym);
        }
    }
    (String::new(), format!("{addr:#010x}"))
}
