//! Profile parsing: every key, and located errors.

use scanfw_config::{
    load_profile, parse_profile, Known, Layer, OutputSpec, PrivilegeMode, ResolveMode,
};
use scanfw_core::PortSpec;
use std::path::{Path, PathBuf};
use std::time::Duration;

const KNOWN: Known<'static> = Known {
    techniques: &["connect", "sT"],
    reporters: &["table", "json", "xml"],
    discovery: &[
        "icmp-echo",
        "icmp-timestamp",
        "tcp-ack",
        "tcp-syn",
        "udp",
        "E",
        "S",
    ],
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

fn ms(v: u64) -> Duration {
    Duration::from_millis(v)
}

#[test]
fn every_key_parses() {
    let text = r#"
targets = ["127.0.0.1", "198.18.0.0/30"]
target_files = ["hosts.txt", "/abs/more.txt"]
exclude = ["198.18.0.3"]
exclude_files = ["skip/list.txt"]
ports = "22,80,443,8000-8100,U:53"
exclude_ports = "25"
techniques = ["connect", "sT"]
open = true
reason = true
seed = 42
source_ip = ["198.18.0.1", "fd00::1", "198.18.0.8/29"]
scanflags = "SYNFIN"
defeat_icmp_ratelimit = true
fallback = false
privileges = "unprivileged"
baseline = "reports/last.json"
state = "audit.state"

[timing]
template = 4
max_retries = 2
min_rate = 100.0
max_rate = 5000
host_timeout = "15m"
scan_delay = "10ms"
initial_rtt_timeout = "500ms"
min_rtt_timeout = "100ms"
max_rtt_timeout = "2s"
min_parallelism = 10
max_parallelism = 512

[discovery]
skip = true
only = true
methods = ["icmp-echo", "tcp-syn:22,80,443", "tcp-ack:80", "icmp-timestamp", "udp:53", "S:1-1024"]
arp = false

[dns]
resolve = "never"
servers = ["198.18.0.53", "[fd00::53]:5353", "198.18.0.54:53", "fd00::54", "[fd00::55]"]

[[output]]
format = "xml"
path = "reports/audit.xml"

[[output]]
format = "table"
"#;
    let expected = Layer {
        targets: Some(vec!["127.0.0.1".into(), "198.18.0.0/30".into()]),
        target_files: Some(vec![
            PathBuf::from("/etc/scanfw/hosts.txt"),
            PathBuf::from("/abs/more.txt"),
        ]),
        exclude: Some(vec!["198.18.0.3".into()]),
        exclude_files: Some(vec![PathBuf::from("/etc/scanfw/skip/list.txt")]),
        ports: Some(PortSpec::parse("22,80,443,8000-8100,U:53").expect("valid")),
        top_ports: None,
        exclude_ports: Some(PortSpec::parse("25").expect("valid")),
        techniques: Some(vec!["connect".into(), "sT".into()]),
        template: Some(4),
        max_retries: Some(2),
        min_rate: Some(100.0),
        max_rate: Some(5000.0),
        host_timeout: Some(ms(900_000)),
        scan_delay: Some(ms(10)),
        initial_rtt_timeout: Some(ms(500)),
        min_rtt_timeout: Some(ms(100)),
        max_rtt_timeout: Some(ms(2000)),
        min_parallelism: Some(10),
        max_parallelism: Some(512),
        outputs: Some(vec![
            OutputSpec {
                format: "xml".into(),
                path: Some(PathBuf::from("/etc/scanfw/reports/audit.xml")),
            },
            OutputSpec::stdout("table"),
        ]),
        open_only: Some(true),
        reason: Some(true),
        no_ping: Some(true),
        ping_only: Some(true),
        ping_methods: Some(vec![
            "icmp-echo".into(),
            "tcp-syn:22,80,443".into(),
            "tcp-ack:80".into(),
            "icmp-timestamp".into(),
            "udp:53".into(),
            "S:1-1024".into(),
        ]),
        arp_ping: Some(false),
        resolve: Some(ResolveMode::Never),
        dns_servers: Some(vec![
            "198.18.0.53".into(),
            "[fd00::53]:5353".into(),
            "198.18.0.54:53".into(),
            "fd00::54".into(),
            "[fd00::55]".into(),
        ]),
        scopes: Vec::new(),
        baseline: Some(PathBuf::from("/etc/scanfw/reports/last.json")),
        state: Some(PathBuf::from("/etc/scanfw/audit.state")),
        expect: None,
        seed: Some(42),
        source_ip: Some(vec![
            "198.18.0.1".into(),
            "fd00::1".into(),
            "198.18.0.8/29".into(),
        ]),
        scanflags: Some(0x03),
        defeat_icmp_ratelimit: Some(true),
        fallback: Some(false),
        privileges: Some(PrivilegeMode::Unprivileged),
    };
    assert_eq!(parse(text), expected);
}

