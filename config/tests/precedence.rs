//! defaults < profile < command line, rule by rule.

use scanfw_config::{
    defaults, parse_profile, resolve, DiscoveryConfig, Known, Layer, OutputSpec, PrivilegeMode,
    ResolveMode,
};
use scanfw_core::PortSpec;
use std::path::{Path, PathBuf};
use std::time::Duration;

fn ports(s: &str) -> PortSpec {
    PortSpec::parse(s).expect("valid port spec")
}

fn strings(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

fn paths(v: &[&str]) -> Vec<PathBuf> {
    v.iter().map(PathBuf::from).collect()
}

fn ms(v: u64) -> Duration {
    Duration::from_millis(v)
}

/// For one field, with a profile value `$p` and a command-line value `$c`:
/// default only; profile overrides default; CLI overrides profile; CLI unset keeps profile;
/// CLI overrides default when the profile is silent.
macro_rules! precedence {
    ($($test:ident: $field:ident = $p:expr, $c:expr;)*) => { $(
        #[test]
        fn $test() {
            let profile = Layer { $field: Some($p), ..Layer::default() };
            let cli = Layer { $field: Some($c), ..Layer::default() };
            let none = Layer::default;

            let merged = none().over(none().over(defaults()));
            assert_eq!(merged.$field, defaults().$field, "default only");
            assert_eq!(merged, defaults(), "empty layers change nothing");

            let merged = none().over(profile.clone().over(defaults()));
            assert_eq!(merged.$field, Some($p), "profile overrides default; CLI unset keeps profile");

            let merged = cli.clone().over(profile.clone().over(defaults()));
            assert_eq!(merged.$field, Some($c), "CLI overrides profile");

            let merged = cli.clone().over(none().over(defaults()));
            assert_eq!(merged.$field, Some($c), "CLI overrides default");
        }
    )* };
}

precedence! {
    targets_precedence: targets = strings(&["10.0.0.1"]), strings(&["10.0.0.2"]);
    target_files_precedence: target_files = paths(&["a.txt"]), paths(&["b.txt"]);
    exclude_precedence: exclude = strings(&["10.0.0.1"]), strings(&["10.0.0.2"]);
    exclude_files_precedence: exclude_files = paths(&["a.txt"]), paths(&["b.txt"]);
    ports_precedence: ports = ports("22"), ports("80");
    top_ports_precedence: top_ports = 100, 10;
    exclude_ports_precedence: exclude_ports = ports("25"), ports("T:110");
    techniques_precedence: techniques = strings(&["syn"]), strings(&["connect", "udp"]);
    template_precedence: template = 4, 1;
    max_retries_precedence: max_retries = 2, 0;
    min_rate_precedence: min_rate = 100.0, 5.5;
    max_rate_precedence: max_rate = 5000.0, 10.0;
    host_timeout_precedence: host_timeout = ms(900_000), ms(60_000);
    scan_delay_precedence: scan_delay = ms(10), ms(0);
    initial_rtt_timeout_precedence: initial_rtt_timeout = ms(500), ms(250);
    min_rtt_timeout_precedence: min_rtt_timeout = ms(100), ms(50);
    max_rtt_timeout_precedence: max_rtt_timeout = ms(2000), ms(300);
    min_parallelism_precedence: min_parallelism = 10, 1;
    max_parallelism_precedence: max_parallelism = 512, 64;
    outputs_precedence: outputs = vec![OutputSpec::stdout("xml")], vec![OutputSpec::stdout("json")];
    open_only_precedence: open_only = true, false;
    reason_precedence: reason = true, false;
    no_ping_precedence: no_ping = true, false;
    ping_only_precedence: ping_only = true, false;
    ping_methods_precedence: ping_methods = strings(&["icmp-echo", "tcp-syn:22"]), strings(&["tcp-ack:80"]);
    arp_ping_precedence: arp_ping = false, true;
    resolve_precedence: resolve = ResolveMode::Never, ResolveMode::Always;
    dns_servers_precedence: dns_servers = strings(&["198.18.0.53"]), strings(&["[fd00::53]:5353"]);
    baseline_precedence: baseline = PathBuf::from("old.json"), PathBuf::from("new.json");
    seed_precedence: seed = 42, 7;
    source_ip_precedence: source_ip = strings(&["198.18.0.1"]), strings(&["198.18.0.11", "198.18.0.12"]);
    scanflags_precedence: scanflags = 0x03, 0x29;
    defeat_icmp_ratelimit_precedence: defeat_icmp_ratelimit = true, false;
    fallback_precedence: fallback = false, true;
    privileges_precedence: privileges = PrivilegeMode::Unprivileged, PrivilegeMode::Privileged;
}

#[test]
fn defaults_are_exactly_these() {
    assert_eq!(
        defaults(),
        Layer {
            template: Some(3),
            techniques: Some(strings(&["connect"])),
            outputs: Some(vec![OutputSpec {
                format: "table".into(),
                path: None
            }]),
            open_only: Some(false),
            reason: Some(false),
            ..Layer::default()
        }
    );
}

#[test]
fn cli_ports_drop_profile_top_ports() {
    let profile = Layer {
        top_ports: Some(100),
        ..Layer::default()
    };
    let cli = Layer {
        ports: Some(ports("22")),
        ..Layer::default()
    };
    let m = cli.over(profile.over(defaults()));
    assert_eq!((m.ports, m.top_ports), (Some(ports("22")), None));
}

#[test]
fn cli_top_ports_drop_profile_ports() {
    let profile = Layer {
        ports: Some(ports("1-1024")),
        ..Layer::default()
    };
    let cli = Layer {
        top_ports: Some(10),
        ..Layer::default()
    };
    let m = cli.over(profile.over(defaults()));
    assert_eq!((m.ports, m.top_ports), (None, Some(10)));
}

#[test]
fn port_group_is_dropped_whole() {
    // A base layer with both members loses both when the top layer sets either.
    let base = Layer {
        ports: Some(ports("22")),
        top_ports: Some(100),
        ..Layer::default()
    };
    let top = Layer {
        top_ports: Some(5),
        ..Layer::default()
    };
    let m = top.over(base.clone());
    assert_eq!((m.ports, m.top_ports), (None, Some(5)));
    // An unset top keeps both.
    let m = Layer::default().over(base);
    assert_eq!((m.ports, m.top_ports), (Some(ports("22")), Some(100)));
}

#[test]
fn exclude_ports_is_not_in_the_port_group() {
    let profile = Layer {
        ports: Some(ports("1-100")),
        exclude_ports: Some(ports("25")),
        ..Layer::default()
    };
    let cli = Layer {
        top_ports: Some(10),
        ..Layer::default()
    };
    let m = cli.over(profile);
    assert_eq!(m.exclude_ports, Some(ports("25")));
}

#[test]
fn cli_targets_drop_profile_target_files() {
    let profile = Layer {
        targets: Some(strings(&["10.0.0.1"])),
        target_files: Some(paths(&["hosts.txt"])),
        ..Layer::default()
    };
    let cli = Layer {
        targets: Some(strings(&["192.0.2.1"])),
        ..Layer::default()
    };
    let m = cli.over(profile.clone().over(defaults()));
    assert_eq!(m.targets, Some(strings(&["192.0.2.1"])));
    assert_eq!(m.target_files, None);

    let cli = Layer {
        target_files: Some(paths(&["other.txt"])),
        ..Layer::default()
    };
    let m = cli.over(profile.clone().over(defaults()));
    assert_eq!(
        m.targets, None,
        "-iL on the command line drops the profile's targets"
    );
    assert_eq!(m.target_files, Some(paths(&["other.txt"])));

    let m = Layer::default().over(profile.clone());
    assert_eq!(
        (m.targets, m.target_files),
        (profile.targets, profile.target_files)
    );
}

#[test]
fn cli_exclude_drops_profile_exclude_files() {
    let profile = Layer {
        exclude: Some(strings(&["10.0.0.1"])),
        exclude_files: Some(paths(&["skip.txt"])),
        ..Layer::default()
    };
    let cli = Layer {
        exclude: Some(strings(&["10.0.0.9"])),
        ..Layer::default()
    };
    let m = cli.over(profile.clone());
    assert_eq!(
        (m.exclude, m.exclude_files),
        (Some(strings(&["10.0.0.9"])), None)
    );

    let cli = Layer {
        exclude_files: Some(paths(&["b.txt"])),
        ..Layer::default()
    };
    let m = cli.over(profile.clone());
    assert_eq!(
        (m.exclude, m.exclude_files),
        (None, Some(paths(&["b.txt"])))
    );

    let m = Layer::default().over(profile.clone());
    assert_eq!(
        (m.exclude, m.exclude_files),
        (profile.exclude, profile.exclude_files)
    );
}

#[test]
fn groups_are_independent() {
    // Setting targets on the command line keeps the profile's exclusions and ports.
    let profile = Layer {
        targets: Some(strings(&["10.0.0.0/24"])),
        exclude: Some(strings(&["10.0.0.1"])),
        top_ports: Some(100),
        ..Layer::default()
    };
    let cli = Layer {
        targets: Some(strings(&["10.0.1.0/24"])),
        ..Layer::default()
    };
    let m = cli.over(profile);
    assert_eq!(m.exclude, Some(strings(&["10.0.0.1"])));
    assert_eq!(m.top_ports, Some(100));
}

#[test]
fn lists_replace_never_append() {
    let profile = Layer {
        targets: Some(strings(&["a", "b"])),
        exclude: Some(strings(&["c", "d"])),
        techniques: Some(strings(&["connect", "syn"])),
        outputs: Some(vec![
            OutputSpec::stdout("table"),
            OutputSpec::parse("xml=a.xml").expect("valid"),
        ]),
        ..Layer::default()
    };
    let cli = Layer {
        targets: Some(strings(&["e"])),
        exclude: Some(strings(&["f"])),
        techniques: Some(strings(&["udp"])),
        outputs: Some(vec![OutputSpec::parse("json=b.json").expect("valid")]),
        ..Layer::default()
    };
    let m = cli.clone().over(profile.over(defaults()));
    assert_eq!(m.targets, cli.targets);
    assert_eq!(m.exclude, cli.exclude);
    assert_eq!(m.techniques, cli.techniques);
    assert_eq!(m.outputs, cli.outputs);
    // An empty list also replaces.
    let clear = Layer {
        exclude: Some(Vec::new()),
        ..Layer::default()
    };
    let m = clear.over(m);
    assert_eq!(m.exclude, Some(Vec::new()));
}

#[test]
fn precedence_reaches_the_resolved_config() {
    let profile = Layer {
        targets: Some(strings(&["127.0.0.1"])),
        template: Some(4),
        max_retries: Some(2),
        open_only: Some(true),
        reason: Some(true),
        ..Layer::default()
    };
    let cli = Layer {
        max_retries: Some(0),
        reason: Some(false),
        ..Layer::default()
    };
    let c = resolve(cli.over(profile.over(defaults()))).expect("valid");
    assert_eq!(c.timing.template, 4, "profile template");
    assert_eq!(c.timing.max_retries, 0, "CLI retries over profile");
    assert_eq!(c.timing.initial_rtt_timeout, ms(500), "T4 value kept");
    assert!(c.report.open_only, "profile --open kept");
    assert!(!c.report.reason, "CLI reason over profile");
    assert_eq!(c.techniques, strings(&["connect"]), "default technique");
    assert_eq!(
        c.outputs,
        vec![OutputSpec::stdout("table")],
        "default output"
    );
}

#[test]
fn discovery_and_dns_defaults_reach_the_config() {
    let c = resolve(
        Layer {
            targets: Some(strings(&["127.0.0.1"])),
            ..Layer::default()
        }
        .over(defaults()),
    )
    .expect("valid");
    assert_eq!(
        c.discovery,
        DiscoveryConfig {
            skip: false,
            only: false,
            methods: None,
            arp: true,
        }
    );
    assert_eq!(
        c.resolve,
        ResolveMode::Up,
        "reverse DNS for up hosts by default"
    );
    assert_eq!(ResolveMode::default(), ResolveMode::Up);
    assert!(c.dns_servers.is_empty(), "the system's resolvers");
}

#[test]
fn cli_overrides_a_profiles_discovery_and_dns() {
    let known = Known {
        techniques: &["connect"],
        reporters: &["table"],
        discovery: &["icmp-echo", "tcp-syn", "tcp-ack"],
    };
    let profile = parse_profile(
        "targets = [\"127.0.0.1\"]\n\
         [discovery]\nskip = true\nonly = false\nmethods = [\"icmp-echo\", \"tcp-syn:22\"]\narp = false\n\
         [dns]\nresolve = \"never\"\nservers = [\"198.18.0.53\"]\n",
        Path::new("p.toml"),
        &known,
    )
    .expect("valid profile");

    // The profile alone.
    let c = resolve(profile.clone().over(defaults())).expect("valid");
    assert_eq!(
        c.discovery,
        DiscoveryConfig {
            skip: true,
            only: false,
            methods: Some(strings(&["icmp-echo", "tcp-syn:22"])),
            arp: false,
        }
    );
    assert_eq!(c.resolve, ResolveMode::Never);
    assert_eq!(c.dns_servers, strings(&["198.18.0.53"]));

    // A command line setting every one of them (as `-sn -PA80 -R --dns-servers ...`, with
    // `-Pn` and `--disable-arp-ping` turned back off).
    let cli = Layer {
        no_ping: Some(false),
        ping_only: Some(true),
        ping_methods: Some(strings(&["tcp-ack:80"])),
        arp_ping: Some(true),
        resolve: Some(ResolveMode::Always),
        dns_servers: Some(strings(&["[fd00::53]:5353"])),
        ..Layer::default()
    };
    let c = resolve(cli.over(profile.clone().over(defaults()))).expect("valid");
    assert_eq!(
        c.discovery,
        DiscoveryConfig {
            skip: false,
            only: true,
            methods: Some(strings(&["tcp-ack:80"])),
            arp: true,
        }
    );
    assert_eq!(c.resolve, ResolveMode::Always);
    assert_eq!(c.dns_servers, strings(&["[fd00::53]:5353"]));

    // A command line setting only some keeps the profile's others.
    let cli = Layer {
        ping_only: Some(true),
        resolve: Some(ResolveMode::Up),
        ..Layer::default()
    };
    let c = resolve(cli.over(profile.over(defaults()))).expect("valid");
    assert_eq!(
        c.discovery,
        DiscoveryConfig {
            skip: true,
            only: true,
            methods: Some(strings(&["icmp-echo", "tcp-syn:22"])),
            arp: false,
        }
    );
    assert_eq!(c.resolve, ResolveMode::Up);
    assert_eq!(c.dns_servers, strings(&["198.18.0.53"]));
}
