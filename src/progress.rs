//! Progress bar on stderr, drawn only when stderr is a terminal; notices go through it so they
//! do not tear the bar.

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::{IsTerminal, Write};

/// One line on stderr, prefixed `scanfw: `. A closed, full or vanished stderr (a terminal that
/// hung up) is not an error worth dying for: the line is dropped.
pub fn say(text: &str) {
    let mut err = std::io::stderr().lock();
    let _ = writeln!(err, "scanfw: {text}").and_then(|()| err.flush());
}

/// Scan progress display.
pub struct Progress {
    bar: Option<ProgressBar>,
    hosts: Option<u64>,
    hosts_done: std::cell::Cell<u64>,
}

impl Progress {
    /// A bar when stderr is a terminal, nothing otherwise.
    pub fn new(hosts: Option<u64>) -> Progress {
        if !std::io::stderr().is_terminal() {
            return Progress {
                bar: None,
                hosts,
                hosts_done: 0.into(),
            };
        }
        let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
        let style = ProgressStyle::with_template(
            "{spinner} [{elapsed_precise}] {wide_bar} {pos}/{len} ports ({eta}) {msg}",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar());
        bar.set_style(style);
        if let Some(h) = hosts {
            bar.set_message(format!("0/{h} hosts"));
        }
        Progress {
            bar: Some(bar),
            hosts,
            hosts_done: 0.into(),
        }
    }

    /// Ports decided so far.
    pub fn ports(&self, done: u64, total: Option<u64>) {
        if let Some(bar) = &self.bar {
            if let Some(t) = total {
                bar.set_length(t);
            }
            bar.set_position(done);
        }
    }

    /// A host finished.
    pub fn host_done(&self) {
        self.hosts_done(1);
    }

    /// `n` hosts are final at once (a resumed scan's stored ones).
    pub fn hosts_done(&self, n: u64) {
        self.hosts_done.set(self.hosts_done.get().saturating_add(n));
        if let (Some(bar), Some(h)) = (&self.bar, self.hosts) {
            bar.set_message(format!("{}/{h} hosts", self.hosts_done.get()));
        }
    }

    /// A notice for the user: above the bar, or on stderr.
    pub fn notice(&self, text: &str) {
        match &self.bar {
            Some(bar) => bar.println(format!("scanfw: {text}")),
            None => say(text),
        }
    }

    /// Removes the bar.
    pub fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}