#[test]
fn empty_profile_sets_nothing() {
    assert_eq!(parse(""), Layer::default());
    assert_eq!(parse("# only a comment\n"), Layer::default());
}

#[test]
fn top_ports_key() {
    assert_eq!(parse("top_ports = 100").top_ports, Some(100));
}

#[test]
fn technique_singular() {
    assert_eq!(
        parse("technique = \"connect\"").techniques,
        Some(vec!["connect".to_string()])
    );
}

#[test]
fn template_forms() {
    for (text, t) in [
        ("4", 4),
        ("0", 0),
        ("\"T4\"", 4),
        ("\"aggressive\"", 4),
        ("\"paranoid\"", 0),
        ("\"5\"", 5),
    ] {
        assert_eq!(
            parse(&format!("[timing]\ntemplate = {text}")).template,
            Some(t),
            "{text}"
        );
    }
}

#[test]
fn rates_accept_integers_and_floats() {
    let l = parse("[timing]\nmin_rate = 1\nmax_rate = 2.5");
    assert_eq!((l.min_rate, l.max_rate), (Some(1.0), Some(2.5)));
}

#[test]
fn durations_accept_units_and_seconds() {
    let l = parse(
        "[timing]\nhost_timeout = 30\nscan_delay = 0.5\ninitial_rtt_timeout = \"1.5s\"\nmin_rtt_timeout = \"1h\"\nmax_rtt_timeout = \"2m\"",
    );
    assert_eq!(l.host_timeout, Some(ms(30_000)));
    assert_eq!(l.scan_delay, Some(ms(500)));
    assert_eq!(l.initial_rtt_timeout, Some(ms(1500)));
    assert_eq!(l.min_rtt_timeout, Some(ms(3_600_000)));
    assert_eq!(l.max_rtt_timeout, Some(ms(120_000)));
}

#[test]
fn ports_forms() {
    assert_eq!(parse("ports = \"-\"").ports.expect("set").any.len(), 65535);
    assert_eq!(
        parse("ports = 443").ports,
        Some(PortSpec::parse("443").expect("valid"))
    );
    let l = parse("ports = \"T:80,U:53\"\nexclude_ports = \"T:81\"");
    assert_eq!(l.ports, Some(PortSpec::parse("T:80,U:53").expect("valid")));
    assert_eq!(
        l.exclude_ports,
        Some(PortSpec::parse("T:81").expect("valid"))
    );
}

#[test]
fn output_path_forms() {
    let l = parse("[[output]]\nformat = \"json\"\npath = \"-\"");
    assert_eq!(l.outputs, Some(vec![OutputSpec::stdout("json")]));
    let l = parse("output = [{ format = \"json\", path = \"/tmp/x.json\" }]");
    assert_eq!(
        l.outputs,
        Some(vec![OutputSpec {
            format: "json".into(),
            path: Some("/tmp/x.json".into())
        }])
    );
}

#[test]
fn relative_paths_follow_the_profile() {
    let l = parse_profile(
        "target_files = [\"h.txt\"]\n[[output]]\nformat = \"xml\"\npath = \"out.xml\"",
        Path::new("audit.toml"),
        &KNOWN,
    )
    .expect("valid");
    assert_eq!(l.target_files, Some(vec![PathBuf::from("h.txt")]));
    let l = parse_profile(
        "target_files = [\"h.txt\"]",
        Path::new("profiles/audit.toml"),
        &KNOWN,
    )
    .expect("valid");
    assert_eq!(l.target_files, Some(vec![PathBuf::from("profiles/h.txt")]));
}

