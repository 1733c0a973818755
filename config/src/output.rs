//! Output specifications: `FORMAT` or `FORMAT=PATH`.

use crate::error::ConfigError;
use std::path::PathBuf;

/// One output: a reporter format and where it writes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutputSpec {
    /// Reporter name, e.g. `table`, `json`, `xml`.
    pub format: String,
    /// File to write; `None` is standard output.
    pub path: Option<PathBuf>,
}

impl OutputSpec {
    /// An output to standard output.
    pub fn stdout(format: impl Into<String>) -> OutputSpec {
        OutputSpec {
            format: format.into(),
            path: None,
        }
    }

    /// Parses `table`, `json=scan.json` or `xml=-` (`-` is standard output). The format is not
    /// checked against the known reporters here.
    pub fn parse(s: &str) -> Result<OutputSpec, ConfigError> {
        let bad = |reason: &str| ConfigError::Output {
            spec: s.to_string(),
            reason: reason.to_string(),
        };
        let (format, path) = match s.split_once('=') {
            None => (s, None),
            Some((f, p)) => (f, Some(p)),
        };
        let format = format.trim();
        if format.is_empty() {
            return Err(bad(
                "the format is empty (use FORMAT or FORMAT=PATH, e.g. json=scan.json)",
            ));
        }
        let path = match path {
            None | Some("-") => None,
            Some("") => {
                return Err(bad(
                    "the path after `=` is empty (give a file, or - for standard output)",
                ))
            }
            Some(p) => Some(PathBuf::from(p)),
        };
        Ok(OutputSpec {
            format: format.to_string(),
            path,
        })
    }

    /// Whether this output writes to standard output.
    pub fn is_stdout(&self) -> bool {
        self.path.is_none()
    }
}

/// Checks a list of outputs: at most one to standard output, no file twice.
pub(crate) fn check_outputs(outputs: &[OutputSpec]) -> Result<(), ConfigError> {
    for (i, o) in outputs.iter().enumerate() {
        for earlier in &outputs[..i] {
            match (&earlier.path, &o.path) {
                (None, None) => {
                    return Err(ConfigError::StdoutTwice {
                        first: earlier.format.clone(),
                        second: o.format.clone(),
                    })
                }
                (Some(a), Some(b)) if a == b => {
                    return Err(ConfigError::SamePath {
                        path: b.display().to_string(),
                    })
                }
                _ => {}
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_forms() {
        assert_eq!(
            OutputSpec::parse("table").expect("ok"),
            OutputSpec::stdout("table")
        );
        assert_eq!(
            OutputSpec::parse("json=scan.json").expect("ok"),
            OutputSpec {
                format: "json".into(),
                path: Some("scan.json".into())
            }
        );
        assert_eq!(
            OutputSpec::parse("xml=-").expect("ok"),
            OutputSpec::stdout("xml")
        );
        assert_eq!(
            OutputSpec::parse("xml=a=b").expect("ok").path,
            Some(PathBuf::from("a=b"))
        );
    }

    #[test]
    fn rejects_empty_parts() {
        for bad in ["", "=x.json", "json=", "="] {
            let e = OutputSpec::parse(bad).expect_err(bad).to_string();
            assert!(e.starts_with(&format!("invalid output `{bad}`: ")), "{e}");
        }
    }

    #[test]
    fn checks_stdout_and_paths() {
        let p = |s| OutputSpec::parse(s).expect("ok");
        assert!(check_outputs(&[p("table"), p("json=a"), p("xml=b")]).is_ok());
        let e = check_outputs(&[p("table"), p("xml=-")]).expect_err("two stdout");
        assert!(e
            .to_string()
            .starts_with("only one output can go to standard output"));
        let e = check_outputs(&[p("json=a"), p("xml=a")]).expect_err("same path");
        assert_eq!(e.to_string(), "two outputs write to the same file `a`");
    }
}
