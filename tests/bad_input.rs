//! Bad input of every kind gets a one-line message naming the problem and exit code 2, and
//! nothing is scanned (no output is begun).

use scanfw_reporters as _;
use scanfw_techniques as _;

use std::io::Write;
use std::process::Command;

struct Case {
    args: &'static [&'static str],
    /// Profile text written to `profile.toml` in a temp dir (referenced as PROFILE in args).
    profile: Option<&'static str>,
    expect: &'static str,
}

const fn case(args: &'static [&'static str], expect: &'static str) -> Case {
    Case {
        args,
        profile: None,
        expect,
    }
}

const fn prof(text: &'static str, expect: &'static str) -> Case {
    Case {
        args: &["-c", "PROFILE"],
        profile: Some(text),
        expect,
    }
}

const CASES: &[Case] = &[
    // host discovery and names
    case(&["-PS0", "127.0.0.1"], "-PS0: invalid port list `0`"),
    case(&["-PSabc", "127.0.0.1"], "-PSabc: invalid port list `abc`"),
    case(&["-PA80,,81", "127.0.0.1"], "-PA80,,81: invalid port list"),
    case(&["-PE80", "127.0.0.1"], "-PE80: -PE takes no ports"),
    case(&["-PY", "127.0.0.1"], "scanfw does no SCTP discovery (-PY)"),
    case(
        &["-PO", "127.0.0.1"],
        "scanfw does no IP protocol ping (-PO)",
    ),
    case(&["-PQ", "127.0.0.1"], "unknown discovery option -PQ"),
    case(
        &["-sn", "-p", "80", "127.0.0.1"],
        "-sn (host discovery only) cannot be combined",
    ),
    case(
        &["-sn", "-sT", "127.0.0.1"],
        "-sn (host discovery only) cannot be combined",
    ),
    case(
        &["--dns-servers", "a.b", "127.0.0.1"],
        "--dns-servers: `a.b` is not an IP address",
    ),
    case(
        &["--dns-servers", "1.2.3.4:0", "127.0.0.1"],
        "--dns-servers: `1.2.3.4:0` has an invalid port",
    ),
    case(&["-n", "-R", "127.0.0.1"], "cannot be used with"),
    case(
        &["-sT", "-PE", "127.0.0.1"],
        "cannot run with a connect() scan (-sT)",
    ),
    prof(
        "targets = [\"127.0.0.1\"]\n[discovery]\nmethods = [\"icmp-echoo\"]\n",
        "unknown discovery method `icmp-echoo`",
    ),
    // targets
    case(&[], "no targets given"),
    case(&["300.1.1.1"], "invalid octet range in `300.1.1.1`"),
    case(&["1.2.3.4/33"], "invalid prefix length in `1.2.3.4/33`"),
    case(&["::1/129"], "invalid prefix length in `::1/129`"),
    case(&["10.0.0.5-1"], "invalid octet range in `10.0.0.5-1`"),
    case(&["fe80:::1"], "invalid target `fe80:::1`"),
    case(&["a..b"], "invalid target `a..b`"),
    case(
        &["127.0.0.1", "--exclude", "127.0.0.0/8"],
        "no targets to scan",
    ),
    case(
        &["-iL", "/nonexistent/targets.txt"],
        "cannot read target file `/nonexistent/targets.txt`",
    ),
    case(
        &["127.0.0.1", "--excludefile", "/nonexistent/ex.txt"],
        "cannot read target file `/nonexistent/ex.txt`",
    ),
    // ports
    case(&["-p", "0", "127.0.0.1"], "invalid port `0`"),
    case(&["-p", "65536", "127.0.0.1"], "invalid port `65536`"),
    case(&["-p", "80-22", "127.0.0.1"], "invalid port range `80-22`"),
    case(
        &["-p", "X:80", "127.0.0.1"],
        "unknown protocol qualifier `X:`",
    ),
    case(&["-p", "1,,2", "127.0.0.1"], "invalid port"),
    case(
        &["-p", "nosuchservice", "127.0.0.1"],
        "unknown service name `nosuchservice`",
    ),
    case(&["-p", "U:53", "127.0.0.1"], "no tcp ports left to scan"),
    case(
        &["-p", "80", "--exclude-ports", "80", "127.0.0.1"],
        "no tcp ports left to scan",
    ),
    case(
        &["--top-ports", "0", "127.0.0.1"],
        "--top-ports must be between 1 and 1000",
    ),
    case(
        &["--top-ports", "5000", "127.0.0.1"],
        "--top-ports must be between 1 and 1000",
    ),
    // flags
    case(&["--bogus", "127.0.0.1"], "unexpected argument '--bogus'"),
    case(&["-sZ", "127.0.0.1"], "unknown technique `Z`"),
    case(&["-s", "warp", "127.0.0.1"], "unknown technique `warp`"),
    case(&["-T9", "127.0.0.1"], "timing template must be 0-5"),
    case(&["--max-retries", "-1", "127.0.0.1"], "--max-retries"),
    case(&["--host-timeout", "5x", "127.0.0.1"], "invalid time `5x`"),
    case(
        &["--min-rate", "100", "--max-rate", "10", "127.0.0.1"],
        "--min-rate (100) is above --max-rate (10)",
    ),
    case(
        &["--max-rate", "0", "127.0.0.1"],
        "--max-rate must be a positive number",
    ),
    case(&["-o", "yaml", "127.0.0.1"], "unknown reporter `yaml`"),
    case(&["-oQ", "x", "127.0.0.1"], "unknown output option -oQ"),
    case(&["-oX"], "-oX needs a file name"),
    case(
        &["-o", "table", "-o", "json", "127.0.0.1"],
        "only one output can go to standard output",
    ),
    case(
        &["-oX", "/nonexistent/dir/out.xml", "127.0.0.1"],
        "cannot create output file `/nonexistent/dir/out.xml`",
    ),
    case(&["-oX", "/tmp", "127.0.0.1"], "is a directory"),
    case(
        &["-sT", "-s", "connect", "127.0.0.1"],
        "technique `connect` was given twice",
    ),
    case(
        &["-c", "/nonexistent/profile.toml"],
        "cannot read profile `/nonexistent/profile.toml`",
    ),
    case(
        &["--scanflags", "SYNX", "127.0.0.1"],
        "invalid --scanflags `SYNX`",
    ),
    case(
        &["-sT", "--scanflags", "SYN", "127.0.0.1"],
        "--scanflags does not apply to the connect technique",
    ),
    case(
        &["--source-ip", "nonsense", "127.0.0.1"],
        "`nonsense` is not an IP address or CIDR block",
    ),
    case(
        &["--source-ip", "198.51.100.200", "127.0.0.1"],
        "--source-ip 198.51.100.200 is not an address of this host",
    ),
    // profiles
    prof(
        "targets = [\"127.0.0.1\"]\nprots = \"80\"\n",
        "profile.toml:2:1: unknown key `prots`",
    ),
    prof(
        "targets = [\"127.0.0.1\"]\nports = \"abc\"\n",
        "profile.toml:2:9: invalid value for `ports`",
    ),
    prof(
        "targets = [\"127.0.0.1\"]\n[timing]\ntemplate = 7\n",
        "profile.toml:3:12: invalid value for `timing.template`",
    ),
    prof(
        "targets = [\"127.0.0.1\"]\ntechnique = \"warp\"\n",
        "profile.toml:2:13: unknown technique `warp`",
    ),
    prof("targets = [\"127.0.0.1\"\n", "profile.toml:1:"),
    prof("targets = \"127.0.0.1\"\n", "profile.toml:1:11:"),
    prof(
        "targets = [\"127.0.0.1\"]\n[timing]\nmax_retries = \"x\"\n",
        "profile.toml:3:15:",
    ),
];