#[test]
fn booleans_can_be_false() {
    let l = parse("open = false\nreason = false");
    assert_eq!((l.open_only, l.reason), (Some(false), Some(false)));
}

#[test]
fn discovery_keys_one_by_one() {
    let l = parse("[discovery]\nskip = true");
    assert_eq!(
        l,
        Layer {
            no_ping: Some(true),
            ..Layer::default()
        }
    );
    let l = parse("[discovery]\nonly = true\narp = true");
    assert_eq!(
        (l.ping_only, l.arp_ping, l.no_ping),
        (Some(true), Some(true), None)
    );
    let l = parse("[discovery]\nskip = false\nonly = false");
    assert_eq!((l.no_ping, l.ping_only), (Some(false), Some(false)));
    let l = parse("[discovery]\nmethods = [\"tcp-syn:443,8000-8010,65535\", \"E\"]");
    assert_eq!(
        l.ping_methods,
        Some(vec!["tcp-syn:443,8000-8010,65535".into(), "E".into()])
    );
    assert_eq!(l.no_ping, None);
    // An empty section sets nothing.
    assert_eq!(parse("[discovery]\n[dns]"), Layer::default());
}

#[test]
fn discovery_skip_and_only_together() {
    // As nmap's -Pn -sn: every target listed as up, nothing probed.
    let l = parse("[discovery]\nskip = true\nonly = true");
    assert_eq!((l.no_ping, l.ping_only), (Some(true), Some(true)));
}

#[test]
fn dns_resolve_words() {
    for (word, mode) in [
        ("never", ResolveMode::Never),
        ("up", ResolveMode::Up),
        ("always", ResolveMode::Always),
    ] {
        let l = parse(&format!("[dns]\nresolve = \"{word}\""));
        assert_eq!(l.resolve, Some(mode), "{word}");
    }
    assert_eq!(parse("[dns]\nservers = []").dns_servers, Some(Vec::new()));
}

#[test]
fn inline_and_dotted_discovery_and_dns() {
    let l = parse("discovery = { skip = true }\ndns.resolve = \"always\"");
    assert_eq!(l.no_ping, Some(true));
    assert_eq!(l.resolve, Some(ResolveMode::Always));
    let l = parse("discovery.methods = [\"udp\"]\ndns = { servers = [\"127.0.0.53\"] }");
    assert_eq!(l.ping_methods, Some(vec!["udp".into()]));
    assert_eq!(l.dns_servers, Some(vec!["127.0.0.53".into()]));
}

#[test]
fn inline_timing_table_and_dotted_keys() {
    assert_eq!(parse("timing = { template = 2 }").template, Some(2));
    assert_eq!(parse("timing.max_retries = 3").max_retries, Some(3));
}

