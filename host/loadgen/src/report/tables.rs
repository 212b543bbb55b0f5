//! The report's Markdown: the machine, the parameters, and one table per
//! scenario with medians over the runs (and their range), each against its
//! target.

use std::fmt::Write;
use std::time::Duration;

use loadgen::scenario::Outcome;

use super::Run;

/// What the report was run with.
pub struct Parameters {
    /// Runs.
    pub runs: usize,
    /// Storm and sustained stations.
    pub stations: usize,
    /// Idle stations.
    pub idle_stations: usize,
    /// Closed-loop connections.
    pub connections: usize,
    /// Sustained and closed-loop window.
    pub window: Duration,
    /// Idle window.
    pub idle_window: Duration,
    /// OCPP versions.
    pub versions: &'static str,
}

/// The machine the report ran on.
pub struct Machine {
    /// Cores available.
    pub cores: usize,
    /// CPU model name.
    pub model: String,
    /// Memory, GiB.
    pub memory_gib: f64,
    /// Kernel release.
    pub kernel: String,
    /// Open-file limit.
    pub fd_limit: u64,
}

impl Machine {
    /// Reads `/proc` for the machine's description.
    pub fn describe(fd_limit: u64) -> Machine {
        let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
        let model = cpuinfo
            .lines()
            .find_map(|l| l.strip_prefix("model name").and_then(|r| r.split_once(':')).map(|(_, v)| v.trim().to_owned()))
            .unwrap_or_else(|| "unknown".to_owned());
        let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
        let memory_kib: f64 = meminfo
            .lines()
            .find_map(|l| l.strip_prefix("MemTotal:").and_then(|r| r.split_whitespace().next()).and_then(|v| v.parse().ok()))
            .unwrap_or(0.0);
        Machine {
            cores: std::thread::available_parallelism().map_or(0, |n| n.get()),
            model,
            memory_gib: memory_kib / 1024.0 / 1024.0,
            kernel: std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default().trim().to_owned(),
            fd_limit,
        }
    }

    /// One line for logs.
    pub fn one_line(&self) -> String {
        format!(
            "{} cores ({}), {:.1} GiB, Linux {}, open-file limit {}",
            self.cores, self.model, self.memory_gib, self.kernel, self.fd_limit
        )
    }
}

/// Median, minimum and maximum of one figure over the runs.
struct Stat {
    median: f64,
    min: f64,
    max: f64,
    count: usize,
}

fn stat(values: impl IntoIterator<Item = Option<f64>>) -> Option<Stat> {
    let mut values: Vec<f64> = values.into_iter().flatten().filter(|v| v.is_finite()).collect();
    if values.is_empty() {
        return None;
    }
    values.sort_by(f64::total_cmp);
    let n = values.len();
    let median = if n % 2 == 1 { values[n / 2] } else { (values[n / 2 - 1] + values[n / 2]) / 2.0 };
    Some(Stat { median, min: values[0], max: values[n - 1], count: n })
}

impl Stat {
    fn show(&self, decimals: usize) -> String {
        if self.count == 1 || (self.max - self.min).abs() < f64::EPSILON {
            format!("{:.*}", decimals, self.median)
        } else {
            format!("{:.*} ({:.*}–{:.*})", decimals, self.median, decimals, self.min, decimals, self.max)
        }
    }
}

fn show(stat: Option<Stat>, decimals: usize) -> String {
    stat.map_or_else(|| "—".to_owned(), |s| s.show(decimals))
}

/// Which outcome of a run a figure is read from.
type Pick = fn(&Run) -> Option<&Outcome>;

fn figure(runs: &[Run], pick: Pick, get: impl Fn(&Outcome) -> Option<f64>) -> Option<Stat> {
    stat(runs.iter().map(|run| pick(run).and_then(&get)))
}

fn met(stat: &Option<Stat>, ok: impl Fn(f64) -> bool) -> &'static str {
    match stat {
        Some(s) if ok(s.median) => "**met**",
        Some(_) => "**missed**",
        None => "—",
    }
}

