//! Log lines on stderr an operator can read: text (colour only on a terminal) or JSON, one
//! event per line, and identical warnings aggregated with a count.

use std::collections::HashMap;
use std::fmt::{self, Write as _};
use std::io::{IsTerminal, Write};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use tracing::field::{Field, Visit};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::layer::{Context, SubscriberExt};
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Layer};

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum LogFormat {
    /// Human-readable text.
    #[default]
    Text,
    /// One JSON object per line.
    Json,
}

/// Identical warnings within this interval are counted, not written.
const AGGREGATE_FOR: Duration = Duration::from_secs(10);

/// Most distinct warnings remembered by the aggregator.
const MAX_KEYS: usize = 1024;

/// Installs the process-wide subscriber: `RUST_LOG` or `default` as the filter.
pub fn init(format: LogFormat, default: &str) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default));
    let layer = LineLayer {
        format,
        ansi: std::io::stderr().is_terminal(),
        aggregator: Mutex::new(Aggregator::new(AGGREGATE_FOR)),
    };
    let _ = tracing_subscriber::registry()
        .with(filter)
        .with(layer)
        .try_init();
}

/// Counts repeats of identical warnings (same level, target and message).
#[derive(Debug)]
pub struct Aggregator {
    window: Duration,
    seen: HashMap<(Level, String, String), (Instant, u64)>,
}

impl Aggregator {
    /// Lines repeated within `window` of the last written one are counted.
    pub fn new(window: Duration) -> Self {
        Aggregator {
            window,
            seen: HashMap::new(),
        }
    }

    /// `None` to suppress the line; `Some(n)` to write it, `n` identical lines having been
    /// suppressed since the last one written.
    pub fn admit(
        &mut self,
        level: Level,
        target: &str,
        message: &str,
        now: Instant,
    ) -> Option<u64> {
        let key = (level, target.to_owned(), message.to_owned());
        if let Some((last, suppressed)) = self.seen.get_mut(&key) {
            if now.saturating_duration_since(*last) < self.window {
                *suppressed += 1;
                return None;
            }
            let n = *suppressed;
            *last = now;
            *suppressed = 0;
            return Some(n);
        }
        if self.seen.len() >= MAX_KEYS {
            let window = self.window;
            self.seen
                .retain(|_, (last, _)| now.saturating_duration_since(*last) < window);
            if self.seen.len() >= MAX_KEYS {
                self.seen.clear();
            }
        }
        self.seen.insert(key, (now, 0));
        Some(0)
    }
}

struct LineLayer {
    format: LogFormat,
    ansi: bool,
    aggregator: Mutex<Aggregator>,
}

/// The message and the other fields of an event, in order.
#[derive(Debug, Default)]
struct Fields {
    message: String,
    rest: Vec<(&'static str, serde_json::Value)>,
}

impl Visit for Fields {
    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        let text = format!("{value:?}");
        if field.name() == "message" {
            self.message = text;
        } else {
            self.rest
                .push((field.name(), serde_json::Value::String(text)));
        }
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "message" {
            self.message = value.to_owned();
        } else {
            self.rest.push((field.name(), value.into()));
        }
    }

    fn record_u64(&mut self, field: &Field, value: u64) {
        self.rest.push((field.name(), value.into()));
    }

    fn record_i64(&mut self, field: &Field, value: i64) {
        self.rest.push((field.name(), value.into()));
    }

    fn record_bool(&mut self, field: &Field, value: bool) {
        self.rest.push((field.name(), value.into()));
    }
}

impl<S: Subscriber> Layer<S> for LineLayer {
    fn on_event(&self, event: &Event<'_>, _ctx: Context<'_, S>) {
        let meta = event.metadata();
        let mut fields = Fields::default();
        event.record(&mut fields);
        let level = *meta.level();
        let repeated = if level <= Level::WARN {
            let mut agg = self.aggregator.lock().unwrap_or_else(|e| e.into_inner());
            match agg.admit(level, meta.target(), &fields.message, Instant::now()) {
                None => return,
                Some(n) => n,
            }
        } else {
            0
        };
        let now = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
        let line = match self.format {
            LogFormat::Text => text_line(&now, level, meta.target(), &fields, repeated, self.ansi),
            LogFormat::Json => json_line(&now, level, meta.target(), &fields, repeated),
        };
        // Nothing sensible to do when stderr is gone.
        let _ = std::io::stderr().lock().write_all(line.as_bytes());
    }
}