/// Each bad profile with the exact start of its message, `FILE:LINE:COLUMN: message`.
#[test]
fn bad_profiles_are_located() {
    let cases: &[(&str, &str)] = &[
        (
            "targets = [\"10.0.0.1\"]\n\nprots = \"80\"",
            "audit.toml:3:1: unknown key `prots` (expected one of: targets, target_files, exclude, exclude_files, ports, top_ports, exclude_ports, technique, techniques, open, reason, seed, source_ip, scanflags, defeat_icmp_ratelimit, fallback, privileges, baseline, state, timing, discovery, dns, scope, output, groups, expect)",
        ),
        (
            "[timing]\ntempo = 4",
            "audit.toml:2:1: unknown key `timing.tempo` (expected one of: template, max_retries, min_rate,",
        ),
        (
            "[[output]]\nformat = \"xml\"\nfile = \"a.xml\"",
            "audit.toml:3:1: unknown key `output.file` (expected one of: format, path)",
        ),
        (
            "targets = [\"a\"]\n\n\n\nports = \"abc\"",
            "audit.toml:5:9: invalid value for `ports`: unknown service name `abc`",
        ),
        (
            "ports = \"80-22\"",
            "audit.toml:1:9: invalid value for `ports`: invalid port range `80-22`: start is above end",
        ),
        (
            "exclude_ports = \"X:1\"",
            "audit.toml:1:17: invalid value for `exclude_ports`: unknown protocol qualifier `X:`",
        ),
        (
            "open = true\n[timing]\nmax_retries = 1\nmax_rate = 10\n\n\n  template = 9",
            "audit.toml:7:14: invalid value for `timing.template`: timing template must be 0-5",
        ),
        (
            "[timing]\ntemplate = \"fast\"",
            "audit.toml:2:12: invalid value for `timing.template`: timing template must be 0-5 (or paranoid, sneaky, polite, normal, aggressive, insane), not `fast`",
        ),
        (
            "technique = \"foo\"",
            "audit.toml:1:13: unknown technique `foo` for `technique` (available: connect, sT)",
        ),
        (
            "techniques = [\"connect\", \"foo\"]",
            "audit.toml:1:26: unknown technique `foo` for `techniques` (available: connect, sT)",
        ),
        (
            "technique = \"connect\"\ntechniques = [\"sT\"]",
            "audit.toml:2:14: `technique` and `techniques` cannot both be given",
        ),
        (
            "ports = \"80\"\ntop_ports = 10",
            "audit.toml:2:13: `ports` and `top_ports` cannot both be given",
        ),
        (
            "[timing]\nmax_retries = \"x\"",
            "audit.toml:2:15: invalid value for `timing.max_retries`: expected a non-negative integer, found string `\"x\"`",
        ),
        (
            "[timing]\nmax_retries = -1",
            "audit.toml:2:15: invalid value for `timing.max_retries`: -1 is out of range (expected 0 to 4294967295)",
        ),
        (
            "[timing]\nmax_retries = 1e9",
            "audit.toml:2:15: invalid value for `timing.max_retries`: expected a non-negative integer, found float `1e9`",
        ),
        (
            "[timing]\nmax_retries = 10000000000",
            "audit.toml:2:15: invalid value for `timing.max_retries`: 10000000000 is out of range",
        ),
        (
            "[timing]\nmax_parallelism = 99999999999999999999",
            "audit.toml:2:19: invalid value for `timing.max_parallelism`: 99999999999999999999 is out of range",
        ),
        (
            "[timing]\nmax_parallelism = 0",
            "audit.toml:2:19: invalid value for `timing.max_parallelism`: 0 is out of range (expected 1 to",
        ),
        (
            "[timing]\nmin_rate = 0",
            "audit.toml:2:12: invalid value for `timing.min_rate`: must be between 0.001 and 100000000 probes per second",
        ),
        (
            "[timing]\nmax_rate = 1e-300",
            "audit.toml:2:12: invalid value for `timing.max_rate`: must be between 0.001 and 100000000 probes per second",
        ),
        (
            "[timing]\nmin_rate = 1e-19",
            "audit.toml:2:12: invalid value for `timing.min_rate`: must be between 0.001 and 100000000 probes per second",
        ),
        (
            "[timing]\nmax_rate = 1e300",
            "audit.toml:2:12: invalid value for `timing.max_rate`: must be between 0.001 and 100000000 probes per second",
        ),
        (
            "[timing]\nmax_rate = 99999999999999999999",
            "audit.toml:2:12: invalid value for `timing.max_rate`: must be between 0.001 and 100000000 probes per second",
        ),
        (
            "[timing]\nmin_rate = nan",
            "audit.toml:2:12: invalid value for `timing.min_rate`: must be between 0.001 and 100000000 probes per second",
        ),
        (
            "[timing]\nhost_timeout = \"721h\"",
            "audit.toml:2:16: invalid value for `timing.host_timeout`: time `721h` is too long: at most 30 days (720h)",
        ),
        (
            "[timing]\nscan_delay = 1000000000",
            "audit.toml:2:14: invalid value for `timing.scan_delay`: time `1000000000` is too long: at most 30 days (720h)",
        ),
        (
            "[timing]\nmax_rtt_timeout = 1e300",
            "audit.toml:2:19: invalid value for `timing.max_rtt_timeout`: ",
        ),
        (
            "[[output]]\nformat = \"json\"\npath = \"same.out\"\n[[output]]\nformat = \"xml\"\npath = \"./same.out\"",
            "audit.toml:6:8: two outputs write to the same file `",
        ),
        (
            "[timing]\nmax_rate = \"fast\"",
            "audit.toml:2:12: invalid value for `timing.max_rate`: expected a number of probes per second, found string",
        ),
        (
            "[timing]\nhost_timeout = \"15 minutes\"",
            "audit.toml:2:16: invalid value for `timing.host_timeout`: invalid time `15 minutes`",
        ),
        (
            "[timing]\nscan_delay = -5",
            "audit.toml:2:14: invalid value for `timing.scan_delay`: invalid time `-5`",
        ),
        (
            "[timing]\ninitial_rtt_timeout = true",
            "audit.toml:2:23: invalid value for `timing.initial_rtt_timeout`: expected a time such as",
        ),
        (
            "targets = \"10.0.0.1\"",
            "audit.toml:1:11: invalid value for `targets`: expected an array of strings, found string `\"10.0.0.1\"`",
        ),
        (
            "exclude = [\"10.0.0.1\", 7]",
            "audit.toml:1:24: invalid value for `exclude`: expected a string entry, found integer `7`",
        ),
        (
            "target_files = [\"\"]",
            "audit.toml:1:17: invalid value for `target_files`: entries must not be empty",
        ),
        (
            "top_ports = 0",
            "audit.toml:1:13: invalid value for `top_ports`: 0 is out of range (expected 1 to",
        ),
        (
            "open = \"yes\"",
            "audit.toml:1:8: invalid value for `open`: expected true or false, found string `\"yes\"`",
        ),
        (
            "reason = 1",
            "audit.toml:1:10: invalid value for `reason`: expected true or false, found integer `1`",
        ),
        (
            "techniques = []",
            "audit.toml:1:14: invalid value for `techniques`: the list is empty",
        ),
        (
            "timing = 5",
            "audit.toml:1:10: invalid value for `timing`: expected a table (a [timing] section), found integer `5`",
        ),
        (
            "output = \"xml\"",
            "audit.toml:1:10: invalid value for `output`: expected an array of tables ([[output]] sections)",
        ),
        (
            "[[output]]\npath = \"a.xml\"",
            "audit.toml:1:1: missing key `output.format` in this [[output]] section",
        ),
        (
            "[[output]]\nformat = \"pdf\"",
            "audit.toml:2:10: unknown output format `pdf` for `output.format` (available: table, json, xml)",
        ),
        (
            "[[output]]\nformat = \"xml\"\npath = \"\"",
            "audit.toml:3:8: invalid value for `output.path`: the path is empty",
        ),
        (
            "[[output]]\nformat = \"xml\"\n\n[[output]]\nformat = \"json\"",
            "audit.toml:4:1: only one output can go to standard output",
        ),
        (
            "[[output]]\nformat = \"xml\"\npath = \"a\"\n[[output]]\nformat = \"json\"\npath = \"a\"",
            "audit.toml:6:8: two outputs write to the same file `a`",
        ),
        // [discovery]
        (
            "[discovery]\nskip = true\nping = true",
            "audit.toml:3:1: unknown key `discovery.ping` (expected one of: skip, only, methods, arp)",
        ),
        (
            "[discovery]\nmax_retries = 1",
            "audit.toml:2:1: unknown key `discovery.max_retries` (expected one of: skip, only, methods, arp)",
        ),
        (
            "max_retries = 1",
            "audit.toml:1:1: unknown key `max_retries` (expected one of: targets,",
        ),
        (
            "discovery = { skip = true, Pn = true }",
            "audit.toml:1:28: unknown key `discovery.Pn`",
        ),
        (
            "discovery = true",
            "audit.toml:1:13: invalid value for `discovery`: expected a table (a [discovery] section), found boolean `true`",
        ),
        (
            "[discovery]\nskip = \"yes\"",
            "audit.toml:2:8: invalid value for `discovery.skip`: expected true or false, found string `\"yes\"`",
        ),
        (
            "[discovery]\n  only = 1",
            "audit.toml:2:10: invalid value for `discovery.only`: expected true or false, found integer `1`",
        ),
        (
            "[discovery]\narp = \"off\"",
            "audit.toml:2:7: invalid value for `discovery.arp`: expected true or false, found string `\"off\"`",
        ),
        (
            "[discovery]\nmethods = \"icmp-echo\"",
            "audit.toml:2:11: invalid value for `discovery.methods`: expected an array of strings, found string `\"icmp-echo\"`",
        ),
        (
            "[discovery]\nmethods = []",
            "audit.toml:2:11: invalid value for `discovery.methods`: the list is empty",
        ),
        (
            "[discovery]\nmethods = [\"icmp-echo\", 22]",
            "audit.toml:2:25: invalid value for `discovery.methods`: expected a string entry, found integer `22`",
        ),
        (
            "[discovery]\nmethods = [\"icmp-echo\", \"\"]",
            "audit.toml:2:25: invalid value for `discovery.methods`: entries must not be empty",
        ),
        (
            "[discovery]\nmethods = [\":80\"]",
            "audit.toml:2:12: invalid value for `discovery.methods`: `:80` has no method name",
        ),
        (
            "[discovery]\nmethods = [\"icmp-echo\", \"tcp-sin:80\"]",
            "audit.toml:2:25: unknown discovery method `tcp-sin` for `discovery.methods` (available: icmp-echo, icmp-timestamp, tcp-ack, tcp-syn, udp, E, S)",
        ),
        (
            "[discovery]\nmethods = [\"tcp-syn:\"]",
            "audit.toml:2:12: invalid value for `discovery.methods`: bad port list in `tcp-syn:`: no ports after `:`",
        ),
        (
            "[discovery]\nmethods = [\"tcp-syn:22,http\"]",
            "audit.toml:2:12: invalid value for `discovery.methods`: bad port list in `tcp-syn:22,http`: `http` is not a port number",
        ),
        (
            "[discovery]\nmethods = [\"tcp-syn:0\"]",
            "audit.toml:2:12: invalid value for `discovery.methods`: bad port list in `tcp-syn:0`: port 0 is out of range (expected 1 to 65535)",
        ),
        (
            "[discovery]\nmethods = [\"udp:65536\"]",
            "audit.toml:2:12: invalid value for `discovery.methods`: bad port list in `udp:65536`: port 65536 is out of range",
        ),
        (
            "[discovery]\nmethods = [\"tcp-ack:80,,443\"]",
            "audit.toml:2:12: invalid value for `discovery.methods`: bad port list in `tcp-ack:80,,443`: empty entry",
        ),
        (
            "[discovery]\nmethods = [\"tcp-ack:443-80\"]",
            "audit.toml:2:12: invalid value for `discovery.methods`: bad port list in `tcp-ack:443-80`: invalid port range `443-80`: start is above end",
        ),
        (
            "[discovery]\nmethods = [\"tcp-ack:T:80\"]",
            "audit.toml:2:12: invalid value for `discovery.methods`: bad port list in `tcp-ack:T:80`: `T:80` is not a port number",
        ),
        (
            "[discovery]\nmethods = [\"tcp-syn:22\", \"udp\", \"tcp-syn:80\"]",
            "audit.toml:2:33: invalid value for `discovery.methods`: `tcp-syn` is listed twice",
        ),
        // [dns]
        (
            "[dns]\nresolve = \"up\"\nnameservers = []",
            "audit.toml:3:1: unknown key `dns.nameservers` (expected one of: resolve, servers)",
        ),
        (
            "dns = \"never\"",
            "audit.toml:1:7: invalid value for `dns`: expected a table (a [dns] section), found string \"never\"",
        ),
        (
            "[dns]\nresolve = \"sometimes\"",
            "audit.toml:2:11: invalid value for `dns.resolve`: expected \"never\" (as -n), \"up\" or \"always\" (as -R), found string `\"sometimes\"`",
        ),
        (
            "[dns]\nresolve = false",
            "audit.toml:2:11: invalid value for `dns.resolve`: expected \"never\"",
        ),
        (
            "[dns]\nservers = \"198.18.0.53\"",
            "audit.toml:2:11: invalid value for `dns.servers`: expected an array of strings",
        ),
        (
            "[dns]\nservers = [\"198.18.0.53\", \"ns1.example\"]",
            "audit.toml:2:27: invalid value for `dns.servers`: `ns1.example` is not an IP address, [IPv6]:port or IPv4:port",
        ),
        (
            "[dns]\nservers = [\"198.18.0.300\"]",
            "audit.toml:2:12: invalid value for `dns.servers`: `198.18.0.300` is not an IP address",
        ),
        (
            "[dns]\nservers = [\"fd00::53:5353x\"]",
            "audit.toml:2:12: invalid value for `dns.servers`: `fd00::53:5353x` is not an IP address",
        ),
        (
            "[dns]\nservers = [\"198.18.0.53:0\"]",
            "audit.toml:2:12: invalid value for `dns.servers`: `198.18.0.53:0`: the port must be 1 to 65535, not `0`",
        ),
        (
            "[dns]\nservers = [\"[fd00::53]:70000\"]",
            "audit.toml:2:12: invalid value for `dns.servers`: `[fd00::53]:70000`: the port must be 1 to 65535",
        ),
        (
            "[dns]\nservers = [\"[198.18.0.53]:53\"]",
            "audit.toml:2:12: invalid value for `dns.servers`: `[198.18.0.53]:53` is not an IP address",
        ),
        (
            "[dns]\nservers = [7]",
            "audit.toml:2:12: invalid value for `dns.servers`: expected a string entry, found integer `7`",
        ),
        (
            "[dns]\n[dns]",
            "audit.toml:2:2: duplicate key `dns`",
        ),
        ("open = true\nopen = false", "audit.toml:2:1: duplicate key `open`"),
        ("[timing]\n[timing]", "audit.toml:2:2: duplicate key `timing`"),
        ("ports = 80,", "audit.toml:1:"),
        ("targets = [\"a\"\nopen = true", "audit.toml:2:"),
        ("ports = \"80", "audit.toml:1:12: invalid basic string"),
        ("# é\n\"prøts\" = 1", "audit.toml:2:1: unknown key `prøts`"),
        ("x = \"é\" # é\ny é", "audit.toml:2:3: "),
    ];
    assert!(cases.len() >= 15);
    for (text, prefix) in cases {
        let e = error(text);
        if std::env::var_os("SHOW_ERRORS").is_some() {
            println!("{e}");
        }
        assert!(
            e.starts_with(prefix),
            "profile:\n{text}\nexpected prefix: {prefix}\n             got: {e}"
        );
    }
}

