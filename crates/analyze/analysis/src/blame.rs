//! Blame: which module to follow up with. The first frame, from the top, whose module is not part
//! of the operating system or a language runtime — decided from the version resource (company,
//! product) and a list of well-known system modules, never from the path (third-party DLLs often
//! live in system32). Who to call about the blamed module — the vendor, judged for plausibility
//! with a stated fallback order — is [`crate::vendor`]'s.

/// Well-known modules of Windows, IIS, .NET and the C/C++ runtimes, and their Linux/macOS peers.
const SYSTEM_MODULES: &[&str] = &[
    "ntdll.dll",
    "kernel32.dll",
    "kernelbase.dll",
    "user32.dll",
    "gdi32.dll",
    "gdi32full.dll",
    "advapi32.dll",
    "rpcrt4.dll",
    "ole32.dll",
    "oleaut32.dll",
    "combase.dll",
    "msvcrt.dll",
    "ucrtbase.dll",
    "sechost.dll",
    "ws2_32.dll",
    "mswsock.dll",
    "win32u.dll",
    "shell32.dll",
    "shlwapi.dll",
    "comctl32.dll",
    "crypt32.dll",
    "bcrypt.dll",
    "bcryptprimitives.dll",
    "cryptbase.dll",
    "secur32.dll",
    "sspicli.dll",
    "wininet.dll",
    "winhttp.dll",
    "iertutil.dll",
    "urlmon.dll",
    "version.dll",
    "psapi.dll",
    "dbghelp.dll",
    "imm32.dll",
    "msctf.dll",
    "uxtheme.dll",
    "comdlg32.dll",
    "setupapi.dll",
    "cfgmgr32.dll",
    "wow64.dll",
    "wow64win.dll",
    "wow64cpu.dll",
    "clbcatq.dll",
    "comsvcs.dll",
    "mscoree.dll",
    "mscoreei.dll",
    "clr.dll",
    "coreclr.dll",
    "mscorwks.dll",
    "clrjit.dll",
    "mscorlib.ni.dll",
    "system.ni.dll",
    "system.web.ni.dll",
    "w3wp.exe",
    "w3core.dll",
    "w3isapi.dll",
    "w3dt.dll",
    "w3tp.dll",
    "iisutil.dll",
    "iiscore.dll",
    "asp.dll",
    "aspnet_isapi.dll",
    "webengine.dll",
    "webengine4.dll",
    "httpapi.dll",
    "inetinfo.exe",
    "svchost.exe",
    "dllhost.exe",
    "rundll32.exe",
    "apphelp.dll",
    "ntmarta.dll",
    "msasn1.dll",
    "wldap32.dll",
    "netapi32.dll",
    "dnsapi.dll",
    "iphlpapi.dll",
    "nsi.dll",
    "winnsi.dll",
    "userenv.dll",
    "profapi.dll",
    "powrprof.dll",
    "winmm.dll",
    "oleacc.dll",
    "normaliz.dll",
    "xmllite.dll",
    "msxml3.dll",
    "msxml6.dll",
    "vbscript.dll",
    "jscript.dll",
    "scrrun.dll",
    "msvbvm60.dll",
    "mfc42.dll",
    "atl.dll",
    "msdtcprx.dll",
    "mtxoci.dll",
    "odbc32.dll",
    "msdart.dll",
    "oledb32.dll",
    "sqloledb.dll",
    "msado15.dll",
    "wer.dll",
    "faultrep.dll",
    "dwmapi.dll",
    "d3d11.dll",
    "dxgi.dll",
    "opengl32.dll",
    "kernel.appcore.dll",
    "windows.storage.dll",
    "ntdll.so",
    "win32u.so",
    "libc.so.6",
    "libm.so.6",
    "libpthread.so.0",
    "libdl.so.2",
    "librt.so.1",
    "libstdc++.so.6",
    "libgcc_s.so.1",
    "libc++.so.1",
    "libc++abi.so.1",
    "linux-gate.so",
    "linux-vdso.so.1",
    "dyld",
    "libdyld.dylib",
    "libobjc.a.dylib",
    "libc.so",
    "libart.so",
    "libandroid_runtime.so",
    "libbinder.so",
    "libutils.so",
    "libcutils.so",
    "libbase.so",
];

/// Name prefixes of runtime and OS module families.
const SYSTEM_PREFIXES: &[&str] = &[
    "msvcr",
    "msvcp",
    "vcruntime",
    "api-ms-win-",
    "ext-ms-",
    "libstdc++",
    "libgcc_s",
    "libwinpthread",
    "ld-linux",
    "ld-",
    "libsystem_",
    "libc-",
    "libxpc",
    "libdispatch",
    "corefoundation",
    "foundation",
];

/// How a module was judged.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Judgement {
    /// Part of the OS or a language runtime.
    pub system: bool,
    /// Why: the facts it rests on (worded by the phrasing module).
    pub why: Why,
}

/// The facts a module's judgement rests on (the phrasing module words them).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "basis", rename_all = "snake_case")]
pub enum Why {
    /// A well-known system or runtime module without a company in its version resource.
    KnownName {
        /// The module's file name.
        name: String,
    },
    /// A well-known system module whose version resource names Microsoft or a platform vendor.
    KnownNameAndVendor {
        /// The module's file name.
        name: String,
        /// The company its version resource names.
        company: String,
    },
    /// A system module's name, but another vendor's version resource.
    ImpostorName {
        /// The module's file name.
        name: String,
        /// The company its version resource names.
        company: String,
    },
    /// Not a listed name, but a Microsoft product of the OS or a runtime.
    SystemProduct {
        /// The company its version resource names.
        company: String,
    },
    /// A third-party module (its version resource names another company).
    ThirdParty {
        /// The company its version resource names.
        company: String,
    },
    /// Not a known system module, and no company.
    UnknownName {
        /// The module's file name.
        name: String,
    },
}

fn is_microsoft(company: &str) -> bool {
    company.to_ascii_lowercase().contains("microsoft")
}

/// Judges a module by name and version-resource company/product.
pub fn judge(name: &str, company: Option<&str>, product: Option<&str>) -> Judgement {
    let lname = name.to_ascii_lowercase();
    let known = SYSTEM_MODULES.contains(&lname.as_str())
        || SYSTEM_PREFIXES.iter().any(|p| lname.starts_with(p))
        || lname.starts_with("libc.so")
        || lname.starts_with("libc-2.");
    let company = company.map(str::trim).filter(|c| !c.is_empty());
    let product = product.unwrap_or_default().to_ascii_lowercase();
    let (name, c) = (name.to_string(), company.unwrap_or_default().to_string());
    let (system, why) = match (known, company) {
        (true, None) => (true, Why::KnownName { name }),
        (true, Some(co)) if is_microsoft(co) || is_platform_vendor(co) => {
            (true, Why::KnownNameAndVendor { name, company: c })
        }
        (true, Some(_)) => (false, Why::ImpostorName { name, company: c }),
        (false, Some(co))
            if is_microsoft(co)
                && (product.contains("windows")
                    || product.contains("internet information services")
                    || product.contains(".net")
                    || product.contains("visual studio")
                    || product.contains("visual c++")) =>
        {
            (true, Why::SystemProduct { company: c })
        }
        (false, Some(_)) => (false, Why::ThirdParty { company: c }),
        (false, None) => (false, Why::UnknownName { name }),
    };
    Judgement { system, why }
}

fn is_platform_vendor(company: &str) -> bool {
    let c = company.to_ascii_lowercase();
    c.contains("wine") || c.contains("free software foundation") || c.contains("apple")
}
