//! The `coroner.analysis.v1` JSON document. Field names are a contract (see
//! `docs/json-schema.md`): existing names never change meaning; new fields may be added.
//! Addresses and codes are lowercase `0x…` strings; absent facts are `null`.

use crate::{time, Outcome};
use coroner_analysis::{hex, Analysis};
use serde_json::{json, Value};

/// Schema identifier.
pub const SCHEMA: &str = "coroner.analysis.v1";

fn opt_hex(v: Option<u64>) -> Value {
    v.map(|x| Value::String(hex(x))).unwrap_or(Value::Null)
}

/// One analysed dump.
pub fn dump(a: &Analysis) -> Value {
    let exception = a.exception.as_ref().map(|e| {
        json!({
            "code": hex(u64::from(e.code)),
            "name": e.name,
            "reason": e.reason,
            "address": hex(e.address),
            "thread_id": e.thread_id,
            "thread_index": e.thread_index,
            "access": e.access.map(|x| x.as_str()),
            "target": opt_hex(e.target),
            "flags": hex(u64::from(e.flags)),
            "parameters": e.params.iter().map(|p| hex(*p)).collect::<Vec<_>>(),
            "fast_fail": e.fast_fail,
            "cpp_type": e.cpp_type,
        })
    });
    let region = |r: &coroner_analysis::AddressFacts| {
        json!({
            "address": hex(r.address),
            "base": opt_hex(r.base),
            "size": opt_hex(r.size),
            "state": r.state,
            "protect": r.protect,
            "type": r.kind,
            "usage": r.usage,
            "usage_detail": r.usage_detail,
            "allocation_base": opt_hex(r.allocation_base),
            "captured": r.captured,
        })
    };
    let frames: Vec<Value> = a
        .frames
        .iter()
        .map(|f| {
            json!({
                "index": f.index,
                "address": hex(f.address),
                "module": f.symbol.module,
                "function": f.symbol.function,
                "offset": hex(if f.symbol.function.is_some() { f.symbol.function_offset } else { f.symbol.module_offset }),
                "module_offset": f.symbol.module.as_ref().map(|_| hex(f.symbol.module_offset)),
                "trust": f.trust.as_str(),
                "symbol_source": f.symbol.source,
                "unreliable": f.symbol.unreliable,
                "sp": hex(f.sp),
                "fp": hex(f.fp),
                "return_address": opt_hex(f.return_address),
                "args": f.args.iter().map(|x| opt_hex(*x)).collect::<Vec<_>>(),
                "system": f.system,
                "unloaded_module": f.symbol.unloaded_module,
                "display": f.display,
            })
        })
        .collect();
    let blame = a.blame.as_ref().map(|b| {
        json!({
            "module": b.module,
            "version": b.version,
            "company": b.company,
            "product": b.product,
            "copyright": b.copyright,
            "timestamp": b.timestamp.map(|t| time::rfc3339(u64::from(t))),
            "timestamp_raw": b.timestamp.map(|t| hex(u64::from(t))),
            "reason": b.reason,
            "frame": b.frame,
            "symbol": b.symbol,
            "unloaded": b.unloaded,
        })
    });
    let findings: Vec<Value> = a
        .findings
        .iter()
        .map(|f| {
            json!({
                "id": f.id,
                "severity": f.severity.as_str(),
                "title": f.title,
                "description": f.description,
                "recommendation": f.recommendation,
                "evidence": f.evidence,
            })
        })
        .collect();
    let threads: Vec<Value> = a
        .threads
        .iter()
        .map(|t| {
            json!({
                "index": t.index, "id": t.id, "name": t.name, "faulting": t.faulting,
                "top_frame": t.top_frame, "user_time_100ns": t.user_100ns,
                "kernel_time_100ns": t.kernel_100ns,
                "create_time": t.create_time.map(time::rfc3339),
            })
        })
        .collect();
    let modules: Vec<Value> = a
        .modules
        .iter()
        .map(|m| {
            let mm = &m.module;
            json!({
                "name": mm.name, "path": mm.path, "base": hex(mm.base), "end": hex(mm.end()),
                "timestamp": (mm.timestamp != 0).then(|| time::rfc3339(u64::from(mm.timestamp))),
                "checksum": hex(u64::from(mm.checksum)),
                "file_version": mm.file_version.as_ref().map(coroner_model::format_version),
                "product_version": mm.product_version.as_ref().map(coroner_model::format_version),
                "debug_file": mm.debug_file, "debug_id": mm.debug_id, "code_id": mm.code_id,
                "company": m.string("CompanyName"), "product": m.string("ProductName"),
                "system": m.judgement.system,
            })
        })
        .collect();
    json!({
        "path": a.path.display().to_string(),
        "error": null,
        "container": a.container,
        "system": {
            "os": a.system.os_name, "os_version": a.system.os_version,
            "cpu_arch": a.system.arch.name(), "cpu_count": a.system.cpu_count,
        },
        "process": {
            "name": a.process.name,
            "pid": a.process.pid,
            "command_line": a.process.command_line,
            "app_pool": a.process.app_pool,
            "image_path": a.process.image_path,
            "create_time": a.process.create_time.map(time::rfc3339),
            "dump_time": a.process.dump_time.map(time::rfc3339),
            "uptime_seconds": a.process.uptime,
        },
        "exception": exception,
        "instruction": a.instruction.as_ref().map(|d| json!({
            "address": hex(d.address),
            "text": d.text,
            "bytes": d.bytes.iter().map(|b| format!("{b:02x}")).collect::<String>(),
            "symbol": a.instruction_symbol,
            "effective_address": opt_hex(d.effective_address),
            "value": d.value.as_ref().map(|v| v.iter().rev().map(|b| format!("{b:02x}")).collect::<String>()),
        })),
        "target_region": a.target_region.as_ref().map(region),
        "ip_region": a.ip_region.as_ref().map(region),
        "frames": frames,
        "stack_truncated": a.stack_note,
        "nested_exception_levels": a.nesting_levels,
        "threads": threads,
        "modules": modules,
        "unloaded_modules": a.unloaded_modules.iter().map(|u| json!({"name": u.name, "base": hex(u.base), "end": hex(u.base + u.size)})).collect::<Vec<_>>(),
        "faulting_module": a.faulting_module,
        "blame": blame,
        "findings": findings,
        "bucket": a.bucket,
        "warnings": a.warnings,
    })
}

/// The whole document.
pub fn render(outcomes: &[Outcome]) -> Value {
    let dumps: Vec<Value> = outcomes
        .iter()
        .map(|o| match o {
            Outcome::Done(a) => dump(a),
            Outcome::Failed { path, error } => json!({
                "path": path.display().to_string(),
                "error": error,
                "process": null, "exception": null, "instruction": null, "target_region": null,
                "frames": [], "faulting_module": null, "blame": null, "findings": [], "bucket": null,
            }),
        })
        .collect();
    let groups: Vec<Value> = crate::groups(outcomes)
        .into_iter()
        .map(|(b, paths)| {
            json!({"bucket": b, "dumps": paths.iter().map(|p| p.display().to_string()).collect::<Vec<_>>()})
        })
        .collect();
    json!({ "schema": SCHEMA, "dumps": dumps, "groups": groups })
}