fn text_line(
    now: &str,
    level: Level,
    target: &str,
    f: &Fields,
    repeated: u64,
    ansi: bool,
) -> String {
    let mut out = String::with_capacity(128);
    let lvl = format!("{level:>5}");
    if ansi {
        let colour = match level {
            Level::ERROR => "31",
            Level::WARN => "33",
            Level::INFO => "32",
            Level::DEBUG => "34",
            Level::TRACE => "35",
        };
        let _ = write!(
            out,
            "{now} \x1b[{colour}m{lvl}\x1b[0m {target}: {}",
            f.message
        );
    } else {
        let _ = write!(out, "{now} {lvl} {target}: {}", f.message);
    }
    for (k, v) in &f.rest {
        match v {
            serde_json::Value::String(s) => {
                let _ = write!(out, " {k}={s}");
            }
            other => {
                let _ = write!(out, " {k}={other}");
            }
        }
    }
    if repeated > 0 {
        let _ = write!(
            out,
            " (repeated {repeated} more times since the last such line)"
        );
    }
    out.push('\n');
    out
}

fn json_line(now: &str, level: Level, target: &str, f: &Fields, repeated: u64) -> String {
    let mut obj = serde_json::Map::new();
    obj.insert("timestamp".into(), now.into());
    obj.insert("level".into(), level.as_str().into());
    obj.insert("target".into(), target.into());
    obj.insert("message".into(), f.message.clone().into());
    if !f.rest.is_empty() {
        let fields: serde_json::Map<String, serde_json::Value> = f
            .rest
            .iter()
            .map(|(k, v)| ((*k).to_owned(), v.clone()))
            .collect();
        obj.insert("fields".into(), fields.into());
    }
    if repeated > 0 {
        obj.insert("repeated".into(), repeated.into());
    }
    let mut line = serde_json::Value::Object(obj).to_string();
    line.push('\n');
    line
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identical_warnings_are_counted_within_the_window() {
        let t0 = Instant::now();
        let mut a = Aggregator::new(Duration::from_secs(10));
        assert_eq!(a.admit(Level::WARN, "x", "accept failed", t0), Some(0));
        for i in 1..=20 {
            assert_eq!(
                a.admit(
                    Level::WARN,
                    "x",
                    "accept failed",
                    t0 + Duration::from_millis(i * 50)
                ),
                None
            );
        }
        // A different message is its own line.
        assert_eq!(a.admit(Level::WARN, "x", "other", t0), Some(0));
        assert_eq!(
            a.admit(
                Level::WARN,
                "x",
                "accept failed",
                t0 + Duration::from_secs(10)
            ),
            Some(20)
        );
    }

    #[test]
    fn aggregator_memory_is_bounded() {
        let t0 = Instant::now();
        let mut a = Aggregator::new(Duration::from_secs(10));
        for i in 0..5000 {
            a.admit(Level::WARN, "x", &format!("m{i}"), t0);
        }
        assert!(a.seen.len() <= MAX_KEYS);
    }

    #[test]
    fn text_has_colour_only_when_asked_and_json_is_one_object() {
        let f = Fields {
            message: "closing connection".into(),
            rest: vec![("peer", "1.2.3.4:5".into()), ("tries", 3u64.into())],
        };
        let plain = text_line("T", Level::WARN, "cmpp", &f, 4, false);
        assert!(!plain.contains('\x1b'), "{plain}");
        assert_eq!(
            plain,
            "T  WARN cmpp: closing connection peer=1.2.3.4:5 tries=3 (repeated 4 more times since the last such line)\n"
        );
        assert!(text_line("T", Level::WARN, "cmpp", &f, 0, true).contains("\x1b[33m"));
        let j = json_line("T", Level::WARN, "cmpp", &f, 4);
        assert!(j.ends_with('\n') && j.matches('\n').count() == 1);
        let v: serde_json::Value = serde_json::from_str(&j).unwrap();
        assert_eq!(v["level"], "WARN");
        assert_eq!(v["message"], "closing connection");
        assert_eq!(v["fields"]["tries"], 3);
        assert_eq!(v["repeated"], 4);
    }
}
