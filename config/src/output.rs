//! Output specifications: `FORMAT` or `FORMAT=PATH`.

use crate::error::ConfigError;
use std::path::{Component, Path, PathBuf};

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
            Some(p) if p.trim().is_empty() => {
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

/// Checks a list of outputs: at most one to standard output, no file twice. Two paths are the
/// same file when they are equal after making them absolute and resolving `.` and `..`, when
/// their existing directories (or the files themselves) canonicalize to the same path (symbolic
/// links), or when both files exist and are one inode (hard links).
pub(crate) fn check_outputs(outputs: &[OutputSpec]) -> Result<(), ConfigError> {
    let keys: Vec<Option<FileKey>> = outputs
        .iter()
        .map(|o| o.path.as_deref().map(FileKey::of))
        .collect();
    for (i, o) in outputs.iter().enumerate() {
        for (j, earlier) in outputs[..i].iter().enumerate() {
            match (&earlier.path, &o.path, &keys[j], &keys[i]) {
                (None, None, _, _) => {
                    return Err(ConfigError::StdoutTwice {
                        first: earlier.format.clone(),
                        second: o.format.clone(),
                    })
                }
                (Some(a), Some(b), Some(ka), Some(kb)) if a == b || ka.same(kb) => {
                    return Err(ConfigError::SamePath {
                        path: b.display().to_string(),
                        first: a.display().to_string(),
                    })
                }
                _ => {}
            }
        }
    }
    Ok(())
}

/// What identifies the file a path names.
#[derive(Debug)]
struct FileKey {
    /// Absolute, `.` and `..` resolved lexically.
    lexical: PathBuf,
    /// Canonical: the file's own canonical path if it exists, else its directory's joined with
    /// its name (when the directory exists).
    canonical: Option<PathBuf>,
    /// Device and inode, if the file exists.
    inode: Option<(u64, u64)>,
}

impl FileKey {
    fn of(path: &Path) -> FileKey {
        let absolute = if path.is_absolute() {
            path.to_path_buf()
        } else {
            std::env::current_dir()
                .map(|d| d.join(path))
                .unwrap_or_else(|_| path.to_path_buf())
        };
        let lexical = lexical(&absolute);
        let canonical = std::fs::canonicalize(&lexical).ok().or_else(|| {
            let name = lexical.file_name()?;
            Some(std::fs::canonicalize(lexical.parent()?).ok()?.join(name))
        });
        let inode = inode(&lexical);
        FileKey {
            lexical,
            canonical,
            inode,
        }
    }

    fn same(&self, other: &FileKey) -> bool {
        self.lexical == other.lexical
            || self.canonical.is_some() && self.canonical == other.canonical
            || self.inode.is_some() && self.inode == other.inode
    }
}

#[cfg(unix)]
fn inode(path: &Path) -> Option<(u64, u64)> {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata(path).ok().map(|m| (m.dev(), m.ino()))
}

#[cfg(not(unix))]
fn inode(_path: &Path) -> Option<(u64, u64)> {
    None
}

/// `.` removed and `..` applied to the part before it, without looking at the file system.
fn lexical(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                if !out.pop() {
                    out.push(c);
                }
            }
            other => out.push(other),
        }
    }
    out
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
        for bad in ["", "=x.json", "json=", "=", "json=  ", "xml=\t"] {
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

    #[test]
    fn paths_are_compared_as_files() {
        let p = |s: &str| OutputSpec::parse(s).expect("ok");
        for (a, b) in [
            ("json=same.out", "xml=./same.out"),
            ("json=d/../same.out", "xml=same.out"),
            ("json=./d/./x", "xml=d//x"),
        ] {
            let e = check_outputs(&[p(a), p(b)]).expect_err(b);
            assert!(
                e.to_string()
                    .starts_with("two outputs write to the same file `"),
                "{e}"
            );
        }
        let e = check_outputs(&[p("json=same.out"), p("xml=./same.out")]).expect_err("same");
        assert_eq!(
            e.to_string(),
            "two outputs write to the same file `./same.out` (also given as `same.out`)"
        );
        let cwd = std::env::current_dir().expect("cwd");
        let abs = format!("xml={}", cwd.join("same.out").display());
        assert!(check_outputs(&[p("json=same.out"), p(&abs)]).is_err());
        assert!(check_outputs(&[p("json=a/x"), p("xml=b/x"), p("table=x")]).is_ok());

        // Links to an existing file, and a link to a directory.
        let dir = std::env::temp_dir().join(format!("scanfw-outputs-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("real")).expect("temp dir");
        let file = dir.join("real/file.out");
        std::fs::write(&file, "").expect("file");
        let sym = dir.join("sym.out");
        let hard = dir.join("hard.out");
        let dirlink = dir.join("dirlink");
        let _ = std::fs::remove_file(&sym);
        let _ = std::fs::remove_file(&hard);
        let _ = std::fs::remove_file(&dirlink);
        std::os::unix::fs::symlink(&file, &sym).expect("symlink");
        std::fs::hard_link(&file, &hard).expect("hard link");
        std::os::unix::fs::symlink(dir.join("real"), &dirlink).expect("dir symlink");
        let at = |f: &str, path: &Path| p(&format!("{f}={}", path.display()));
        for other in [&sym, &hard, &dirlink.join("file.out")] {
            assert!(
                check_outputs(&[at("json", &file), at("xml", other)]).is_err(),
                "{}",
                other.display()
            );
        }
        // Not existing yet, through a directory link.
        assert!(check_outputs(&[
            at("json", &dir.join("real/new.out")),
            at("xml", &dirlink.join("new.out"))
        ])
        .is_err());
        assert!(
            check_outputs(&[at("json", &file), at("xml", &dir.join("real/other.out"))]).is_ok()
        );
        for f in [&sym, &hard, &dirlink, &file] {
            let _ = std::fs::remove_file(f);
        }
        let _ = std::fs::remove_dir(dir.join("real"));
        let _ = std::fs::remove_dir(&dir);
    }
}
