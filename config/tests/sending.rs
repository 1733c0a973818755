//! The profile keys of the former command-line-only options: `seed`, `source_ip`,
//! `scanflags`, `defeat_icmp_ratelimit`, `fallback`, `privileges` and `baseline` — their
//! forms, their located errors, their defaults and their way into the resolved config.

use scanfw_config::{defaults, parse_profile, resolve, Known, Layer, PrivilegeMode};
use std::path::{Path, PathBuf};

const KNOWN: Known<'static> = Known {
    techniques: &["connect", "syn"],
    reporters: &["table"],
    discovery: &["icmp-echo"],
};

fn parse(text: &str) -> Layer {
    parse_profile(text, Path::new("/etc/scanfw/audit.toml"), &KNOWN)
        .unwrap_or_else(|e| panic!("profile should parse: {e}\n{text}"))
}

fn error(text: &str) -> String {
    match parse_profile(text, Path::new("audit.toml"), &KNOWN) {
        Ok(l) => panic!("profile should be rejected, got {l:?}\n{text}"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn seed_forms() {
    assert_eq!(parse("seed = 0").seed, Some(0));
    assert_eq!(
        parse("seed = 9223372036854775807").seed,
        Some(i64::MAX as u64)
    );
    assert_eq!(
        parse("seed = \"18446744073709551615\"").seed,
        Some(u64::MAX),
        "seeds above TOML's integers as a decimal string"
    );
}

#[test]
fn scanflags_forms() {
    for (text, flags) in [
        ("\"SYNFIN\"", 0x03),
        ("\"urgpshfin\"", 0x29),
        ("9", 0x09),
        ("\"0x29\"", 0x29),
        ("\"ECECWR\"", 0xc0),
    ] {
        assert_eq!(
            parse(&format!("scanflags = {text}")).scanflags,
            Some(flags),
            "{text}"
        );
    }
}

#[test]
fn privilege_words() {
    for (word, mode) in [
        ("auto", PrivilegeMode::Auto),
        ("privileged", PrivilegeMode::Privileged),
        ("unprivileged", PrivilegeMode::Unprivileged),
    ] {
        let l = parse(&format!("privileges = \"{word}\""));
        assert_eq!(l.privileges, Some(mode), "{word}");
    }
}

#[test]
fn booleans_and_lists() {
    let l = parse("defeat_icmp_ratelimit = false\nfallback = true");
    assert_eq!(
        (l.defeat_icmp_ratelimit, l.fallback),
        (Some(false), Some(true))
    );
    assert_eq!(parse("source_ip = []").source_ip, Some(Vec::new()));
}

#[test]
fn baseline_follows_the_profile() {
    assert_eq!(
        parse("baseline = \"last.json\"").baseline,
        Some(PathBuf::from("/etc/scanfw/last.json"))
    );
    assert_eq!(
        parse("baseline = \"/var/lib/scanfw/last.xml\"").baseline,
        Some(PathBuf::from("/var/lib/scanfw/last.xml"))
    );
}

/// Each bad value with the exact start of its message, `FILE:LINE:COLUMN: message`.
#[test]
fn bad_values_are_located() {
    let cases: &[(&str, &str)] = &[
        (
            "seed = -1",
            "audit.toml:1:8: invalid value for `seed`: -1 is out of range (expected 0 to 18446744073709551615)",
        ),
        (
            "seed = \"18446744073709551616\"",
            "audit.toml:1:8: invalid value for `seed`: 18446744073709551616 is out of range",
        ),
        (
            "seed = 1.5",
            "audit.toml:1:8: invalid value for `seed`: expected a non-negative integer (or a decimal string for seeds above 2^63-1), found float `1.5`",
        ),
        (
            "seed = \"x\"",
            "audit.toml:1:8: invalid value for `seed`: expected a non-negative integer",
        ),
        (
            "\nscanflags = \"SYNX\"",
            "audit.toml:2:13: invalid value for `scanflags`: `SYNX`: use flag names such as SYNFIN or URGPSHFIN, or a number 0-255",
        ),
        (
            "scanflags = 256",
            "audit.toml:1:13: invalid value for `scanflags`: `256`: use flag names",
        ),
        (
            "scanflags = true",
            "audit.toml:1:13: invalid value for `scanflags`: expected TCP flag names such as \"SYNFIN\", or a number 0-255, found boolean `true`",
        ),
        (
            "source_ip = [\"198.18.0.1\", \"nonsense\"]",
            "audit.toml:1:28: invalid value for `source_ip`: `nonsense` is not an IP address or CIDR block",
        ),
        (
            "source_ip = [\"0.0.0.0\"]",
            "audit.toml:1:14: invalid value for `source_ip`: `0.0.0.0` is the unspecified address",
        ),
        (
            "source_ip = [\"198.18.0.0/16\"]",
            "audit.toml:1:14: invalid value for `source_ip`: `198.18.0.0/16` holds more than 256 addresses (use a /24 or longer)",
        ),
        (
            "source_ip = [\"fd00::/64\"]",
            "audit.toml:1:14: invalid value for `source_ip`: `fd00::/64` holds more than 256 addresses (use a /120 or longer)",
        ),
        (
            "source_ip = [\"198.18.0.1,198.18.0.2\"]",
            "audit.toml:1:14: invalid value for `source_ip`: `198.18.0.1,198.18.0.2` is not an IP address",
        ),
        (
            "source_ip = \"198.18.0.1\"",
            "audit.toml:1:13: invalid value for `source_ip`: expected an array of strings",
        ),
        (
            "defeat_icmp_ratelimit = \"yes\"",
            "audit.toml:1:25: invalid value for `defeat_icmp_ratelimit`: expected true or false",
        ),
        (
            "fallback = 0",
            "audit.toml:1:12: invalid value for `fallback`: expected true or false, found integer `0`",
        ),
        (
            "privileges = \"root\"",
            "audit.toml:1:14: invalid value for `privileges`: expected \"auto\", \"privileged\" (as --privileged) or \"unprivileged\" (as --unprivileged), found string `\"root\"`",
        ),
        (
            "baseline = \" \"",
            "audit.toml:1:12: invalid value for `baseline`: the path is empty",
        ),
        (
            "baseline = [\"a.json\"]",
            "audit.toml:1:12: invalid value for `baseline`: expected a string, found an array",
        ),
        (
            "no_fallback = true",
            "audit.toml:1:1: unknown key `no_fallback` (expected one of: ",
        ),
        (
            "[timing]\nseed = 1",
            "audit.toml:2:1: unknown key `timing.seed`",
        ),
    ];
    for (text, prefix) in cases {
        let e = error(text);
        assert!(
            e.starts_with(prefix),
            "profile:\n{text}\nexpected prefix: {prefix}\n             got: {e}"
        );
    }
}

#[test]
fn defaults_reach_the_config() {
    let targets = Layer {
        targets: Some(vec!["127.0.0.1".into()]),
        ..Layer::default()
    };
    let c = resolve(targets.over(defaults())).expect("valid");
    assert_eq!(c.seed, None, "a random seed per run");
    assert!(c.source_ip.is_empty(), "the routing table's source");
    assert_eq!(c.scanflags, None);
    assert!(!c.defeat_icmp_ratelimit);
    assert!(c.fallback, "fallback to connect by default, as nmap");
    assert_eq!(c.privileges, PrivilegeMode::Auto);
    assert_eq!(c.baseline, None);
}

#[test]
fn profile_values_reach_the_config_under_the_command_line() {
    let profile = parse(
        "targets = [\"127.0.0.1\"]\nseed = 42\nsource_ip = [\"127.0.0.1\"]\nscanflags = \"SYN\"\ndefeat_icmp_ratelimit = true\nfallback = false\nprivileges = \"unprivileged\"\nbaseline = \"b.json\"",
    );
    let c = resolve(profile.clone().over(defaults())).expect("valid");
    assert_eq!(c.seed, Some(42));
    assert_eq!(c.source_ip, vec!["127.0.0.1".to_string()]);
    assert_eq!(c.scanflags, Some(0x02));
    assert!(c.defeat_icmp_ratelimit);
    assert!(!c.fallback);
    assert_eq!(c.privileges, PrivilegeMode::Unprivileged);
    assert_eq!(c.baseline, Some(PathBuf::from("/etc/scanfw/b.json")));

    let cli = Layer {
        seed: Some(7),
        privileges: Some(PrivilegeMode::Privileged),
        ..Layer::default()
    };
    let c = resolve(cli.over(profile.over(defaults()))).expect("valid");
    assert_eq!(c.seed, Some(7), "--seed over the profile's seed");
    assert_eq!(c.privileges, PrivilegeMode::Privileged, "--privileged wins");
    assert!(!c.fallback, "the profile's fallback kept");
}
