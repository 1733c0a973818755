//! `[groups]` and `[[expect]]`: rules as parsed, and every refusal located at file:line:column.

use scanfw_config::{defaults, parse_profile, resolve, Known, Layer};
use scanfw_core::audit::ExpectRule;
use scanfw_core::PortSpec;
use std::net::IpAddr;
use std::path::Path;

const KNOWN: Known<'static> = Known {
    techniques: &["connect"],
    reporters: &["table", "json", "xml", "junit"],
    discovery: &["icmp-echo"],
};

fn parse(text: &str) -> Layer {
    parse_profile(text, Path::new("audit.toml"), &KNOWN)
        .unwrap_or_else(|e| panic!("profile should parse: {e}\n{text}"))
}

fn rules(text: &str) -> Vec<ExpectRule> {
    parse(text).expect.expect("rules")
}

fn error(text: &str) -> String {
    match parse_profile(text, Path::new("audit.toml"), &KNOWN) {
        Ok(l) => panic!("profile should be rejected, got {:?}\n{text}", l.expect),
        Err(e) => e.to_string(),
    }
}

fn ip(s: &str) -> IpAddr {
    s.parse().expect("test address")
}

const ISSUE_EXAMPLE: &str = r#"targets = ["198.18.0.0/24"]

[groups]
web = ["198.18.0.2", "198.18.0.8/29"]
db = ["fd00::5"]

[[expect]]
hosts = "web"              # a group name, an address or a block
open = "T:22,80,443"       # must be open
allowed = "T:8080,U:53"    # may be open; everything else must not be

[[expect]]
hosts = "198.18.0.100"
up = false

[[expect]]
hosts = "198.18.0.0/24"
allowed = ""
up = true
"#;

#[test]
fn groups_and_rules_parse() {
    let r = rules(ISSUE_EXAMPLE);
    assert_eq!(r.len(), 3);

    assert_eq!(r[0].name, "expect[1] web");
    assert_eq!(r[0].origin, "audit.toml:7:1");
    let hosts: Vec<String> = r[0].hosts.iter().map(ToString::to_string).collect();
    assert_eq!(hosts, ["198.18.0.2", "198.18.0.8/29"]);
    assert!(r[0].matches(ip("198.18.0.12")) && !r[0].matches(ip("198.18.0.3")));
    assert_eq!(
        r[0].open,
        Some(PortSpec::parse("T:22,80,443").expect("ports"))
    );
    assert_eq!(
        r[0].allowed,
        Some(PortSpec::parse("T:8080,U:53").expect("ports"))
    );
    assert_eq!(r[0].up, None);
    assert_eq!(r[0].must_be_up(), Some(true), "open ports imply up");

    assert_eq!(r[1].name, "expect[2] 198.18.0.100");
    assert_eq!(r[1].origin, "audit.toml:12:1");
    assert_eq!((r[1].open.as_ref(), r[1].up), (None, Some(false)));
    assert!(!r[1].checks_ports());

    assert_eq!(r[2].name, "expect[3] 198.18.0.0/24");
    assert_eq!(
        r[2].allowed,
        Some(PortSpec::default()),
        "\"\": nothing may be open"
    );
    assert!(r[2].checks_ports());

    // Carried into the final configuration unchanged.
    let config = resolve(parse(ISSUE_EXAMPLE).over(defaults())).expect("resolves");
    assert_eq!(config.expect, r);
}

#[test]
fn no_rules_no_audit() {
    assert_eq!(parse("targets = [\"127.0.0.1\"]").expect, None);
    // Groups alone are checked, but make no rules.
    assert_eq!(parse("[groups]\nweb = [\"10.0.0.1\"]").expect, None);
    let config = resolve(parse("targets = [\"127.0.0.1\"]").over(defaults())).expect("resolves");
    assert!(config.expect.is_empty());
}

#[test]
fn inline_forms_and_service_names() {
    let r = rules(
        "groups = { mail = [\"10.0.0.25\"] }\nexpect = [{ hosts = \"mail\", open = \"T:smtp\", allowed = 587 }]\n",
    );
    assert_eq!(r[0].name, "expect[1] mail");
    assert!(r[0].open.as_ref().is_some_and(|o| o.tcp.contains(25)));
    assert!(r[0].allowed.as_ref().is_some_and(|a| a.any.contains(587)));
}

