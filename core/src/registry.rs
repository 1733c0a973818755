//! The plugin registry.
//!
//! Technique and reporter crates register `const` descriptors with [`inventory::submit!`]; the
//! binary looks them up by name at run time. Registration happens at link time, so a plugin crate
//! must be linked: the binary and every integration test name each plugin crate
//! (`use scanfw_techniques as _;`). Names must be unique: [`techniques`] and [`reporters`] reject
//! duplicates, which the binary checks at start-up.

use crate::discovery::DiscoveryTechnique;
use crate::reporter::{ReportOptions, Reporter};
use crate::technique::ScanTechnique;
use std::fmt;
use std::io::Write;
use thiserror::Error;

/// A technique plugin's registration.
pub struct TechniqueDescriptor {
    /// Registry name used by `-s NAME` and profiles.
    pub name: &'static str,
    /// nmap's `-sX` letter for this technique, if it has one.
    pub nmap_letter: Option<char>,
    /// One-line summary for `--list-techniques`.
    pub summary: &'static str,
    /// Whether it needs raw-socket privileges (CAP_NET_RAW).
    pub needs_privilege: bool,
    /// The unprivileged technique used instead when privileges are missing (SYN falls back to
    /// connect, as in nmap); `None` means the scan is refused.
    pub fallback: Option<&'static str>,
    /// Creates the technique with the user's options, or says why they do not apply.
    pub constructor: fn(&TechniqueOptions) -> Result<Box<dyn ScanTechnique>, String>,
}

/// Options a technique may be built with.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TechniqueOptions {
    /// Custom TCP flags for the probes (nmap's `--scanflags`); the technique keeps its own
    /// reading of the replies.
    pub tcp_flags: Option<u8>,
}

impl TechniqueOptions {
    /// For techniques that take no options: an error naming what does not apply.
    pub fn plain(&self, technique: &str) -> Result<(), String> {
        match self.tcp_flags {
            Some(_) => Err(format!(
                "--scanflags does not apply to the {technique} technique: use it with -sS, -sF, -sN, -sX, -sA, -sW or -sM"
            )),
            None => Ok(()),
        }
    }

    /// Parses nmap's `--scanflags` value: flag names in any order (`URGACKPSHRSTSYNFIN`, also
    /// `ECE` and `CWR`) or a number 0-255 (decimal, or hexadecimal with `0x`).
    pub fn parse_scanflags(s: &str) -> Result<u8, String> {
        let t = s.trim();
        let bad = || {
            format!("invalid --scanflags `{s}`: use flag names such as SYNFIN or URGPSHFIN, or a number 0-255")
        };
        if let Some(hex) = t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")) {
            return u8::from_str_radix(hex, 16).map_err(|_| bad());
        }
        if !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit()) {
            return t.parse::<u8>().map_err(|_| bad());
        }
        let names = [
            ("FIN", 0x01),
            ("SYN", 0x02),
            ("RST", 0x04),
            ("PSH", 0x08),
            ("ACK", 0x10),
            ("URG", 0x20),
            ("ECE", 0x40),
            ("CWR", 0x80),
        ];
        let upper = t.to_ascii_uppercase();
        if upper.is_empty() || upper.len() % 3 != 0 {
            return Err(bad());
        }
        let mut flags = 0u8;
        for chunk in upper.as_bytes().chunks(3) {
            let name = std::str::from_utf8(chunk).map_err(|_| bad())?;
            let bit = names
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, b)| *b)
                .ok_or_else(bad)?;
            flags |= bit;
        }
        Ok(flags)
    }
}

/// A reporter plugin's registration.
pub struct ReporterDescriptor {
    /// Registry name used by `-o NAME[=PATH]` and profiles.
    pub name: &'static str,
    /// nmap's `-oX` letter for this format, if it has one.
    pub nmap_letter: Option<char>,
    /// One-line summary for `--list-reporters`.
    pub summary: &'static str,
    /// Creates the reporter writing to `out`.
    pub constructor: fn(ReportOptions, Box<dyn Write + Send>) -> Box<dyn Reporter>,
}

/// Builds a discovery plugin for a port list (empty for its defaults), or says why not.
pub type DiscoveryConstructor = fn(&[u16]) -> Result<Box<dyn DiscoveryTechnique>, String>;

/// A host-discovery plugin's registration.
pub struct DiscoveryDescriptor {
    /// Registry name used by profiles (`discovery = ["icmp-echo", "tcp-syn:443"]`).
    pub name: &'static str,
    /// nmap's `-P` flag letter (`E` for `-PE`, `S` for `-PS`, `R` for `-PR`), if any.
    pub nmap_letter: Option<char>,
    /// One-line summary for `--list-discovery`.
    pub summary: &'static str,
    /// Whether it needs raw-socket privileges (CAP_NET_RAW).
    pub needs_privilege: bool,
    /// Whether it takes a port list (`-PS22,80`), and the ports used without one.
    pub default_ports: Option<&'static [u16]>,
    /// Creates the plugin for these ports (empty for port-less methods), or says why not.
    pub constructor: DiscoveryConstructor,
}

inventory::collect!(TechniqueDescriptor);
inventory::collect!(ReporterDescriptor);
inventory::collect!(DiscoveryDescriptor);

impl fmt::Debug for DiscoveryDescriptor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DiscoveryDescriptor")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