#[test]
fn syntax_error_columns_count_characters() {
    // The bad token is after a two-byte character: the column counts characters.
    let e = error("targets = [\"é\" \"x\"]");
    assert!(e.starts_with("audit.toml:1:16: "), "{e}");
}

#[test]
fn missing_file_is_reported() {
    let e = load_profile(Path::new("/nonexistent/audit.toml"), &KNOWN).expect_err("missing");
    assert_eq!(
        e.to_string(),
        "cannot read profile `/nonexistent/audit.toml`: No such file or directory (os error 2)"
    );
}

#[test]
fn endless_and_huge_profiles_are_refused() {
    let e = load_profile(Path::new("/dev/zero"), &KNOWN).expect_err("endless");
    assert_eq!(
        e.to_string(),
        "cannot read profile `/dev/zero`: it is larger than 1 MiB, the limit for profiles"
    );
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("big.toml");
    let mut text = String::from("targets = [\"127.0.0.1\"]\n");
    text.push_str(&"#".repeat(scanfw_config::MAX_PROFILE as usize));
    std::fs::write(&path, &text).expect("write");
    let e = load_profile(&path, &KNOWN)
        .expect_err("too big")
        .to_string();
    assert!(
        e.ends_with("it is larger than 1 MiB, the limit for profiles"),
        "{e}"
    );
    text.truncate(scanfw_config::MAX_PROFILE as usize);
    std::fs::write(&path, &text).expect("write");
    assert!(load_profile(&path, &KNOWN).is_ok(), "exactly at the limit");
}

#[test]
fn load_profile_names_the_file_and_resolves_relative_paths() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("p.toml");
    std::fs::write(&path, "target_files = [\"hosts.txt\"]\n\nprots = 1\n").expect("write");
    let e = load_profile(&path, &KNOWN)
        .expect_err("bad key")
        .to_string();
    assert!(
        e.starts_with(&format!("{}:3:1: unknown key `prots`", path.display())),
        "{e}"
    );
    std::fs::write(&path, "target_files = [\"hosts.txt\"]\n").expect("write");
    let l = load_profile(&path, &KNOWN).expect("valid");
    assert_eq!(l.target_files, Some(vec![dir.path().join("hosts.txt")]));
}
