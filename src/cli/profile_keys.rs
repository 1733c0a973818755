//! docs/profiles.md's table of command-line options and profile keys agrees with the clap
//! command: every option is in the table (or listed as command-line only, with a reason),
//! every spelling in the table is a real option, every profile example is accepted by the
//! profile parser, and every command-line example gives the same settings as its profile
//! example. So a flag added without a profile key, or a key documented wrongly, fails here.

use super::{normalize, Cli};
use clap::{CommandFactory, Parser};
use scanfw_config::{parse_profile, Known, Layer};
use scanfw_core::registry;
use std::collections::BTreeMap;
use std::path::Path;

const DOC: &str = include_str!("../../docs/profiles.md");
const MAPPING: &str = "## Command-line options and profile keys";
const CLI_ONLY: &str = "### Command-line only";
const COMPLETE: &str = "## A complete profile";

/// The rows of the first table after the line `heading` of `doc`, as cells (header and
/// separator left out).
fn table(doc: &str, heading: &str) -> Vec<Vec<String>> {
    let mut lines = doc.lines().skip_while(|l| l.trim_end() != heading);
    assert!(
        lines.next().is_some(),
        "docs/profiles.md has no `{heading}`"
    );
    let rows: Vec<Vec<String>> = lines
        .skip_while(|l| !l.starts_with('|'))
        .take_while(|l| l.starts_with('|'))
        .skip(2)
        .map(|l| {
            l.trim()
                .trim_matches('|')
                .split('|')
                .map(|c| c.trim().to_string())
                .collect()
        })
        .collect();
    assert!(!rows.is_empty(), "no table after `{heading}`");
    rows
}

/// The `code` spans of a cell.
fn code(cell: &str) -> Vec<&str> {
    cell.split('`').skip(1).step_by(2).collect()
}

/// The reporters' nmap letters, as `normalize` takes them.
fn letters() -> Vec<(char, &'static str, &'static str)> {
    registry::reporters()
        .expect("reporters")
        .iter()
        .filter_map(|d| d.nmap_letter.map(|l| (l, d.name, "out")))
        .collect()
}

/// The clap id of the option a documented spelling names (`--ports SPEC`, `-sS`, `-PS[ports]`,
/// `-oX FILE`, `TARGETS`), through the same rewriting of nmap's forms the binary does.
fn arg_id(cmd: &clap::Command, spelling: &str) -> Option<String> {
    let word = spelling.split_whitespace().next()?;
    let word = word.split('[').next()?;
    if !word.starts_with('-') {
        return cmd
            .get_positionals()
            .find(|a| {
                a.get_value_names()
                    .is_some_and(|n| n.iter().any(|n| n.as_str() == word))
            })
            .map(|a| a.get_id().to_string());
    }
    let argv = normalize(
        vec!["scanfw".into(), word.to_string(), "FILE".into()],
        &letters(),
    )
    .ok()?;
    let flag = argv.get(1)?;
    let found = match flag.strip_prefix("--") {
        Some(long) => {
            let long = long.split('=').next()?;
            cmd.get_arguments().find(|a| a.get_long() == Some(long))
        }
        None => {
            let short = flag.chars().nth(1)?;
            cmd.get_arguments().find(|a| a.get_short() == Some(short))
        }
    };
    found.map(|a| a.get_id().to_string())
}

fn known_names() -> (Vec<String>, Vec<String>, Vec<String>) {
    let techniques = registry::techniques().expect("techniques");
    let reporters = registry::reporters().expect("reporters");
    let discovery = registry::discovery().expect("discovery");
    let mut t: Vec<String> = techniques.iter().map(|d| d.name.to_string()).collect();
    t.extend(
        techniques
            .iter()
            .filter_map(|d| d.nmap_letter.map(String::from)),
    );
    let r: Vec<String> = reporters.iter().map(|d| d.name.to_string()).collect();
    let mut d: Vec<String> = discovery.iter().map(|d| d.name.to_string()).collect();
    d.extend(
        discovery
            .iter()
            .filter_map(|d| d.nmap_letter.map(String::from)),
    );
    (t, r, d)
}

fn parse(text: &str, origin: &Path) -> Result<Layer, String> {
    let (t, r, d) = known_names();
    let t: Vec<&str> = t.iter().map(String::as_str).collect();
    let r: Vec<&str> = r.iter().map(String::as_str).collect();
    let d: Vec<&str> = d.iter().map(String::as_str).collect();
    let known = Known {
        techniques: &t,
        reporters: &r,
        discovery: &d,
    };
    parse_profile(text, origin, &known).map_err(|e| e.to_string())
}