/// Every linked discovery plugin, sorted by name; an error if two share a name.
pub fn discovery() -> Result<Vec<&'static DiscoveryDescriptor>, RegistryError> {
    sorted(
        inventory::iter::<DiscoveryDescriptor>.into_iter().collect(),
        |d| d.name,
        "discovery",
    )
}

/// The discovery plugin called `name`, or the one with nmap letter `name` (`-PE` is `E`).
pub fn discovery_method(name: &str) -> Result<&'static DiscoveryDescriptor, RegistryError> {
    find(
        discovery()?,
        name,
        |d| (d.name, d.nmap_letter),
        "discovery method",
    )
}

impl fmt::Debug for TechniqueDescriptor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TechniqueDescriptor")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

impl fmt::Debug for ReporterDescriptor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ReporterDescriptor")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

/// A registry problem.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum RegistryError {
    /// Two plugins registered the same name.
    #[error("two {kind} plugins are registered as `{name}`: rename one of them")]
    Duplicate {
        /// `technique` or `reporter`.
        kind: &'static str,
        /// The name.
        name: &'static str,
    },
    /// No plugin of that name.
    #[error("unknown {kind} `{name}`; available: {available}")]
    Unknown {
        /// `technique` or `reporter`.
        kind: &'static str,
        /// The name asked for.
        name: String,
        /// The registered names.
        available: String,
    },
}

fn sorted<T>(
    items: Vec<&'static T>,
    name: fn(&T) -> &'static str,
    kind: &'static str,
) -> Result<Vec<&'static T>, RegistryError> {
    let mut items = items;
    items.sort_by_key(|d| name(d));
    for pair in items.windows(2) {
        if name(pair[0]) == name(pair[1]) {
            return Err(RegistryError::Duplicate {
                kind,
                name: name(pair[0]),
            });
        }
    }
    Ok(items)
}

/// Every linked technique, sorted by name; an error if two share a name.
pub fn techniques() -> Result<Vec<&'static TechniqueDescriptor>, RegistryError> {
    sorted(
        inventory::iter::<TechniqueDescriptor>.into_iter().collect(),
        |d| d.name,
        "technique",
    )
}

/// Every linked reporter, sorted by name; an error if two share a name.
pub fn reporters() -> Result<Vec<&'static ReporterDescriptor>, RegistryError> {
    sorted(
        inventory::iter::<ReporterDescriptor>.into_iter().collect(),
        |d| d.name,
        "reporter",
    )
}

/// The technique called `name`, or the one with nmap letter `name` when it is one character.
pub fn technique(name: &str) -> Result<&'static TechniqueDescriptor, RegistryError> {
    find(
        techniques()?,
        name,
        |d| (d.name, d.nmap_letter),
        "technique",
    )
}

/// The reporter called `name`, or the one with nmap letter `name` when it is one character.
pub fn reporter(name: &str) -> Result<&'static ReporterDescriptor, RegistryError> {
    find(reporters()?, name, |d| (d.name, d.nmap_letter), "reporter")
}

fn find<T>(
    all: Vec<&'static T>,
    name: &str,
    key: fn(&T) -> (&'static str, Option<char>),
    kind: &'static str,
) -> Result<&'static T, RegistryError> {
    let letter = if name.chars().count() == 1 {
        name.chars().next()
    } else {
        None
    };
    let found = all.iter().copied().find(|d| {
        let (n, l) = key(d);
        n.eq_ignore_ascii_case(name) || (letter.is_some() && l == letter)
    });
    found.ok_or_else(|| RegistryError::Unknown {
        kind,
        name: name.to_string(),
        available: all.iter().map(|d| key(d).0).collect::<Vec<_>>().join(", "),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    struct D(&'static str);

    #[test]
    fn scanflags_parse_like_nmap() {
        assert_eq!(
            TechniqueOptions::parse_scanflags("URGACKPSHRSTSYNFIN"),
            Ok(0x3f)
        );
        assert_eq!(TechniqueOptions::parse_scanflags("synfin"), Ok(0x03));
        assert_eq!(TechniqueOptions::parse_scanflags("9"), Ok(0x09));
        assert_eq!(TechniqueOptions::parse_scanflags("0x29"), Ok(0x29));
        assert_eq!(TechniqueOptions::parse_scanflags("ECECWR"), Ok(0xc0));
        for bad in ["", "SYNX", "SY", "256", "0xzz", "FOO"] {
            assert!(TechniqueOptions::parse_scanflags(bad).is_err(), "{bad}");
        }
        assert!(TechniqueOptions { tcp_flags: Some(2) }
            .plain("udp")
            .is_err());
        assert!(TechniqueOptions::default().plain("udp").is_ok());
    }

    #[test]
    fn duplicates_are_rejected_and_order_is_by_name() {
        static A: D = D("b");
        static B: D = D("a");
        static C: D = D("b");
        let ok = sorted(vec![&A, &B], |d| d.0, "technique").expect("unique");
        assert_eq!(ok.iter().map(|d| d.0).collect::<Vec<_>>(), ["a", "b"]);
        assert_eq!(
            sorted(vec![&A, &B, &C], |d| d.0, "technique").err(),
            Some(RegistryError::Duplicate {
                kind: "technique",
                name: "b"
            })
        );
    }
}