#[test]
fn bad_groups_and_rules_are_located() {
    let cases: &[(&str, &str)] = &[
        // unknown group, at the `hosts` value
        (
            "[groups]\nweb = [\"10.0.0.1\"]\n\n[[expect]]\nhosts = \"wbe\"\nup = true\n",
            "audit.toml:5:9: unknown group `wbe` for `expect.hosts` (groups: web; or give an address or CIDR block)",
        ),
        (
            "[[expect]]\nhosts = \"web\"\nup = true\n",
            "audit.toml:2:9: unknown group `web` for `expect.hosts` (no [groups] are defined; or give an address or CIDR block)",
        ),
        // bad port lists
        (
            "[[expect]]\nhosts = \"10.0.0.1\"\nopen = \"T:22,99999\"\n",
            "audit.toml:3:8: invalid value for `expect.open`: invalid port `99999`",
        ),
        (
            "[[expect]]\nhosts = \"10.0.0.1\"\nallowed = \"X:80\"\n",
            "audit.toml:3:11: invalid value for `expect.allowed`: unknown protocol qualifier `X:`",
        ),
        (
            "[[expect]]\nhosts = \"10.0.0.1\"\nopen = [22]\n",
            "audit.toml:3:8: invalid value for `expect.open`: expected a port list string",
        ),
        // unknown keys
        (
            "[[expect]]\nhosts = \"10.0.0.1\"\nclosed = \"T:23\"\n",
            "audit.toml:3:1: unknown key `expect.closed` (expected one of: hosts, open, allowed, up)",
        ),
        (
            "[group]\nweb = [\"10.0.0.1\"]\n",
            "audit.toml:1:2: unknown key `group` (expected one of:",
        ),
        (
            "[[expects]]\nhosts = \"10.0.0.1\"\n",
            "audit.toml:1:3: unknown key `expects` (expected one of:",
        ),
        // group members and names
        (
            "[groups]\nweb = [\"10.0.0.1\", \"www.example\"]\n",
            "audit.toml:2:20: invalid value for `groups.web`: `www.example` is not an IP address or CIDR block",
        ),
        (
            "[groups]\nweb = []\n",
            "audit.toml:2:7: invalid value for `groups.web`: the group is empty",
        ),
        (
            "[groups]\nweb = \"10.0.0.1\"\n",
            "audit.toml:2:7: invalid value for `groups.web`: expected an array of strings, found string `\"10.0.0.1\"`",
        ),
        (
            "[groups]\n\"10.0.0.1\" = [\"10.0.0.1\"]\n",
            "audit.toml:2:1: group name `10.0.0.1` is an address or block",
        ),
        (
            "[groups]\nweb = [\"10.0.0.1\"]\nweb = [\"10.0.0.2\"]\n",
            "audit.toml:3:1: duplicate key",
        ),
        // section shapes
        (
            "groups = 5\n",
            "audit.toml:1:10: invalid value for `groups`: expected a table (a [groups] section), found integer",
        ),
        (
            "[expect]\nhosts = \"10.0.0.1\"\n",
            "invalid value for `expect`: expected an array of tables ([[expect]] sections)",
        ),
        (
            "expect = [5]\n",
            "audit.toml:1:11: invalid value for `expect`: expected a table (an [[expect]] section), found integer",
        ),
        // rule contents
        (
            "[[expect]]\nopen = \"T:22\"\n",
            "audit.toml:1:1: missing key `expect.hosts` in this [[expect]] section",
        ),
        (
            "[[expect]]\nhosts = \"10.0.0.1\"\n",
            "audit.toml:1:1: this [[expect]] section expects nothing: give `open`, `allowed` or `up`",
        ),
        (
            "[[expect]]\nhosts = \"10.0.0.1\"\nopen = \"T:22\"\nup = false\n",
            "audit.toml:4:6: `up = false` contradicts `open`",
        ),
        (
            "[[expect]]\nhosts = \"10.0.0.1\"\nup = \"yes\"\n",
            "audit.toml:3:6: invalid value for `expect.up`: expected true or false",
        ),
        (
            "[[expect]]\nhosts = [\"10.0.0.1\"]\nup = true\n",
            "audit.toml:2:9: invalid value for `expect.hosts`: expected a string",
        ),
        // the second rule is the bad one: its own line
        (
            "[[expect]]\nhosts = \"10.0.0.1\"\nup = true\n\n[[expect]]\nhosts = \"10.0.0.300\"\nup = true\n",
            "audit.toml:6:9: unknown group `10.0.0.300`",
        ),
    ];
    let mut wrong = Vec::new();
    for (text, want) in cases {
        let got = error(text);
        // Messages without a position are matched anywhere.
        let ok = got.starts_with(want) || (want.starts_with("invalid") && got.contains(want));
        if !ok {
            wrong.push(format!("{text:?}\n  got:  {got}\n  want: {want}"));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}
