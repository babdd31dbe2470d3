//! The dump analysis's words an incident report quotes — a dump's verdict and detail rows, the
//! title and recommendation of the finding a group, a hang or a crash's cause rests on, who to
//! call — in the report's language: English is the model's own copy (the JSON document's),
//! any other language is worded afresh from the analysis by `phrase` (`finding`, `summary`,
//! `who_to_call`), so the incident report says them as `coroner analyze` would.

use crate::phrase::Lang;
use coroner_incident::model::{DumpInfo, Quoted};

/// The first finding of `q` in `lang` (title, description, recommendation).
fn first(q: Option<&Quoted>, lang: Lang) -> Option<crate::phrase::Words> {
    let a = &q?.0;
    a.findings
        .first()
        .map(|f| crate::phrase::finding(a, f, lang))
}

/// The title of the first finding (`en` in English, or without an analysis).
pub fn title(q: Option<&Quoted>, en: &str, lang: Lang) -> String {
    match lang {
        Lang::En => en.to_string(),
        _ => first(q, lang).map_or_else(|| en.to_string(), |w| w.title),
    }
}

/// The recommendation of the first finding.
pub fn recommendation(q: Option<&Quoted>, en: &str, lang: Lang) -> String {
    match lang {
        Lang::En => en.to_string(),
        _ => first(q, lang).map_or_else(|| en.to_string(), |w| w.recommendation),
    }
}

/// Who to call, when the model names someone (`en`).
pub fn who_to_call(q: Option<&Quoted>, en: Option<&str>, lang: Lang) -> Option<String> {
    let en = en?;
    Some(match (lang, q) {
        (Lang::En, _) | (_, None) => en.to_string(),
        (_, Some(q)) => crate::phrase::who_to_call(&q.0, lang),
    })
}

/// A dump's detail rows (What crashed, Why, Verdict, …).
pub fn detail(d: &DumpInfo, lang: Lang) -> Vec<(String, String)> {
    match (lang, &d.analysis) {
        (Lang::En, _) | (_, None) => d.detail.clone(),
        (_, Some(q)) => crate::phrase::summary(&q.0, lang),
    }
}