/// A layer with the scopes' origins (which name their file) cleared.
fn without_origins(mut layer: Layer) -> Layer {
    for s in &mut layer.scopes {
        s.origin.clear();
    }
    layer
}

/// What is wrong with `doc`'s two tables as a list of options: an option of the command in
/// neither table or in two rows, a spelling that is no option.
fn option_errors(doc: &str) -> Vec<String> {
    let mut cmd = Cli::command();
    cmd.build();
    let mut rows: BTreeMap<String, String> = BTreeMap::new();
    let mut errors = Vec::new();
    for (heading, row) in table(doc, MAPPING)
        .into_iter()
        .map(|r| (MAPPING, r))
        .chain(table(doc, CLI_ONLY).into_iter().map(|r| (CLI_ONLY, r)))
    {
        let spellings = code(&row[0]);
        if spellings.is_empty() {
            errors.push(format!("{heading}: a row names no option: {row:?}"));
        }
        let mut ids: Vec<String> = Vec::new();
        for s in spellings {
            match arg_id(&cmd, s) {
                Some(id) if !ids.contains(&id) => ids.push(id),
                Some(_) => {}
                None => errors.push(format!("{heading}: `{s}` is not an option of scanfw")),
            }
        }
        for id in ids {
            if let Some(other) = rows.insert(id.clone(), row[0].clone()) {
                errors.push(format!(
                    "option `{id}` is in two rows: {other:?} and {:?}",
                    row[0]
                ));
            }
        }
    }
    for arg in cmd.get_arguments() {
        let id = arg.get_id().to_string();
        if !rows.contains_key(&id) {
            let name = arg
                .get_long()
                .map(|l| format!("--{l}"))
                .or_else(|| arg.get_short().map(|s| format!("-{s}")))
                .unwrap_or_else(|| id.clone());
            errors.push(format!(
                "option {name} is in neither table of docs/profiles.md: give it a profile key (`{MAPPING}`) or say why it has none (`{CLI_ONLY}`)"
            ));
        }
    }
    errors
}

/// What is wrong with the examples of `doc`'s mapping table: a profile example that is
/// refused, sets nothing or sets another key than the row's; a command line that does not use
/// the row's option, is refused, or means something else than the profile example.
fn example_errors(doc: &str) -> Vec<String> {
    let mut cmd = Cli::command();
    cmd.build();
    let dir = tempfile::tempdir().expect("temp dir");
    let mut errors = Vec::new();
    for row in &table(doc, MAPPING) {
        let [options, keys, cli, profile] = &row[..] else {
            errors.push(format!("a row does not have 4 cells: {row:?}"));
            continue;
        };
        let (Some(cli), Some(profile)) =
            (code(cli).first().copied(), code(profile).first().copied())
        else {
            errors.push(format!("{options}: no command-line or profile example"));
            continue;
        };
        let from_profile = match parse(profile, Path::new("profile.toml")) {
            Ok(l) => l,
            Err(e) => {
                errors.push(format!(
                    "{options}: profile example `{profile}` is refused: {e}"
                ));
                continue;
            }
        };
        if from_profile == Layer::default() {
            errors.push(format!(
                "{options}: profile example `{profile}` sets nothing"
            ));
        }
        let key = profile.split('=').next().unwrap_or_default().trim();
        let keys: Vec<&str> = code(keys)
            .into_iter()
            .map(|k| k.trim_matches(|c| c == '[' || c == ']'))
            .collect();
        if !keys.contains(&key) {
            errors.push(format!(
                "{options}: the profile example sets `{key}`, not the row's key {keys:?}"
            ));
        }

        // The command line, with a scope file written from the profile example.
        let scope_file = dir.path().join("scope.toml");
        std::fs::write(&scope_file, profile).expect("write scope file");
        let mut argv = vec!["scanfw".to_string()];
        argv.extend(cli.split_whitespace().map(|w| match w {
            "scope.toml" => scope_file.display().to_string(),
            w => w.to_string(),
        }));
        let first = &argv[1];
        let first_id = if first.starts_with('-') {
            arg_id(&cmd, first)
        } else {
            Some("targets".to_string())
        };
        let row_ids: Vec<Option<String>> =
            code(options).into_iter().map(|s| arg_id(&cmd, s)).collect();
        if first_id.is_none() || !row_ids.contains(&first_id) {
            errors.push(format!(
                "{options}: the command-line example `{cli}` does not use the row's option"
            ));
        }
        let from_cli = normalize(argv, &letters())
            .map_err(|e| e.to_string())
            .and_then(|a| Cli::try_parse_from(a).map_err(|e| e.to_string()))
            .and_then(|c| c.to_layer().map_err(|e| e.to_string()));
        match from_cli {
            Ok(l) if without_origins(l.clone()) == without_origins(from_profile.clone()) => {}
            Ok(l) => errors.push(format!(
                "{options}: `{cli}` and `{profile}` differ:\n  command line {l:?}\n  profile      {from_profile:?}"
            )),
            Err(e) => errors.push(format!("{options}: `{cli}` is refused: {e}")),
        }
    }
    errors
}

