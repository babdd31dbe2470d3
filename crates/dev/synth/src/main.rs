//! `coroner-synth` CLI.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use coroner_synth::{normal_minidump_of, reference_set, write_big, ReferenceCase, SynthError};

const USAGE: &str = "\
usage:
  coroner-synth reference [--pid N] [--tid N] [--abc-base N] [--heap N] [--depth N]
                          [--time UNIX] [--full-exception-record] [--truth PATH] OUT.dmp
      The IIS/ABCUpload4 reference incident (x86, Server 2003 SP1). Numbers may be
      decimal or 0x-hex. Writes OUT.dmp and (default) OUT.truth.json.
  coroner-synth reference-set DIR
      Five dumps of the same bug + one different crash, each with .truth.json/.kb.txt.
  coroner-synth hang [--encoding srv2003-sp1|xp-pre-sp1|win10] [--pid N] [--time UNIX]
                     [--pool NAME] [--waiters N] OUT.dmp
      A hung w3wp.exe: N request threads wait on one critical section owned by a thread in
      SlowDB.dll (Northwind Data Ltd.) waiting on a socket; the section in the given
      encoding (default srv2003-sp1, x86; win10 is x64 with DebugInfo -1). Writes OUT.dmp
      and OUT.truth.json.
  coroner-synth heaps DIR
      Full-memory dumps of Windows heap layouts (Server 2003 x86 and Windows 10 x64 NT
      heaps, a segment heap, a page heap), each with its -expected.json ground truth.
      The committed ones: coroner-synth heaps fixtures/synth/heaps
  coroner-synth big --size BYTES OUT.dmp
      x64 full-memory style dump of at least BYTES (suffixes K, M, G, T allowed).
  coroner-synth normal-of IN.dmp OUT.dmp
      The MiniDumpNormal sibling of IN.dmp: threads with their stacks, modules, unloaded
      modules, exception, system/misc info and comments; memory only the stacks and 256
      bytes around each thread's instruction pointer (no MemoryInfoList, no heap or image).";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("coroner-synth: {e}");
            ExitCode::FAILURE
        }
    }
}

fn bad(msg: impl Into<String>) -> SynthError {
    SynthError::InvalidParameter(format!("{}\n{USAGE}", msg.into()))
}

fn num(s: &str) -> Result<u64, SynthError> {
    let t = s.trim().replace('_', "");
    let (digits, mult) = match t.chars().last() {
        Some('K' | 'k') => (&t[..t.len() - 1], 1u64 << 10),
        Some('M' | 'm') => (&t[..t.len() - 1], 1 << 20),
        Some('G' | 'g') => (&t[..t.len() - 1], 1 << 30),
        Some('T' | 't') => (&t[..t.len() - 1], 1 << 40),
        _ => (t.as_str(), 1),
    };
    let v = if let Some(h) = digits
        .strip_prefix("0x")
        .or_else(|| digits.strip_prefix("0X"))
    {
        u64::from_str_radix(h, 16)
    } else {
        digits.parse::<u64>()
    }
    .map_err(|_| bad(format!("not a number: {s}")))?;
    v.checked_mul(mult)
        .ok_or_else(|| bad(format!("number too large: {s}")))
}

fn num32(s: &str) -> Result<u32, SynthError> {
    u32::try_from(num(s)?).map_err(|_| bad(format!("value does not fit 32 bits: {s}")))
}

fn write(path: &Path, bytes: &[u8]) -> Result<(), SynthError> {
    std::fs::write(path, bytes).map_err(|e| SynthError::Io {
        path: path.display().to_string(),
        source: e,
    })
}

fn sibling(out: &Path, ext: &str) -> PathBuf {
    let stem = out
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "dump".into());
    out.with_file_name(format!("{stem}{ext}"))
}

/// `coroner-synth hang …`: writes the dump and its truth.
/// `heaps DIR`: every heap scenario into DIR (the committed set: `fixtures/synth/heaps`).
fn heaps(rest: &[String]) -> Result<(), SynthError> {
    use coroner_synth::heaps::{HeapScenario, HEAP_PID, HEAP_TIME};
    let [dir] = rest else {
        return Err(bad("heaps needs the output folder"));
    };
    let dir = Path::new(dir);
    std::fs::create_dir_all(dir).map_err(|e| SynthError::Io {
        path: dir.display().to_string(),
        source: e,
    })?;
    for s in HeapScenario::ALL {
        let g = s.generate(HEAP_PID, HEAP_TIME)?;
        let p = dir.join(format!("{}.dmp", s.id()));
        write(&p, &g.dump)?;
        write(
            &dir.join(format!("{}-expected.json", s.id())),
            g.truth.to_json().as_bytes(),
        )?;
        println!("wrote {} ({} bytes)", p.display(), g.dump.len());
    }
    Ok(())
}

fn hang(rest: &[String]) -> Result<(), SynthError> {
    use coroner_synth::hang::{CsEncoding, HangCase};
    let mut case = HangCase::default();
    let mut out: Option<PathBuf> = None;
    let mut i = 0;
    while i < rest.len() {
        let a = rest[i].as_str();
        if !a.starts_with('-') {
            out = Some(PathBuf::from(a));
            i += 1;
            continue;
        }
        let v = rest
            .get(i + 1)
            .ok_or_else(|| bad(format!("{a} needs a value")))?;
        match a {
            "--encoding" => {
                case.encoding = match v.as_str() {
                    "srv2003-sp1" => CsEncoding::Srv2003Sp1,
                    "xp-pre-sp1" => CsEncoding::XpPreSp1,
                    "win10" => CsEncoding::Win10,
                    o => return Err(bad(format!("unknown encoding {o}"))),
                }
            }
            "--pid" => case.pid = num32(v)?,
            "--time" => case.time = num32(v)?,
            "--pool" => case.pool = v.clone(),
            "--waiters" => case.waiters = num32(v)?,
            s => return Err(bad(format!("unknown option {s}"))),
        }
        i += 2;
    }
    let out = out.ok_or_else(|| bad("missing output path"))?;
    let g = case.generate()?;
    write(&out, &g.dump)?;
    let tp = sibling(&out, ".truth.json");
    write(&tp, g.truth.to_json().as_bytes())?;
    println!(
        "wrote {} ({} bytes) and {}",
        out.display(),
        g.dump.len(),
        tp.display()
    );
    Ok(())
}

