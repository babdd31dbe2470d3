//! For a Windows build, the VS_VERSIONINFO resource of coroner.exe (file and product version,
//! description, company, original file name), so that `lmvm coroner` and Explorer's Details tab
//! — and coroner itself, reading a dump of coroner — can tell which build it is. Other targets:
//! nothing.

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    if std::env::var("CARGO_CFG_TARGET_OS").as_deref() != Ok("windows") {
        return;
    }
    let mut res = winresource::WindowsResource::new();
    res.set(
        "FileDescription",
        "coroner: why a process died, from its dumps and logs",
    )
    .set("ProductName", "coroner")
    .set("CompanyName", "The coroner project")
    .set("LegalCopyright", "The coroner project; MIT OR Apache-2.0")
    .set("OriginalFilename", "coroner.exe")
    .set("InternalName", "coroner");
    if let Err(e) = res.compile() {
        // A Windows build without its version resource is still a working coroner.exe; say why.
        println!("cargo:warning=no VERSIONINFO in coroner.exe: {e}");
    }
}
