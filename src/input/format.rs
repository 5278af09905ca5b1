//! The export formats eqlite recognises, with the names used by `--format` and the API.

use std::fmt;
use std::str::FromStr;

/// An input format. `Auto` asks the reader to recognise the format from the first bytes and
/// records; every other value forces that format's normaliser (the container -- gzip, zip,
/// UTF-16, JSON document vs lines, CSV -- is still sniffed from the bytes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum Format {
    /// Recognise the format from the data.
    #[default]
    Auto,
    /// NDJSON of ECS `_source` documents (Elastic Agent, Winlogbeat via Elasticsearch,
    /// elasticdump with or without `--sourceOnly`).
    Ndjson,
    /// One JSON document: an array of ECS documents, an Elasticsearch `_search` response, an EQL
    /// search response, or an ingest-pipeline test input (`{"events": [...]}`).
    Json,
    /// Kibana Discover "Generate CSV" report.
    KibanaCsv,
    /// Winlogbeat 8.x output that never passed through the Elasticsearch ingest pipeline.
    WinlogbeatRaw,
    /// Binary `.evtx` Windows event log.
    Evtx,
    /// Windows event XML (wevtutil, Get-WinEvent ToXml, Event Viewer "Save as XML", Splunk
    /// `XmlWinEventLog`).
    WindowsXml,
    /// `evtx_dump` JSON / JSONL (evtx crate rendering).
    EvtxDumpJson,
    /// Chainsaw `search` / `hunt` JSON or JSONL.
    Chainsaw,
    /// Hayabusa timeline JSON / JSONL / CSV.
    Hayabusa,
    /// EvtxECmd (KAPE) CSV.
    EvtxECmdCsv,
    /// EvtxECmd JSON lines.
    EvtxECmdJson,
    /// Microsoft Sentinel / Log Analytics `SecurityEvent` or `WindowsEvent` rows.
    Sentinel,
    /// Microsoft Defender for Endpoint `DeviceEvents` rows.
    DefenderDeviceEvents,
    /// Splunk `WinEventLog:Security` classic text (or Splunk exports whose `_raw` holds it).
    SplunkWinEventLog,
    /// NXLog `im_msvistalog` JSON and OTRF / Mordor security datasets (flattened EventData).
    Nxlog,
    /// Kibana Security Timeline export: recognised and rejected with guidance (it holds saved
    /// queries, not events).
    KibanaTimeline,
}

/// Every format with its name and a one-line description, in recognition-priority order.
const ALL: &[(Format, &str, &str)] = &[
    (Format::Auto, "auto", "recognise the format from the data (default)"),
    (Format::Ndjson, "ndjson", "NDJSON of ECS _source documents (Elastic Agent, Winlogbeat via Elasticsearch, elasticdump)"),
    (Format::Json, "json", "JSON array of documents, Elasticsearch _search response, EQL search response"),
    (Format::KibanaCsv, "kibana-csv", "Kibana Discover \"Generate CSV\" report"),
    (Format::WinlogbeatRaw, "winlogbeat-raw", "Winlogbeat 8.x output not processed by the ingest pipeline"),
    (Format::Evtx, "evtx", "Windows .evtx event log file"),
    (Format::WindowsXml, "windows-xml", "Windows event XML (wevtutil, Get-WinEvent ToXml, Event Viewer, Splunk XmlWinEventLog)"),
    (Format::EvtxDumpJson, "evtx-dump", "evtx_dump JSON / JSONL"),
    (Format::Chainsaw, "chainsaw", "Chainsaw search / hunt JSON or JSONL"),
    (Format::Hayabusa, "hayabusa", "Hayabusa timeline JSON / JSONL / CSV"),
    (Format::EvtxECmdCsv, "evtxecmd-csv", "EvtxECmd (KAPE) CSV"),
    (Format::EvtxECmdJson, "evtxecmd-json", "EvtxECmd JSON lines"),
    (Format::Sentinel, "sentinel", "Microsoft Sentinel SecurityEvent / WindowsEvent rows"),
    (Format::DefenderDeviceEvents, "mde-device-events", "Microsoft Defender for Endpoint DeviceEvents rows"),
    (Format::SplunkWinEventLog, "splunk-wineventlog", "Splunk WinEventLog:Security classic text"),
    (Format::Nxlog, "nxlog", "NXLog JSON and OTRF / Mordor security datasets"),
    (Format::KibanaTimeline, "kibana-timeline", "Kibana Security Timeline export (recognised; holds no events)"),
];

impl Format {
    /// The stable name (`"ndjson"`, `"kibana-csv"`, `"evtx"`, ...).
    pub fn as_str(self) -> &'static str {
        ALL.iter()
            .find(|(f, _, _)| *f == self)
            .map_or("auto", |(_, name, _)| name)
    }

    /// A one-line description for `eqlite formats`.
    pub fn description(self) -> &'static str {
        ALL.iter()
            .find(|(f, _, _)| *f == self)
            .map_or("", |(_, _, d)| d)
    }

    /// Every format (including `Auto`), with its description.
    pub fn all() -> Vec<(Format, &'static str)> {
        ALL.iter().map(|(f, _, d)| (*f, *d)).collect()
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The error for an unknown format name; its message lists the valid names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownFormat(pub String);

impl fmt::Display for UnknownFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<&str> = ALL.iter().map(|(_, n, _)| *n).collect();
        write!(
            f,
            "unknown input format {:?}; expected one of: {}",
            self.0,
            names.join(", ")
        )
    }
}

impl std::error::Error for UnknownFormat {}

impl FromStr for Format {
    type Err = UnknownFormat;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let wanted = s.trim().to_ascii_lowercase();
        let alias = match wanted.as_str() {
            "jsonl" | "json-lines" => "ndjson",
            "xml" => "windows-xml",
            "csv" => "kibana-csv",
            "evtxecmd" => "evtxecmd-csv",
            "otrf" | "mordor" => "nxlog",
            "mde" | "defender" => "mde-device-events",
            "splunk" => "splunk-wineventlog",
            "winlogbeat" => "winlogbeat-raw",
            "evtx_dump" => "evtx-dump",
            other => other,
        };
        ALL.iter()
            .find(|(_, n, _)| *n == alias)
            .map(|(f, _, _)| *f)
            .ok_or_else(|| UnknownFormat(s.to_string()))
    }
}