fn run(args: &[String]) -> Result<(), SynthError> {
    let Some(cmd) = args.first() else {
        return Err(bad("missing subcommand"));
    };
    let rest = &args[1..];
    match cmd.as_str() {
        "reference" => {
            let mut rc = ReferenceCase::default();
            let mut out: Option<PathBuf> = None;
            let mut truth: Option<PathBuf> = None;
            let mut i = 0;
            while i < rest.len() {
                let a = rest[i].as_str();
                let val = |i: usize| -> Result<&str, SynthError> {
                    rest.get(i + 1)
                        .map(|s| s.as_str())
                        .ok_or_else(|| bad(format!("{a} needs a value")))
                };
                match a {
                    "--pid" => rc.pid = num32(val(i)?)?,
                    "--tid" => rc.thread_id = num32(val(i)?)?,
                    "--abc-base" => rc.abc_base = num32(val(i)?)?,
                    "--heap" => rc.heap = num32(val(i)?)?,
                    "--depth" => rc.depth = num32(val(i)?)?,
                    "--time" => rc.time = num32(val(i)?)?,
                    "--truth" => truth = Some(PathBuf::from(val(i)?)),
                    "--full-exception-record" => {
                        rc.full_exception_record = true;
                        i += 1;
                        continue;
                    }
                    "-h" | "--help" => {
                        println!("{USAGE}");
                        return Ok(());
                    }
                    s if s.starts_with('-') => return Err(bad(format!("unknown option {s}"))),
                    s => {
                        out = Some(PathBuf::from(s));
                        i += 1;
                        continue;
                    }
                }
                i += 2;
            }
            let out = out.ok_or_else(|| bad("missing output path"))?;
            let g = rc.generate()?;
            write(&out, &g.dump)?;
            let tp = truth.unwrap_or_else(|| sibling(&out, ".truth.json"));
            write(&tp, g.truth.to_json().as_bytes())?;
            println!(
                "wrote {} ({} bytes) and {}",
                out.display(),
                g.dump.len(),
                tp.display()
            );
            Ok(())
        }
        "reference-set" => {
            let dir = rest
                .first()
                .map(PathBuf::from)
                .ok_or_else(|| bad("missing directory"))?;
            std::fs::create_dir_all(&dir).map_err(|e| SynthError::Io {
                path: dir.display().to_string(),
                source: e,
            })?;
            for e in reference_set()? {
                let p = dir.join(format!("{}.dmp", e.name));
                write(&p, &e.dump)?;
                write(
                    &dir.join(format!("{}.truth.json", e.name)),
                    e.truth.to_json().as_bytes(),
                )?;
                write(
                    &dir.join(format!("{}.kb.txt", e.name)),
                    e.truth.to_text().as_bytes(),
                )?;
                println!("wrote {} ({} bytes)", p.display(), e.dump.len());
            }
            Ok(())
        }
        "big" => {
            let mut size: Option<u64> = None;
            let mut out: Option<PathBuf> = None;
            let mut i = 0;
            while i < rest.len() {
                match rest[i].as_str() {
                    "--size" => {
                        let v = rest.get(i + 1).ok_or_else(|| bad("--size needs a value"))?;
                        size = Some(num(v)?);
                        i += 2;
                    }
                    s if s.starts_with("--size=") => {
                        size = Some(num(&s["--size=".len()..])?);
                        i += 1;
                    }
                    s if s.starts_with('-') => return Err(bad(format!("unknown option {s}"))),
                    s => {
                        out = Some(PathBuf::from(s));
                        i += 1;
                    }
                }
            }
            let size = size.ok_or_else(|| bad("missing --size"))?;
            let out = out.ok_or_else(|| bad("missing output path"))?;
            let info = write_big(&out, size)?;
            println!(
                "wrote {} ({} bytes, {} memory ranges, {} memory-info entries)",
                out.display(),
                info.file_size,
                info.memory_ranges,
                info.memory_info_entries
            );
            Ok(())
        }
        "hang" => hang(rest),
        "heaps" => heaps(rest),
        "normal-of" => {
            let [input, out] = rest else {
                return Err(bad("normal-of needs IN.dmp and OUT.dmp"));
            };
            let bytes = std::fs::read(input).map_err(|e| SynthError::Io {
                path: input.clone(),
                source: e,
            })?;
            let normal = normal_minidump_of(&bytes).map_err(|e| match e {
                SynthError::BadDump(m) => SynthError::BadDump(format!("{input}: {m}")),
                e => e,
            })?;
            write(Path::new(out), &normal)?;
            println!(
                "wrote {out} ({} bytes, from {} bytes of {input})",
                normal.len(),
                bytes.len()
            );
            Ok(())
        }
        "-h" | "--help" | "help" => {
            println!("{USAGE}");
            Ok(())
        }
        other => Err(bad(format!("unknown subcommand {other}"))),
    }
}
