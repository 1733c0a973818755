//! Every profile in the workspace's examples/ directory loads and resolves its timing.

use scanfw_config::{defaults, load_profile, Known, Layer};
use std::path::Path;

const KNOWN: Known<'static> = Known {
    techniques: &["connect"],
    reporters: &["table", "json", "xml", "junit"],
    discovery: &["icmp-echo", "icmp-timestamp", "tcp-ack", "tcp-syn", "udp"],
};

fn example(name: &str) -> Layer {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../examples")
        .join(name);
    load_profile(&path, &KNOWN).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn every_example_profile_loads() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples");
    let mut count = 0;
    for entry in std::fs::read_dir(&dir).expect("examples/ exists") {
        let path = entry.expect("entry").path();
        if path.extension().is_some_and(|e| e == "toml") {
            let layer = load_profile(&path, &KNOWN).unwrap_or_else(|e| panic!("{e}"));
            // The merged configuration resolves too (no target files in the examples).
            scanfw_config::resolve(layer.over(defaults()))
                .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            count += 1;
        }
    }
    assert!(
        count >= 3,
        "expected at least 3 example profiles, found {count}"
    );
}

#[test]
fn localhost_quick_is_what_it_says() {
    let l = example("localhost-quick.toml");
    assert_eq!(l.targets, Some(vec!["127.0.0.1".to_string()]));
    assert_eq!(l.top_ports, Some(100));
    assert_eq!(l.techniques, Some(vec!["connect".to_string()]));
    let outputs = l.outputs.expect("outputs");
    assert_eq!((outputs.len(), outputs[0].format.as_str()), (1, "table"));
}

#[test]
fn audit_web_is_what_it_says() {
    let l = example("audit-web.toml");
    assert_eq!(l.template, Some(4));
    assert_eq!(l.reason, Some(true));
    let ports = l.ports.expect("ports");
    assert!(ports.any.contains(80) && ports.any.contains(443));
    let outputs = l.outputs.expect("outputs");
    let formats: Vec<_> = outputs.iter().map(|o| o.format.as_str()).collect();
    assert_eq!(formats, ["json", "xml"]);
    for o in &outputs {
        let path = o.path.as_ref().expect("written to a file");
        assert!(
            path.parent().is_some_and(|p| p.ends_with("reports")),
            "{path:?}"
        );
    }
}

#[test]
fn the_tier_audits_have_scope_groups_and_rules() {
    for (name, rules) in [("audit-web.toml", 2), ("audit-db.toml", 3)] {
        let l = example(name);
        assert_eq!(l.scopes.len(), 1, "{name}: a scope");
        let expect = l.expect.unwrap_or_else(|| panic!("{name}: rules"));
        assert_eq!(expect.len(), rules, "{name}");
    }
    let db = example("audit-db.toml");
    let rules = db.expect.expect("rules");
    assert!(rules[0].matches("198.18.1.10".parse().expect("ip")));
    assert_eq!(rules[2].up, Some(false));
    assert!(db
        .state
        .is_some_and(|p| p.ends_with("reports/db-audit.state")));
    let formats: Vec<_> = db
        .outputs
        .expect("outputs")
        .iter()
        .map(|o| o.format.clone())
        .collect();
    assert_eq!(formats, ["table", "json", "junit"]);
}

#[test]
fn lab_full_is_what_it_says() {
    let l = example("lab-full.toml");
    assert_eq!(l.ports.expect("ports").any.len(), 65535);
    assert_eq!(l.template, Some(4));
    let outputs = l.outputs.expect("outputs");
    assert!(outputs.iter().any(|o| o.format == "xml"));
}

#[test]
fn localhost_audit_is_what_it_says() {
    let l = example("localhost-audit.toml");
    assert_eq!(l.targets, Some(vec!["127.0.0.1".to_string()]));
    assert_eq!(l.techniques, Some(vec!["connect".to_string()]));
    let rules = l.expect.expect("expectations");
    assert_eq!(rules.len(), 1);
    let r = &rules[0];
    assert_eq!(r.name, "expect[1] loopback");
    assert_eq!((r.up, r.open.as_ref()), (Some(true), None));
    assert!(r.matches("127.0.0.1".parse().expect("address")));
    let allowed = r.allowed.as_ref().expect("allowed");
    assert!(allowed.tcp.contains(22) && allowed.tcp.contains(631));
    assert!(allowed.any.is_empty() && allowed.udp.is_empty());
}
