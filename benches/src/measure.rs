//! Process measurements for the benchmark commands.

use std::time::Instant;

/// Peak resident set size of this process in kB (`VmHWM` of /proc/self/status), if known.
pub fn peak_rss_kb() -> Option<u64> {
    status_kb("VmHWM:")
}

/// Current resident set size of this process in kB (`VmRSS`), if known.
pub fn rss_kb() -> Option<u64> {
    status_kb("VmRSS:")
}

fn status_kb(key: &str) -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with(key))?;
    line[key.len()..]
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()
}

/// Runs `f`, returning its result and the seconds it took.
pub fn timed<T>(f: impl FnOnce() -> T) -> (T, f64) {
    let started = Instant::now();
    let out = f();
    (out, started.elapsed().as_secs_f64())
}

/// The 1-minute load average (from /proc/loadavg), for the report.
pub fn load_average() -> Option<String> {
    let text = std::fs::read_to_string("/proc/loadavg").ok()?;
    Some(
        text.split_whitespace()
            .take(3)
            .collect::<Vec<_>>()
            .join(" "),
    )
}

/// Value of `--name VALUE` among the arguments, if given.
pub fn arg_value(args: &[String], name: &str) -> Option<String> {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .cloned()
}

/// Whether the flag `--name` is among the arguments.
pub fn has_flag(args: &[String], name: &str) -> bool {
    args.iter().any(|a| a == name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_own_memory_and_arguments() {
        let before = peak_rss_kb().expect("linux /proc");
        let big = vec![1u8; 64 << 20];
        std::hint::black_box(&big);
        let after = peak_rss_kb().unwrap();
        assert!(after >= before + 60_000, "{before} -> {after}");
        assert!(rss_kb().unwrap() > 0);
        let args: Vec<String> = ["--records", "5", "--keep"].map(String::from).to_vec();
        assert_eq!(arg_value(&args, "--records").as_deref(), Some("5"));
        assert_eq!(arg_value(&args, "--keep"), None);
        assert!(has_flag(&args, "--keep"));
        assert!(!has_flag(&args, "--file"));
    }
}
