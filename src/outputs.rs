//! Opens every requested output and builds its reporter. Files are created before the first
//! probe, so a bad path fails the run before anything is sent.

use anyhow::{bail, Context, Result};
use scanfw_config::OutputSpec;
use scanfw_core::{registry, ReportOptions, Reporter};
use std::fs::File;
use std::io::{BufWriter, LineWriter, Write};

/// Reporters for the outputs, in the order given.
pub fn open(specs: &[OutputSpec], options: ReportOptions) -> Result<Vec<Box<dyn Reporter>>> {
    let mut reporters = Vec::with_capacity(specs.len());
    for spec in specs {
        let desc = registry::reporter(&spec.format)?;
        let out: Box<dyn Write + Send> = match &spec.path {
            None => Box::new(LineWriter::new(std::io::stdout())),
            Some(path) => {
                if path.is_dir() {
                    bail!(
                        "output path `{}` is a directory: give a file name",
                        path.display()
                    );
                }
                let file = File::create(path)
                    .with_context(|| format!("cannot create output file `{}`", path.display()))?;
                Box::new(BufWriter::new(file))
            }
        };
        reporters.push((desc.constructor)(options, out));
    }
    Ok(reporters)
}
