//! `[scope]` in profiles and scope files (`--scope`): parsing, located errors, accumulation.

use scanfw_config::{defaults, parse_profile, parse_scope, Known, Layer, ScopeSpec};
use std::path::Path;

const KNOWN: Known<'static> = Known {
    techniques: &["connect"],
    reporters: &["table"],
    discovery: &["icmp-echo"],
};

fn profile(text: &str) -> Result<Layer, String> {
    parse_profile(text, Path::new("audit.toml"), &KNOWN).map_err(|e| e.to_string())
}

#[test]
fn scope_table_parses_with_its_origin() {
    let text = "targets = [\"198.18.0.2\"]\n\n[scope]\nallow = [\"198.18.0.0/15\", \"fd00::/8\", \"198.18.0.1-20\", \"localhost\"]\ndeny = [\"198.18.0.1\"]\n";
    let layer = profile(text).expect("parses");
    assert_eq!(
        layer.scopes,
        vec![ScopeSpec {
            allow: ["198.18.0.0/15", "fd00::/8", "198.18.0.1-20", "localhost"]
                .map(String::from)
                .to_vec(),
            deny: vec!["198.18.0.1".to_string()],
            origin: "audit.toml:3".to_string(),
        }]
    );
    assert_eq!(
        layer.scopes[0].describe(),
        "audit.toml:3 (allow 198.18.0.0/15, fd00::/8, 198.18.0.1-20, localhost; deny 198.18.0.1)"
    );
}

#[test]
fn bad_scopes_are_refused_at_their_position() {
    for (text, want) in [
        (
            "[scope]\ndeny = [\"198.18.0.1\"]\n",
            "audit.toml:1:1: `scope` needs `allow`",
        ),
        (
            "[scope]\nallow = []\n",
            "audit.toml:2:9: invalid value for `scope.allow`: the list is empty",
        ),
        (
            "[scope]\nallow = [\"198.18.0.0/33\"]\n",
            "audit.toml:2:10: invalid value for `scope.allow`: invalid prefix length",
        ),
        (
            "[scope]\nallow = [\"198.18.0.0/24\"]\ndeny = [\"300.1.1.1\"]\n",
            "audit.toml:3:9: invalid value for `scope.deny`",
        ),
        (
            "[scope]\nallow = [\"198.18.0.0/24\"]\nalow = 1\n",
            "audit.toml:3:1: unknown key `scope.alow` (expected one of: allow, deny)",
        ),
        (
            "scope = 5\n",
            "invalid value for `scope`: expected a table (a [scope] section)",
        ),
        (
            "[scope]\nallow = \"198.18.0.0/24\"\n",
            "expected an array of strings",
        ),
        (
            "[scope]\nallow = [\"198.18.0.0/24\", \"198.18.1.5\"]\ndeny = [\"198.18.0.9\", \"198.18.1.0/24\"]\n",
            "audit.toml:3:23: invalid value for `scope.deny`: `198.18.1.0/24` covers all of the allowed `198.18.1.5`",
        ),
    ] {
        let e = profile(text).expect_err(text);
        assert!(e.contains(want), "{text:?}\n got: {e}\nwant: {want}");
    }
}

#[test]
fn scope_files_hold_only_a_scope() {
    let s = parse_scope("[scope]\nallow = [\"127.0.0.0/8\"]\n", Path::new("s.toml")).expect("ok");
    assert_eq!((s.allow.len(), s.origin.as_str()), (1, "s.toml:1"));
    let e = parse_scope(
        "targets = [\"1.2.3.4\"]\n[scope]\nallow = [\"127.0.0.0/8\"]\n",
        Path::new("s.toml"),
    )
    .expect_err("extra key")
    .to_string();
    assert!(
        e.contains("s.toml:1:1: unknown key `targets`: a scope file holds only a [scope] table"),
        "{e}"
    );
    let e = parse_scope("# nothing\n", Path::new("s.toml"))
        .expect_err("empty")
        .to_string();
    assert!(e.contains("needs a [scope] table"), "{e}");
}

#[test]
fn scopes_accumulate_across_layers() {
    let a = profile("[scope]\nallow = [\"198.18.0.0/15\"]\n").expect("a");
    let mut cli = Layer::default();
    cli.scopes.push(ScopeSpec {
        allow: vec!["198.18.0.0/24".into()],
        deny: vec![],
        origin: "cli.toml:1".into(),
    });
    let merged = cli.over(a.over(defaults()));
    let origins: Vec<&str> = merged.scopes.iter().map(|s| s.origin.as_str()).collect();
    assert_eq!(
        origins,
        ["audit.toml:1", "cli.toml:1"],
        "a later layer never drops a scope"
    );
}
