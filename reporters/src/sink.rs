//! The buffered output shared by every reporter, and the begin/host/finish order check.

use scanfw_core::ReportError;
use std::io::{BufWriter, Write};

/// Where a reporter is in the begin → host* → finish sequence.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Fresh,
    Open,
    Closed,
}

/// A buffered writer that is flushed after every host and at the end, so a crash between hosts
/// loses at most the host being written.
pub(crate) struct Sink {
    out: BufWriter<Box<dyn Write + Send>>,
    phase: Phase,
}

impl std::fmt::Debug for Sink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sink")
            .field("phase", &self.phase)
            .finish_non_exhaustive()
    }
}

impl Sink {
    pub(crate) fn new(out: Box<dyn Write + Send>) -> Sink {
        Sink {
            out: BufWriter::new(out),
            phase: Phase::Fresh,
        }
    }

    /// Checks that `begin` comes first and only once.
    pub(crate) fn start(&mut self) -> Result<(), ReportError> {
        self.expect(Phase::Fresh, "begin")?;
        self.phase = Phase::Open;
        Ok(())
    }

    /// Checks that a host arrives between `begin` and `finish`.
    pub(crate) fn expect_open(&self) -> Result<(), ReportError> {
        self.expect(Phase::Open, "host")
    }

    /// Checks that `finish` follows `begin`, and marks the document closed.
    pub(crate) fn close(&mut self) -> Result<(), ReportError> {
        self.expect(Phase::Open, "finish")?;
        self.phase = Phase::Closed;
        Ok(())
    }

    fn expect(&self, want: Phase, event: &str) -> Result<(), ReportError> {
        if self.phase == want {
            Ok(())
        } else {
            Err(ReportError::Format(format!(
                "reporter received `{event}` out of order (state {:?})",
                self.phase
            )))
        }
    }

    /// The buffered writer.
    pub(crate) fn out(&mut self) -> &mut BufWriter<Box<dyn Write + Send>> {
        &mut self.out
    }

    /// Pushes everything buffered to the underlying writer.
    pub(crate) fn flush(&mut self) -> Result<(), ReportError> {
        self.out.flush().map_err(ReportError::from)
    }
}
