//! The requested outputs, each written by a thread of its own.
//!
//! A reporter's writes can block for as long as its reader likes (a FIFO or a pipe that is not
//! read, a terminal that is gone): on its own thread that never stalls the scan, nor the
//! reaction to a signal. Files are created before the first probe, so a bad path fails the run
//! before anything is sent. After a signal every output gets [`GRACE`] to take what is left and
//! close its document; one that does not is abandoned with a notice (its document may end
//! early), and the exit code stays 130.

use anyhow::{bail, Result};
use scanfw_config::OutputSpec;
use scanfw_core::{
    registry, HostResult, ReportError, ReportOptions, Reporter, ReporterDescriptor, ScanStart,
    ScanSummary,
};
use std::fs::File;
use std::future::Future;
use std::io::{BufWriter, LineWriter, Write};
use std::path::PathBuf;
use std::sync::{mpsc, Arc};
use std::time::Duration;
use tokio::sync::{oneshot, watch};

/// How long outputs may take to finish once a signal asked the scan to stop.
pub const GRACE: Duration = Duration::from_secs(2);

/// What a reporter thread is asked to write.
enum Msg {
    Begin(Arc<ScanStart>),
    Host(Arc<HostResult>),
    Finish(Arc<ScanSummary>),
}

/// How one output ended.
#[derive(Debug)]
pub enum Outcome {
    /// Complete.
    Written,
    /// A write failed (the message names the output).
    Failed(String),
    /// Still blocked when the grace period after a signal ran out.
    Abandoned,
}

struct Worker {
    label: String,
    tx: mpsc::Sender<Msg>,
    opened: Option<oneshot::Receiver<Result<(), String>>>,
    done: oneshot::Receiver<Option<String>>,
    /// Not created before the grace period after a signal ran out: reported, then ignored.
    left_out: bool,
}

/// Every output of the run.
pub struct Outputs {
    workers: Vec<Worker>,
}

impl std::fmt::Debug for Outputs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let labels: Vec<&str> = self.workers.iter().map(|w| w.label.as_str()).collect();
        f.debug_struct("Outputs").field("outputs", &labels).finish()
    }
}

/// Waits for something, unless a signal came: then at most [`GRACE`] from the first moment
/// the signal is seen (one deadline for everything this `Patience` waits on after it; each
/// phase of the run has its own).
pub struct Patience {
    stop: watch::Receiver<bool>,
    deadline: Option<tokio::time::Instant>,
}

impl Patience {
    /// Patience that ends [`GRACE`] after `stop` turns true.
    pub fn new(stop: watch::Receiver<bool>) -> Patience {
        Patience {
            stop,
            deadline: None,
        }
    }

    /// `fut`'s output, or `None` if the grace period after a signal ran out first.
    pub async fn wait<T>(&mut self, fut: impl Future<Output = T>) -> Option<T> {
        tokio::pin!(fut);
        loop {
            if self.deadline.is_none() && *self.stop.borrow() {
                self.deadline = Some(tokio::time::Instant::now() + GRACE);
            }
            if let Some(d) = self.deadline {
                return tokio::time::timeout_at(d, &mut fut).await.ok();
            }
            tokio::select! {
                v = &mut fut => return Some(v),
                changed = self.stop.changed() => {
                    if changed.is_err() {
                        // Nobody can stop us any more: wait as long as it takes.
                        return Some(fut.await);
                    }
                }
            }
        }
    }
}

fn label(spec: &OutputSpec) -> String {
    match &spec.path {
        None => "stdout".to_string(),
        Some(path) => format!("`{}`", path.display()),
    }
}

/// The writer of one output; runs on the output's thread (creating a FIFO blocks until a
/// reader comes).
fn writer(path: Option<&PathBuf>) -> Result<Box<dyn Write + Send>, String> {
    match path {
        None => Ok(Box::new(LineWriter::new(std::io::stdout()))),
        Some(path) => File::create(path)
            .map(|f| Box::new(BufWriter::new(f)) as Box<dyn Write + Send>)
            .map_err(|e| format!("cannot create output file `{}`: {e}", path.display())),
    }
}

fn describe(label: &str, e: &ReportError) -> String {
    match e {
        ReportError::Io(io) => format!("cannot write output {label}: {io}"),
        ReportError::Format(text) => format!("cannot write output {label}: {text}"),
    }
}

