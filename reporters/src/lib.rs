//! # scanfw-reporters
//!
//! Reporter plugins: `table` (nmap-like normal output), `json`, `xml` (nmap-compatible) and
//! `junit` (the audit's findings as JUnit XML, for CI).
//!
//! Each reporter lives in its own module and registers itself with
//! [`inventory::submit!`]; link this crate (`use scanfw_reporters as _;`) to make them available
//! through [`scanfw_core::registry`]. `table`, `json` and `xml` stream: the head is written by
//! `begin`, each host as it completes, and `finish` closes the document (also after an
//! interruption) and flushes; `junit` writes everything in `finish`, when the verdict is known.
//! The formats are described in `docs/output-formats.md`.

mod fold;
mod json;
mod junit;
mod mac;
mod sink;
mod table;
mod timefmt;
mod xml;

pub use json::JsonReporter;
pub use junit::JunitReporter;
pub use table::TableReporter;
pub use xml::XmlReporter;

/// Threshold above which a non-open state is folded into a "Not shown" line / `<extraports>`.
pub const FOLD_THRESHOLD: usize = fold::FOLD_THRESHOLD;

#[cfg(test)]
mod audit_fixtures;
#[cfg(test)]
mod audit_tests;
#[cfg(test)]
mod fixtures;
#[cfg(test)]
mod json_schema_tests;
#[cfg(test)]
mod xml_tool_tests;

#[cfg(test)]
mod registry_tests {
    use scanfw_core::registry;

    #[test]
    fn the_three_reporters_are_registered_by_name_and_nmap_letter() {
        let names: Vec<&str> = registry::reporters()
            .expect("no duplicate reporter names")
            .iter()
            .map(|d| d.name)
            .collect();
        for (name, letter) in [("table", "N"), ("json", "J"), ("xml", "X")] {
            assert!(names.contains(&name), "{name} missing from {names:?}");
            assert_eq!(registry::reporter(letter).map(|d| d.name), Ok(name));
            assert_eq!(
                registry::reporter(name).map(|d| d.nmap_letter),
                Ok(Some(letter.chars().next().unwrap_or_default()))
            );
        }
    }
}
