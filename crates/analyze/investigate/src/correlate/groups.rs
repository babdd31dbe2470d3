//! Stage 7: the analysed dumps grouped by bucket, each group with its verdict and pools.

use crate::evidence::Evidence;
use crate::model::{CrashRef, GroupInfo};
use coroner_analysis::Analysis;
use std::collections::{BTreeMap, BTreeSet};

/// One group per bucket among the dumps that were analysed.
pub(super) fn groups(
    ev: &Evidence,
    dump_crash: &BTreeMap<usize, CrashRef>,
    dump_hang: &BTreeMap<usize, CrashRef>,
) -> Vec<GroupInfo> {
    let done: Vec<(usize, &Analysis)> = ev
        .dumps
        .iter()
        .enumerate()
        .filter_map(|(i, d)| d.analysis.as_ref().ok().map(|a| (i, a.as_ref())))
        .collect();
    let refs: Vec<&Analysis> = done.iter().map(|(_, a)| *a).collect();
    coroner_analysis::group(&refs)
        .into_iter()
        .map(|g| {
            let first = refs[g.members[0]];
            let finding = first.findings.first().map(|f| {
                coroner_report::phrase::finding(first, f, coroner_report::phrase::Lang::En)
            });
            let pools: BTreeSet<String> = g
                .members
                .iter()
                .filter_map(|&m| {
                    dump_crash
                        .get(&done[m].0)
                        .or_else(|| dump_hang.get(&done[m].0))
                        .map(|c| c.pool.clone())
                        .or_else(|| refs[m].process.app_pool.clone())
                })
                .collect();
            GroupInfo {
                bucket: g.bucket,
                dumps: g
                    .members
                    .iter()
                    .map(|&m| ev.dumps[done[m].0].path.clone())
                    .collect(),
                verdict: finding
                    .as_ref()
                    .map(|f| f.title.clone())
                    .unwrap_or_else(|| "no diagnosis".into()),
                description: finding
                    .as_ref()
                    .map(|f| f.description.clone())
                    .unwrap_or_default(),
                recommendation: finding.map(|f| f.recommendation).unwrap_or_default(),
                // The summary names who to call only for a dump with an exception record, or
                // a hang dump whose analysis blames a module.
                who_to_call: (first.exception.is_some()
                    || (dump_hang.contains_key(&done[g.members[0]].0) && first.blame.is_some()))
                .then(|| {
                    coroner_report::phrase::who_to_call(first, coroner_report::phrase::Lang::En)
                }),
                pools: pools.into_iter().collect(),
                analysis: ev.quoted(done[g.members[0]].0),
            }
        })
        .collect()
}
