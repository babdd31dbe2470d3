//! # coroner-devdata
//!
//! Test data, never shipped (`publish = false`; the shipped crates use it only as a
//! dev-dependency):
//!
//! * [`eventlog`]: legacy `.evt` files and event XML exports, written as Windows writes them;
//! * [`weblog`]: IIS W3C and HTTPERR log lines;
//! * [`viewer`]: Event Viewer's CSV and tab-delimited text exports of events, English or
//!   Korean, in UTF-8, UTF-16LE or code page 949;
//! * [`incident`]: the bundled example incident in `examples/incident/`, made from coroner-synth
//!   dumps and the two writers above (`coroner-incident-example` writes it), with
//!   [`hangpool`], its pool that hangs;
//! * [`browser`]: headless Chromium for the HTML reports' tests.
//!
//! The loaders (coroner-eventlog, coroner-weblog, coroner-investigate) read back what these
//! write; their tests check it.

pub mod browser;
pub mod eventlog;
pub mod hangpool;
pub mod incident;
pub mod leakpool;
pub mod viewer;
pub mod weblog;