#[test]
fn every_bad_input_exits_2_with_a_clear_message() {
    assert!(CASES.len() >= 30, "the table must keep at least 30 cases");
    let dir = tempfile::tempdir().expect("temp dir");
    let mut failures = Vec::new();
    for c in CASES {
        let profile = dir.path().join("profile.toml");
        if let Some(text) = c.profile {
            let mut f = std::fs::File::create(&profile).expect("write profile");
            f.write_all(text.as_bytes()).expect("write profile");
        }
        let args: Vec<String> = c
            .args
            .iter()
            .map(|a| {
                if *a == "PROFILE" {
                    profile.display().to_string()
                } else {
                    a.to_string()
                }
            })
            .collect();
        let out = Command::new(env!("CARGO_BIN_EXE_scanfw"))
            .args(&args)
            .output()
            .expect("run scanfw");
        let stderr = String::from_utf8_lossy(&out.stderr);
        let ok = out.status.code() == Some(2)
            && stderr.contains(c.expect)
            && stderr.trim_end().lines().count() == 1
            && stderr.starts_with("scanfw: ")
            && out.stdout.is_empty();
        if !ok {
            failures.push(format!(
                "args {:?}: exit {:?}, stderr {:?}, stdout {} bytes; expected {:?}",
                c.args,
                out.status.code(),
                stderr,
                out.stdout.len(),
                c.expect
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n{}",
        failures.len(),
        CASES.len(),
        failures.join("\n")
    );
}