/// One output's thread: open, then write until `Finish` (or until the run lets go of it).
/// After the first failed write nothing more is attempted.
fn work(
    desc: &'static ReporterDescriptor,
    path: Option<PathBuf>,
    options: ReportOptions,
    label: String,
    opened: oneshot::Sender<Result<(), String>>,
    rx: mpsc::Receiver<Msg>,
    done: oneshot::Sender<Option<String>>,
) {
    let out = match writer(path.as_ref()) {
        Ok(out) => {
            let _ = opened.send(Ok(()));
            out
        }
        Err(e) => {
            let _ = opened.send(Err(e));
            return;
        }
    };
    let mut reporter: Box<dyn Reporter> = (desc.constructor)(options, out);
    let mut error: Option<String> = None;
    for msg in rx {
        let finish = matches!(msg, Msg::Finish(_));
        if error.is_none() {
            let result = match &msg {
                Msg::Begin(start) => reporter.begin(start),
                Msg::Host(host) => reporter.host(host),
                Msg::Finish(summary) => reporter.finish(summary),
            };
            if let Err(e) = result {
                error = Some(describe(&label, &e));
            }
        }
        if finish {
            break;
        }
    }
    let _ = done.send(error);
}

impl Outputs {
    /// Starts a thread per output, in the order given; each creates its file. Unknown formats
    /// and directories fail here, files that cannot be created in [`Outputs::opened`].
    pub fn open(specs: &[OutputSpec], options: ReportOptions) -> Result<Outputs> {
        let mut workers = Vec::with_capacity(specs.len());
        for (i, spec) in specs.iter().enumerate() {
            let desc = registry::reporter(&spec.format)?;
            if let Some(path) = &spec.path {
                if path.is_dir() {
                    bail!(
                        "output path `{}` is a directory: give a file name",
                        path.display()
                    );
                }
            }
            let label = label(spec);
            let (tx, rx) = mpsc::channel();
            let (opened_tx, opened_rx) = oneshot::channel();
            let (done_tx, done_rx) = oneshot::channel();
            let path = spec.path.clone();
            let thread_label = label.clone();
            std::thread::Builder::new()
                .name(format!("scanfw-output-{i}"))
                .spawn(move || work(desc, path, options, thread_label, opened_tx, rx, done_tx))
                .map_err(|e| anyhow::anyhow!("cannot start a thread for output {label}: {e}"))?;
            workers.push(Worker {
                label,
                tx,
                opened: Some(opened_rx),
                done: done_rx,
                left_out: false,
            });
        }
        Ok(Outputs { workers })
    }

    /// Waits until every output is created (a FIFO until its reader comes). The first that
    /// cannot be created is the error. After a signal, outputs still not open after the grace
    /// period are given up: their labels are returned.
    pub async fn opened(&mut self, patience: &mut Patience) -> Result<Vec<String>> {
        let mut late = Vec::new();
        for w in &mut self.workers {
            let Some(rx) = w.opened.take() else { continue };
            match patience.wait(rx).await {
                Some(Ok(Ok(()))) => {}
                Some(Ok(Err(e))) => bail!(e),
                Some(Err(_)) => bail!("output {} stopped unexpectedly", w.label),
                None => {
                    w.left_out = true;
                    late.push(w.label.clone());
                }
            }
        }
        Ok(late)
    }

    /// The scan begins.
    pub fn begin(&self, start: ScanStart) {
        let start = Arc::new(start);
        for w in &self.workers {
            let _ = w.tx.send(Msg::Begin(Arc::clone(&start)));
        }
    }

    /// A host to report.
    pub fn host(&self, host: HostResult) {
        let host = Arc::new(host);
        for w in &self.workers {
            let _ = w.tx.send(Msg::Host(Arc::clone(&host)));
        }
    }

    /// Closes every document and waits for the writes to end (after a signal, at most until
    /// the grace period runs out). Outcomes in the order the outputs were given.
    pub async fn finish(
        self,
        summary: ScanSummary,
        patience: &mut Patience,
    ) -> Vec<(String, Outcome)> {
        let summary = Arc::new(summary);
        for w in &self.workers {
            let _ = w.tx.send(Msg::Finish(Arc::clone(&summary)));
        }
        let mut outcomes = Vec::with_capacity(self.workers.len());
        for w in self.workers {
            if w.left_out {
                continue;
            }
            let outcome = match patience.wait(w.done).await {
                Some(Ok(None)) => Outcome::Written,
                Some(Ok(Some(e))) => Outcome::Failed(e),
                // The thread ended without finishing: its file was never created (reported
                // already), or it panicked.
                Some(Err(_)) => Outcome::Failed(format!("output {} was not written", w.label)),
                None => Outcome::Abandoned,
            };
            outcomes.push((w.label, outcome));
        }
        outcomes
    }
}
