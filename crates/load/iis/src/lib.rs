//! # coroner-iis
//!
//! The small formats an IIS incident folder holds beside the dumps, event logs and web logs,
//! each recognised by content and read without judging what it means for the incident:
//!
//! * [`config`]: IIS configuration — pools' rapid-fail settings and which pool serves which
//!   site, from IIS 6 `MetaBase.xml` or IIS 7+ `applicationHost.config`;
//! * [`wer`]: Windows Error Reporting `Report.wer` files;
//! * [`dumpname`]: what DebugDiag, ProcDump and WER LocalDumps dump-file names say (process,
//!   pool, PID, local time, trigger);
//! * [`places`]: where a server keeps that evidence under its system drive (for
//!   `investigate --local`);
//! * [`poolname`]: IIS's rules for application-pool names — compared ignoring case, and
//!   HTTPERR's `+`-encoded queue names matched to them.

pub mod config;
pub mod dumpname;
pub mod places;
pub mod poolname;
pub mod wer;
