//! Who to call when the version resource is garbled: a synthetic dump of the reference crash
//! whose ABCUpload4.dll carries a mojibake CompanyName and a good LegalCopyright. The vendor
//! comes from the copyright notice, every report says so, the raw strings stay in the evidence,
//! and mojibake is never printed as a vendor.

use coroner_analysis::vendor::VendorSource;
use coroner_analysis::{analyze, Analysis, Options};
use coroner_dump::DumpFile;
use coroner_report::Outcome;
use coroner_synth::ReferenceCase;

const MOJIBAKE: &str = "ƆƆ瘏Ȥÿ䯷̄";

fn analyse(rc: &ReferenceCase) -> Analysis {
    let g = rc.generate().unwrap();
    let f = DumpFile::from_bytes("w3wp-garbled.dmp", g.dump);
    analyze(&f.snapshot().unwrap(), &Options::default())
}

#[test]
fn a_garbled_company_name_falls_back_to_the_copyright_holder() {
    let a = analyse(&ReferenceCase::garbled_company());
    let b = a.blame.as_ref().unwrap();
    assert_eq!(b.module, "ABCUpload4.dll");
    assert_eq!(
        b.company.as_deref(),
        Some(MOJIBAKE),
        "the raw string is kept"
    );
    assert_eq!(b.vendor.as_deref(), Some("ABC Components Ltd"));
    assert_eq!(b.vendor_source, Some(VendorSource::LegalCopyright));
    assert_eq!(
        coroner_report::phrase::provenance(b, coroner_report::phrase::Lang::En),
        "from LegalCopyright; CompanyName unreadable"
    );
    assert_eq!(b.vendor_passed_over[0].value.as_deref(), Some(MOJIBAKE));

    let outcomes = vec![Outcome::Done(Box::new(a))];
    let text = coroner_report::text::render(&outcomes, coroner_report::phrase::Lang::En);
    let who = text
        .lines()
        .find(|l| l.starts_with("Who to call:"))
        .unwrap();
    assert!(
        who.starts_with(
            "Who to call:  ABC Components Ltd (from LegalCopyright; CompanyName unreadable) — vendor of ABCUpload4.dll 4.1.0.2"
        ),
        "{who}"
    );
    let verdict_part = &text[..text.find("Findings").unwrap()];
    assert!(!verdict_part.contains(MOJIBAKE), "{verdict_part}");
    let rec = text.lines().find(|l| l.starts_with("What to do:")).unwrap();
    assert!(
        rec.contains("Contact ABC Components Ltd about ABCUpload4.dll"),
        "{rec}"
    );
    // lmvm keeps the raw string and says why it was passed over.
    assert!(
        text.contains(&format!("CompanyName:      {MOJIBAKE}")),
        "{text}"
    );
    assert!(text.contains(
        "Vendor:           ABC Components Ltd (from LegalCopyright; CompanyName unreadable)"
    ));
    assert!(text.contains("combining mark U+0304"), "{text}");

    let md = coroner_report::markdown::render(&outcomes, coroner_report::phrase::Lang::En);
    assert!(md.contains(
        "| **Who to call** | ABC Components Ltd (from LegalCopyright; CompanyName unreadable)"
    ));

    let json: serde_json::Value =
        serde_json::from_str(&coroner_report::json::render(&outcomes)).unwrap();
    let bj = &json["dumps"][0]["blame"];
    assert_eq!(bj["company"], MOJIBAKE);
    assert_eq!(bj["vendor"], "ABC Components Ltd");
    assert_eq!(bj["vendor_source"], "LegalCopyright");
    assert_eq!(
        bj["copyright"],
        "Copyright (C) 2001 ABC Components Ltd. All rights reserved."
    );
    assert_eq!(bj["vendor_passed_over"][0]["field"], "CompanyName");
    let m = json["dumps"][0]["modules"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["name"] == "ABCUpload4.dll")
        .unwrap();
    assert_eq!(m["company"], MOJIBAKE);
    assert_eq!(m["vendor_source"], "LegalCopyright");
}

#[test]
fn the_product_name_is_the_last_resort() {
    let rc = ReferenceCase {
        abc_company: Some("\u{1}\u{2}AB\u{E000}".into()),
        abc_copyright: Some(MOJIBAKE.into()),
        ..ReferenceCase::default()
    };
    // ProductName ("ABCUpload") is the last field tried: still plausible here.
    let a = analyse(&rc);
    let b = a.blame.as_ref().unwrap();
    assert_eq!(b.vendor.as_deref(), Some("ABCUpload"));
    assert_eq!(b.vendor_source, Some(VendorSource::ProductName));
    let text = coroner_report::text::render(
        &[Outcome::Done(Box::new(a))],
        coroner_report::phrase::Lang::En,
    );
    let who = text
        .lines()
        .find(|l| l.starts_with("Who to call:"))
        .unwrap();
    assert!(
        who.contains(
            "ABCUpload (from ProductName; CompanyName unreadable; LegalCopyright unreadable)"
        ),
        "{who}"
    );
    assert!(!who.contains(MOJIBAKE) && !who.contains('\u{1}'), "{who}");
}

#[test]
fn a_good_company_name_is_reported_as_before() {
    let a = analyse(&ReferenceCase::default());
    let b = a.blame.as_ref().unwrap();
    assert_eq!(b.vendor.as_deref(), Some("ABC Components Ltd."));
    assert_eq!(b.vendor_source, Some(VendorSource::CompanyName));
    let text = coroner_report::text::render(
        &[Outcome::Done(Box::new(a))],
        coroner_report::phrase::Lang::En,
    );
    assert!(text.contains("Who to call:  ABC Components Ltd. — vendor of ABCUpload4.dll 4.1.0.2, product \"ABCUpload\""), "{text}");
}

#[test]
fn with_nothing_plausible_the_vendor_is_unknown() {
    let rc = ReferenceCase {
        abc_company: Some(MOJIBAKE.into()),
        abc_copyright: Some("Freeware".into()),
        abc_product: Some("\u{E000}\u{E001}\u{E002}".into()),
        ..ReferenceCase::default()
    };
    let a = analyse(&rc);
    let b = a.blame.as_ref().unwrap();
    assert_eq!((b.vendor.as_deref(), b.vendor_source), (None, None));
    assert_eq!(b.company.as_deref(), Some(MOJIBAKE), "raw string kept");
    let outcomes = vec![Outcome::Done(Box::new(a))];
    let text = coroner_report::text::render(&outcomes, coroner_report::phrase::Lang::En);
    let who = text
        .lines()
        .find(|l| l.starts_with("Who to call:"))
        .unwrap();
    assert_eq!(
        who,
        "Who to call:  unknown — the version resource of ABCUpload4.dll 4.1.0.2 names no plausible vendor (CompanyName unreadable; LegalCopyright names no holder; ProductName unreadable; signer unknown (Authenticode signatures are not in a dump)), built 2001-08-14T07:26:24Z"
    );
    let json: serde_json::Value =
        serde_json::from_str(&coroner_report::json::render(&outcomes)).unwrap();
    assert!(json["dumps"][0]["blame"]["vendor"].is_null());
    assert!(json["dumps"][0]["blame"]["vendor_source"].is_null());
}
