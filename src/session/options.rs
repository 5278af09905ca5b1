//! What a run is: the one set of settings every shell maps its flags or option keys onto.

use crate::compile::{Mapping, Query, QueryBuilder, ResultPosition};
use crate::correlator::DEFAULT_MAX_CANDIDATES;
use crate::error::{Error, ErrorKind};
use crate::exceptions::ExceptionList;
use crate::input::Format;
use crate::rules::{self, Rule};

/// Where the query comes from.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum RuleSource {
    /// The built-in "Temporarily Scheduled Task Creation" rule.
    #[default]
    Builtin,
    /// A detection rule (for example read from a TOML file with [`rules::from_toml`]).
    Rule(Box<Rule>),
    /// Plain EQL text (alerts name it "Ad-hoc query").
    Query(String),
}

/// The settings of one [`super::Session`]. `Default` is what a user who passes no flags gets:
/// the built-in rule, format detection, the pre-filter, and the exact batch answer.
#[derive(Debug, Clone)]
pub struct SessionOptions {
    /// The rule or query.
    pub source: RuleSource,
    /// Timestamp field (default `@timestamp`).
    pub timestamp_field: Option<String>,
    /// Tiebreaker: `None` takes the rule's; `Some(None)` forces none.
    pub tiebreaker_field: Option<Option<String>>,
    /// Event category field: `None` takes the rule's override, else `event.category`.
    pub event_category_field: Option<String>,
    /// Elasticsearch's `size` (default unlimited).
    pub size: Option<usize>,
    /// Which results `size` keeps (default tail, as Kibana).
    pub result_position: ResultPosition,
    /// Input format (default auto-detection per file).
    pub format: Format,
    /// `None` (default): batch mode, every candidate event is ordered before matching, so the
    /// result is Elasticsearch's whatever the input order. `Some(ms)`: stream mode for
    /// unbounded input; events later than the window are counted as late, not correlated.
    pub reorder_window_ms: Option<u64>,
    /// Batch mode's budget of held candidate events; past it the run stops with an error naming
    /// the option. `None` removes it.
    pub max_candidates: Option<usize>,
    /// Cap on open partial sequences (`None` keeps the correlator's default).
    pub max_open_sequences: Option<Option<usize>>,
    /// Rule exceptions, applied to events before matching.
    pub exceptions: Option<ExceptionList>,
    /// Skip records that provably pass no filter, unparsed (default on; results are the same).
    pub prefilter: bool,
    /// Parse only the fields the query and the exceptions read of each NDJSON record, keeping
    /// its text for results (default on; results are the same: tests/prefilter_property.rs and
    /// tests/projection_fixtures.rs compare it with full parsing). Off with explain, simulate or
    /// a mapping, which read events in ways a field list does not describe.
    pub projection: bool,
    /// Keep the candidate events (after exceptions) for [`super::Session::simulate`]; memory
    /// follows them, as in batch mode.
    pub simulate: bool,
    /// Collect near misses and coverage for [`super::Session::explain`], keeping this many
    /// findings per kind. Reads every record (no pre-filter) and keeps the candidate events.
    pub explain: Option<usize>,
    /// Time zone for zone-less export timestamps (`UTC` or a fixed offset like `+02:00`).
    pub time_zone: String,
    /// Index mapping(s) that type the events' fields as Elasticsearch indexed them (see
    /// [`Mapping`]); `None` compares the JSON values as they are.
    pub mapping: Option<Mapping>,
    /// `sample` queries: samples per join-key combination (default 1, as Elasticsearch).
    pub max_samples_per_key: Option<usize>,
}

impl Default for SessionOptions {
    fn default() -> Self {
        SessionOptions {
            source: RuleSource::Builtin,
            timestamp_field: None,
            tiebreaker_field: None,
            event_category_field: None,
            size: None,
            result_position: ResultPosition::Tail,
            format: Format::Auto,
            reorder_window_ms: None,
            max_candidates: Some(DEFAULT_MAX_CANDIDATES),
            max_open_sequences: None,
            exceptions: None,
            prefilter: true,
            projection: true,
            simulate: false,
            explain: None,
            time_zone: "UTC".to_string(),
            mapping: None,
            max_samples_per_key: None,
        }
    }
}

impl SessionOptions {
    /// Compiles the query: the rule's own tiebreaker and category fields apply unless
    /// overridden. Returns the query, the rule (the built-in rule's metadata for a plain
    /// query) and whether the built-in rule runs.
    pub fn compile(&self) -> Result<(Query, Rule, bool), Error> {
        let (text, rule, builtin) = match &self.source {
            RuleSource::Builtin => {
                let rule = rules::builtin();
                (rule.query.clone(), rule, true)
            }
            RuleSource::Rule(rule) => {
                let builtin = rule.id == rules::BUILTIN_ID;
                (rule.query.clone(), (**rule).clone(), builtin)
            }
            RuleSource::Query(text) => {
                let mut rule = rules::builtin();
                rule.id = "adhoc-query".to_string();
                rule.name = "Ad-hoc query".to_string();
                rule.severity = "low".to_string();
                rule.risk_score = Some(21);
                rule.query = text.clone();
                rule.tiebreaker_field = None;
                rule.event_category_override = None;
                (text.clone(), rule, false)
            }
        };
        let tiebreaker = match &self.tiebreaker_field {
            Some(field) => field.clone(),
            None => rule.tiebreaker_field.clone(),
        };
        let category = self
            .event_category_field
            .clone()
            .or_else(|| rule.event_category_override.clone())
            .unwrap_or_else(|| "event.category".to_string());
        if self.max_candidates == Some(0) {
            return Err(Error::new(
                ErrorKind::Option,
                "max-candidates must be at least 1",
            ));
        }
        let query = QueryBuilder::new()
            .timestamp_field(self.timestamp_field.as_deref().unwrap_or("@timestamp"))
            .tiebreaker_field(tiebreaker.as_deref())
            .event_category_field(&category)
            .size(self.size)
            .result_position(self.result_position)
            .max_samples_per_key(
                self.max_samples_per_key
                    .unwrap_or(crate::compile::DEFAULT_MAX_SAMPLES_PER_KEY),
            )
            .mapping(self.mapping.clone())
            .build(&text)?;
        Ok((query, rule, builtin))
    }
}