fn errors(runs: &[Run], pick: Pick) -> String {
    let mut total = 0;
    let mut lost = 0;
    let mut not_ready = 0;
    let mut kinds = Vec::new();
    for outcome in runs.iter().filter_map(pick) {
        total += outcome.summary.error_count_total();
        lost += outcome.lost;
        not_ready += outcome.stations - outcome.ready;
        if outcome.summary.error_count_total() > 0 {
            kinds.push(outcome.summary.errors_text());
        }
    }
    let mut text = format!("{total}");
    if !kinds.is_empty() {
        let _ = write!(text, " ({})", kinds.join("; "));
    }
    if lost > 0 || not_ready > 0 {
        let _ = write!(text, ", {not_ready} never ready, {lost} lost");
    }
    text
}

/// The server's own CALLs the stations answered, summed over the runs.
fn server_calls(runs: &[Run], pick: Pick) -> u64 {
    runs.iter().filter_map(pick).map(|outcome| outcome.summary.server_calls_answered).sum()
}

fn ms(us: u64) -> f64 {
    us as f64 / 1000.0
}

/// The whole report.
pub fn render(parameters: &Parameters, machine: &Machine, runs: &[Run], plugins: Option<&str>) -> String {
    let mut md = String::new();
    let p = parameters;
    let _ = writeln!(md, "### Machine and parameters\n");
    let _ = writeln!(md, "- machine: {}", machine.one_line());
    let _ = writeln!(
        md,
        "- runs: {} (figures are medians, the range over the runs in parentheses); OCPP versions: {}; windows: {} s (idle {} s)",
        p.runs,
        p.versions,
        p.window.as_secs(),
        p.idle_window.as_secs()
    );
    let loads: Vec<String> = runs.iter().map(|r| format!("{:.2}", r.loadavg_before)).collect();
    let _ = writeln!(md, "- load average (1 min) when each run began: {}", loads.join(", "));
    let _ = writeln!(md);

    // 1. idle
    let idle: Pick = |r| r.idle.as_ref();
    let per_connection = figure(runs, idle, Outcome::rss_per_connection_kib);
    let _ = writeln!(md, "### 1. Idle: {} stations (registered without a password: see below) connected and heartbeating every 30 s\n", p.idle_stations);
    let _ = writeln!(md, "| figure | measured | target |");
    let _ = writeln!(md, "|---|---|---|");
    let _ = writeln!(md, "| stations connected | {} | ≥ 10,000 |", show(figure(runs, idle, |o| Some(o.ready as f64)), 0));
    let _ = writeln!(md, "| server RSS before any station (MiB) | {} | |", show(figure(runs, idle, |o| o.server_at_start.map(|s| s.rss_kib as f64 / 1024.0)), 1));
    let _ = writeln!(md, "| server RSS once all had connected and booted (MiB) | {} | |", show(figure(runs, idle, |o| o.server_before.map(|s| s.rss_kib as f64 / 1024.0)), 1));
    let _ = writeln!(md, "| server RSS at the end, every station having heartbeated (MiB) | {} | |", show(figure(runs, idle, |o| o.server_after.map(|s| s.rss_kib as f64 / 1024.0)), 1));
    let _ = writeln!(md, "| RSS per connection before heartbeats (KiB) | {} | |", show(figure(runs, idle, |o| Some((o.server_before?.rss_kib as f64 - o.server_at_start?.rss_kib as f64) / o.ready.max(1) as f64)), 1));
    let _ = writeln!(md, "| **server RSS per connection (KiB)** | **{}** | ≤ 16 KiB: {} |", show(figure(runs, idle, Outcome::rss_per_connection_kib), 1), met(&per_connection, |v| v <= 16.0));
    let _ = writeln!(md, "| server CPU while idle (cores) | {} | |", show(figure(runs, idle, Outcome::server_cores), 3));
    let _ = writeln!(md, "| heartbeats answered per second | {} | |", show(figure(runs, idle, |o| Some(o.rate())), 0));
    let _ = writeln!(md, "| heartbeat latency p50 / p99 (ms) | {} / {} | |", show(figure(runs, idle, |o| Some(ms(o.summary.p50_us))), 2), show(figure(runs, idle, |o| Some(ms(o.summary.p99_us))), 2));
    let _ = writeln!(md, "| errors (all runs) | {} | 0 |", errors(runs, idle));
    let _ = writeln!(md);

    // 2. sustained
    let sustained: Pick = |r| r.sustained.as_ref();
    let p99 = figure(runs, sustained, |o| Some(ms(o.summary.p99_us)));
    let cores = figure(runs, sustained, Outcome::server_cores);
    let _ = writeln!(md, "### 2. Sustained: {} stations in sessions, MeterValues every second, each durable before it is answered\n", p.stations);
    let _ = writeln!(md, "| figure | measured | target |");
    let _ = writeln!(md, "|---|---|---|");
    let _ = writeln!(md, "| messages answered per second | {} | 10,000 |", show(figure(runs, sustained, |o| Some(o.rate())), 0));
    let _ = writeln!(md, "| latency p50 (ms, from when each was due) | {} | |", show(figure(runs, sustained, |o| Some(ms(o.summary.p50_us))), 2));
    let _ = writeln!(md, "| **latency p99 (ms)** | **{}** | < 25 ms: {} |", show(p99, 2), met(&figure(runs, sustained, |o| Some(ms(o.summary.p99_us))), |v| v < 25.0));
    let _ = writeln!(md, "| latency p99.9 / max (ms) | {} / {} | |", show(figure(runs, sustained, |o| Some(ms(o.summary.p999_us))), 2), show(figure(runs, sustained, |o| Some(ms(o.summary.max_us))), 2));
    let _ = writeln!(md, "| **server CPU (cores)** | **{}** | < 1: {} |", show(figure(runs, sustained, Outcome::server_cores), 2), met(&cores, |v| v < 1.0));
    let _ = writeln!(md, "| messages per server CPU-second | {} | |", show(figure(runs, sustained, Outcome::per_server_cpu_second), 0));
    let _ = writeln!(md, "| load generator CPU (cores) | {} | |", show(figure(runs, sustained, |o| Some(o.generator_cpu_secs / o.window.as_secs_f64())), 2));
    let _ = writeln!(md, "| errors (all runs) | {} | 0 |", errors(runs, sustained));
    let _ = writeln!(md);

    // 3. saturation
    let _ = writeln!(md, "### 3. Saturation: closed loop over {} connections, load generator on the same machine\n", p.connections);
    let _ = writeln!(md, "| message | round trips/s | target | p50 / p99 (ms) | server CPU (cores) | round trips per server CPU-second | generator CPU (cores) | errors |");
    let _ = writeln!(md, "|---|---|---|---|---|---|---|---|");
    for (name, pick) in [
        ("Heartbeat", (|r: &Run| r.saturate_heartbeat.as_ref()) as Pick),
        ("MeterValues (durable)", |r: &Run| r.saturate_meter.as_ref()),
    ] {
        let rate = figure(runs, pick, |o| Some(o.rate()));
        let target = format!("≥ 40,000: {}", met(&rate, |v| v >= 40_000.0));
        let _ = writeln!(
            md,
            "| {name} | **{}** | {target} | {} / {} | {} | {} | {} | {} |",
            show(rate, 0),
            show(figure(runs, pick, |o| Some(ms(o.summary.p50_us))), 2),
            show(figure(runs, pick, |o| Some(ms(o.summary.p99_us))), 2),
            show(figure(runs, pick, Outcome::server_cores), 2),
            show(figure(runs, pick, Outcome::per_server_cpu_second), 0),
            show(figure(runs, pick, |o| Some(o.generator_cpu_secs / o.window.as_secs_f64())), 2),
            errors(runs, pick),
        );
    }
    let _ = writeln!(md);

    // 4. storm
    let _ = writeln!(md, "### 4. Reconnect storm: {} stations connecting at once\n", p.stations);
    let _ = writeln!(md, "| storm | every boot answered after (s) | target | time to boot p50 / p99 (s) | server CPU (s) | stations refused or failed |");
    let _ = writeln!(md, "|---|---|---|---|---|---|");
    for (name, pick) in [
        ("cold: first connections after a restart (one Argon2id verification each)", (|r: &Run| r.storm_cold.as_ref()) as Pick),
        ("warm: after a network blip (passwords remembered)", |r: &Run| r.storm_warm.as_ref()),
    ] {
        let all = figure(runs, pick, |o| o.all_booted.map(|d| d.as_secs_f64()));
        let _ = writeln!(
            md,
            "| {name} | **{}** | < 5 s: {} | {} / {} | {} | {} |",
            show(figure(runs, pick, |o| o.all_booted.map(|d| d.as_secs_f64())), 2),
            met(&all, |v| v < 5.0),
            show(figure(runs, pick, |o| Some(o.summary.p50_us as f64 / 1e6)), 2),
            show(figure(runs, pick, |o| Some(o.summary.p99_us as f64 / 1e6)), 2),
            show(figure(runs, pick, Outcome::server_cpu_secs), 1),
            errors(runs, pick),
        );
    }
    let peak = stat(runs.iter().map(|r| (r.gridlet_peak_rss_kib > 0).then(|| r.gridlet_peak_rss_kib as f64 / 1024.0)));
    let _ = writeln!(md, "\nGridlet's peak RSS over the storms, sustained and saturation scenarios: {} MiB.\n", show(peak, 0));
    let _ = writeln!(
        md,
        "Server calls answered (CALLs Gridlet sent the stations on its own, such as running costs; all runs, not errors): idle {}, storms {}, sustained {}, closed loops {}.\n",
        server_calls(runs, |r| r.idle.as_ref()),
        server_calls(runs, |r| r.storm_cold.as_ref()) + server_calls(runs, |r| r.storm_warm.as_ref()),
        server_calls(runs, |r| r.sustained.as_ref()),
        server_calls(runs, |r| r.saturate_heartbeat.as_ref()) + server_calls(runs, |r| r.saturate_meter.as_ref()),
    );

    // 5. python
    let _ = writeln!(md, "### 5. Side by side with the Python baseline (same closed loops, {} connections)\n", p.connections);
    let _ = writeln!(md, "| message | Gridlet round trips/s | Gridlet per CPU-second | Python round trips/s | Python per CPU-second | ratio per CPU-second | target |");
    let _ = writeln!(md, "|---|---|---|---|---|---|---|");
    for (name, gridlet, python) in [
        (
            "Heartbeat",
            (|r: &Run| r.saturate_heartbeat.as_ref()) as Pick,
            (|r: &Run| r.python_heartbeat.as_ref()) as Pick,
        ),
        ("MeterValues", |r: &Run| r.saturate_meter.as_ref(), |r: &Run| r.python_meter.as_ref()),
    ] {
        // the ratio of each run's pair, then the median
        let ratio = stat(runs.iter().map(|r| {
            let g = gridlet(r)?.per_server_cpu_second()?;
            let py = python(r)?.per_server_cpu_second()?;
            (py > 0.0).then(|| g / py)
        }));
        let target = format!("≥ 10×: {}", met(&ratio, |v| v >= 10.0));
        let _ = writeln!(
            md,
            "| {name} | {} | {} | {} | {} | **{}×** | {target} |",
            show(figure(runs, gridlet, |o| Some(o.rate())), 0),
            show(figure(runs, gridlet, Outcome::per_server_cpu_second), 0),
            show(figure(runs, python, |o| Some(o.rate())), 0),
            show(figure(runs, python, Outcome::per_server_cpu_second), 0),
            show(ratio, 1),
        );
    }
    let _ = writeln!(md, "\nPython baseline errors (all runs): heartbeat {}, meter values {}.\n", errors(runs, |r| r.python_heartbeat.as_ref()), errors(runs, |r| r.python_meter.as_ref()));

    // 6. plugins
    if let Some(plugins) = plugins {
        let _ = writeln!(md, "### 6. Plugin calls (`cargo bench -p plugin-host --bench tariff_calls`, this run)\n");
        let _ = writeln!(md, "```text\n{}\n```", plugins.trim_end());
    }
    md
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn medians_and_ranges() {
        let s = stat([Some(3.0), None, Some(1.0), Some(2.0)]).unwrap();
        assert_eq!((s.median, s.min, s.max), (2.0, 1.0, 3.0));
        assert_eq!(s.show(1), "2.0 (1.0–3.0)");
        let s = stat([Some(4.0), Some(1.0)]).unwrap();
        assert_eq!(s.median, 2.5);
        assert!(stat([None, Some(f64::NAN)]).is_none());
        assert_eq!(stat([Some(5.0)]).unwrap().show(0), "5");
    }
}
