//! `sample` queries, as Elasticsearch's `SampleIterator` answers them
//! (x-pack/plugin/eql/.../execution/sample/SampleIterator.java and
//! execution/assembler/SampleQueryRequest.java; docs/eql.md has the full account).
//!
//! Elasticsearch runs a composite aggregation over each filter's join keys, each filter's
//! buckets restricted to the keys found by the filter before it, so a join-key combination
//! gives samples only if every filter has a document with it. Buckets come in ascending key
//! order (a missing optional key, `null`, first). For each combination it then asks every
//! filter for its first `filters + max_samples_per_key - 1` documents with that key (in index
//! order, no sort), and picks, by backtracking over those lists in order, up to
//! `max_samples_per_key` combinations of *distinct* documents, one per filter. Samples are
//! returned in key order until `size` of them were found. Timestamps play no part: no
//! ordering by time, no `maxspan`, no `until`, and events without a timestamp take part.
//!
//! Offline, "index order" is input order (Elasticsearch's order between several indices is
//! not fixed; its own tests accept any).

use crate::compile::JoinKey;
use crate::correlator::{Match, MatchEvent};
use crate::event::Event;
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

/// The per-stream state of a `sample` query.
#[derive(Debug)]
pub(crate) struct Sampler {
    max_per_key: usize,
    /// Documents kept per filter and key: the first `filters + max_per_key - 1`.
    kept_per_key: usize,
    /// Per filter: key -> its first documents, in input order.
    lists: Vec<HashMap<JoinKey, Vec<Arc<Event>>>>,
}

impl Sampler {
    pub(crate) fn new(filters: usize, max_per_key: usize) -> Sampler {
        Sampler {
            max_per_key,
            kept_per_key: filters + max_per_key.max(1) - 1,
            lists: (0..filters).map(|_| HashMap::new()).collect(),
        }
    }

    /// Records an event under the keys with which it passes each filter.
    pub(crate) fn push(&mut self, event: &Arc<Event>, keys: &[Vec<JoinKey>]) {
        for (list, keys) in self.lists.iter_mut().zip(keys) {
            for key in keys {
                let docs = list.entry(key.clone()).or_default();
                if docs.len() < self.kept_per_key {
                    docs.push(Arc::clone(event));
                }
            }
        }
    }

    /// Key combinations held across all filters (the memory the sampler uses).
    pub(crate) fn open_keys(&self) -> usize {
        self.lists.iter().map(HashMap::len).sum()
    }

    /// The samples, in key order, at most `limit`.
    pub(crate) fn finish(&mut self, limit: Option<usize>) -> Vec<Match> {
        let mut out = Vec::new();
        let lists = std::mem::take(&mut self.lists);
        let Some((first, rest)) = lists.split_first() else {
            return out;
        };
        let limit = limit.unwrap_or(usize::MAX);
        if limit == 0 {
            return out;
        }
        // keys every filter has, ascending (composite aggregation order)
        let keys: BTreeMap<&JoinKey, ()> = first
            .keys()
            .filter(|k| rest.iter().all(|l| l.contains_key(*k)))
            .map(|k| (k, ()))
            .collect();
        for key in keys.keys() {
            let hits: Vec<&[Arc<Event>]> = lists.iter().map(|l| l[*key].as_slice()).collect();
            let mut found = Vec::new();
            let mut partial = Vec::with_capacity(hits.len());
            pick(&hits, &mut partial, &mut found, self.max_per_key);
            for events in found {
                out.push(Match {
                    join_keys: key.to_json(),
                    events: events
                        .into_iter()
                        .map(|event| MatchEvent {
                            event,
                            missing: false,
                        })
                        .collect(),
                });
                if out.len() >= limit {
                    return out;
                }
            }
        }
        out
    }
}

/// Depth-first choice of one document per filter, all distinct, in list order; stops after
/// `max` complete choices.
fn pick(
    hits: &[&[Arc<Event>]],
    partial: &mut Vec<Arc<Event>>,
    found: &mut Vec<Vec<Arc<Event>>>,
    max: usize,
) {
    let stage = partial.len();
    let Some(&docs) = hits.get(stage) else {
        return;
    };
    for doc in docs {
        if partial.iter().any(|d| Arc::ptr_eq(d, doc)) {
            continue;
        }
        partial.push(Arc::clone(doc));
        if stage + 1 == hits.len() {
            found.push(partial.clone());
        } else {
            pick(hits, partial, found, max);
        }
        partial.pop();
        if found.len() >= max {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compile::KeyValue;
    use crate::Provenance;

    fn doc(id: i64) -> Arc<Event> {
        Arc::new(Event::from_value(serde_json::json!({ "id": id }), Provenance::default()).unwrap())
    }

    fn ids(m: &Match) -> Vec<i64> {
        m.events
            .iter()
            .map(|e| e.event.first_value("id").and_then(|v| v.as_i64()).unwrap())
            .collect()
    }

    #[test]
    fn distinct_documents_in_key_order() {
        let key = |s: &str| JoinKey(vec![KeyValue::Str(s.into())]);
        let mut s = Sampler::new(2, 2);
        let (a, b, c) = (doc(1), doc(2), doc(3));
        // 1 passes both filters under "x"; 2 only the second; 3 the first under "w"
        s.push(&a, &[vec![key("x")], vec![key("x")]]);
        s.push(&b, &[vec![], vec![key("x")]]);
        s.push(&c, &[vec![key("w")], vec![]]);
        let out = s.finish(None);
        assert_eq!(out.iter().map(ids).collect::<Vec<_>>(), [vec![1, 2]]);
        let mut s = Sampler::new(2, 3);
        s.push(&a, &[vec![key("x")], vec![key("x")]]);
        s.push(&b, &[vec![key("x")], vec![key("x")]]);
        let out = s.finish(Some(5));
        assert_eq!(
            out.iter().map(ids).collect::<Vec<_>>(),
            [vec![1, 2], vec![2, 1]]
        );
    }
}
