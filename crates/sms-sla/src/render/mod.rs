//! Renderings of an [`SlaReport`](crate::SlaReport): Markdown, JSON and HTML.

mod html;
mod markdown;
mod svg;

pub use html::html;
pub use markdown::markdown;

/// The report as pretty-printed JSON (schema [`SCHEMA_VERSION`](crate::SCHEMA_VERSION)).
pub fn json(report: &crate::SlaReport) -> String {
    // Serialising plain data into a String cannot fail.
    serde_json::to_string_pretty(report).unwrap_or_default()
}