/// Every option of the command is in exactly one row of the two tables, and every spelling
/// of every row is an option.
#[test]
fn every_option_is_documented_once() {
    let errors = option_errors(DOC);
    assert!(errors.is_empty(), "{}", errors.join("\n"));
}

/// Each row's profile example is accepted, sets something, sets the row's key, and means
/// what the row's command line means.
#[test]
fn every_profile_example_parses_and_matches_its_command_line() {
    assert!(
        table(DOC, MAPPING).len() >= 35,
        "the mapping table lost rows"
    );
    let errors = example_errors(DOC);
    assert!(errors.is_empty(), "{}", errors.join("\n"));
}

/// `doc` with `from` replaced by `to` (which must occur once).
fn edited(from: &str, to: &str) -> String {
    assert_eq!(DOC.matches(from).count(), 1, "`{from}` must occur once");
    DOC.replace(from, to)
}

/// The checks find what they are for: an option left out, one documented twice, a spelling
/// that is no option, a profile example with a wrong value or key.
#[test]
fn the_checks_catch_mistakes() {
    let seed_row = "| `--seed N` | `seed` | `--seed 42` | `seed = 42` |\n";
    let errors = option_errors(&edited(seed_row, ""));
    assert!(
        errors
            .iter()
            .any(|e| e.contains("option --seed is in neither table")),
        "{errors:?}"
    );
    let errors = option_errors(&edited(seed_row, &format!("{seed_row}{seed_row}")));
    assert!(
        errors.iter().any(|e| e.contains("in two rows")),
        "{errors:?}"
    );
    let errors = option_errors(&edited(
        "| `--open` | `open`",
        "| `--open`, `--opne` | `open`",
    ));
    assert!(
        errors
            .iter()
            .any(|e| e.contains("`--opne` is not an option")),
        "{errors:?}"
    );
    let errors = example_errors(&edited("`fallback = false` |", "`fallback = true` |"));
    assert!(
        errors
            .iter()
            .any(|e| e.starts_with("`--no-fallback`: `--no-fallback` and")),
        "{errors:?}"
    );
    let errors = example_errors(&edited("`seed = 42` |", "`sed = 42` |"));
    assert!(
        errors.iter().any(|e| e.contains("unknown key `sed`")),
        "{errors:?}"
    );
    let errors = example_errors(&edited(
        "| `--reason` | `reason` | `--reason` |",
        "| `--reason` | `reason` | `--open` |",
    ));
    assert!(
        errors
            .iter()
            .any(|e| e.contains("does not use the row's option")),
        "{errors:?}"
    );
}

/// The complete profile in the documentation is one the parser accepts.
#[test]
fn the_complete_profile_parses() {
    let text: String = DOC
        .lines()
        .skip_while(|l| l.trim_end() != COMPLETE)
        .skip_while(|l| !l.starts_with("```toml"))
        .skip(1)
        .take_while(|l| !l.starts_with("```"))
        .map(|l| format!("{l}\n"))
        .collect();
    assert!(text.contains("seed = "), "no complete profile found");
    let layer = parse(&text, Path::new("/etc/scanfw/audit.toml"))
        .unwrap_or_else(|e| panic!("the complete profile is refused: {e}"));
    assert_eq!(layer.seed, Some(42));
    assert_eq!(layer.fallback, Some(false));
    assert!(layer.baseline.is_some() && layer.source_ip.is_some());
}
