//! Every JSON document the `json` reporter writes validates against
//! `docs/scanfw-report.schema.json`, and the schema's vocabularies match core's.

use crate::fixtures::{
    discovery_start, host, named, on_link, port, render, summary, thousand_ports,
};
use crate::json::tests::json_doc;
use crate::json::JsonReporter;
use scanfw_core::{PortState, Reason, ReportOptions};
use serde_json::Value;

fn schema() -> Value {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../docs/scanfw-report.schema.json"
    );
    let text = std::fs::read_to_string(path).expect("read the schema file");
    serde_json::from_str(&text).expect("the schema is JSON")
}

fn validator() -> jsonschema::Validator {
    jsonschema::draft202012::new(&schema()).expect("the schema compiles")
}

fn errors(v: &jsonschema::Validator, doc: &Value) -> Vec<String> {
    v.iter_errors(doc).map(|e| e.to_string()).collect()
}

fn documents() -> Vec<(&'static str, Value)> {
    let mut cut = host("10.0.0.2", vec![port(22, PortState::Open, Reason::SynAck)]);
    cut.partial = true;
    let mut v6 = named(
        host(
            "2001:db8::1",
            vec![port(443, PortState::Open, Reason::SynAck)],
        ),
        "v6.example",
    );
    v6.times = None;
    let mut slow = host("10.0.0.3", thousand_ports());
    slow.timed_out = true;
    let mut down = host("10.0.0.4", Vec::new());
    down.status.up = false;
    let every_state_and_reason = host(
        "10.0.0.5",
        Reason::ALL
            .iter()
            .zip(PortState::ALL.iter().cycle())
            .enumerate()
            .map(|(i, (r, s))| port(i as u16 + 1, *s, *r))
            .collect(),
    );
    let mut on_link_v6 = on_link(
        "fe80::42:c6ff:fe12:2",
        vec![port(22, PortState::Open, Reason::SynAck)],
    );
    on_link_v6.status.reason = Reason::NdResponse;
    let open_only = ReportOptions {
        open_only: true,
        reason: false,
    };
    let normal = ReportOptions::default();
    let parse = |s: String| serde_json::from_str::<Value>(&s).expect("valid JSON");
    vec![
        (
            "normal",
            parse(json_doc(
                normal,
                &[named(host("127.0.0.1", thousand_ports()), "localhost")],
                None,
            )),
        ),
        (
            "interrupted",
            parse(json_doc(normal, &[cut], Some("SIGINT received"))),
        ),
        ("empty", parse(json_doc(normal, &[], None))),
        ("ipv6", parse(json_doc(normal, &[v6], None))),
        (
            "open_only",
            parse(json_doc(
                open_only,
                &[host("127.0.0.1", thousand_ports())],
                None,
            )),
        ),
        (
            "timeout_and_down",
            parse(json_doc(normal, &[slow, down], None)),
        ),
        (
            "every_state_and_reason",
            parse(json_doc(normal, &[every_state_and_reason], None)),
        ),
        (
            "on_link",
            parse(json_doc(
                normal,
                &[
                    named(on_link("192.0.2.1", thousand_ports()), "gw.example"),
                    on_link_v6,
                ],
                None,
            )),
        ),
        (
            "discovery_only",
            parse(render(
                JsonReporter::boxed,
                normal,
                &discovery_start(),
                &[
                    on_link("192.0.2.1", Vec::new()),
                    host("127.0.0.1", Vec::new()),
                ],
                &summary(2, 254, None),
            )),
        ),
    ]
}

#[test]
fn schema_is_a_valid_draft_2020_12_schema() {
    let s = schema();
    assert_eq!(s["$schema"], "https://json-schema.org/draft/2020-12/schema");
    assert!(jsonschema::meta::is_valid(&s));
}

#[test]
fn schema_accepts_every_generated_document() {
    let v = validator();
    for (name, doc) in documents() {
        assert_eq!(errors(&v, &doc), Vec::<String>::new(), "document {name}");
    }
}

#[test]
fn schema_rejects_a_document_missing_a_field() {
    let v = validator();
    let (_, doc) = documents().swap_remove(0);

    let mut no_exit = doc.clone();
    no_exit["stats"]
        .as_object_mut()
        .expect("stats object")
        .remove("exit");
    assert!(!errors(&v, &no_exit).is_empty());

    let mut no_address = doc.clone();
    no_address["hosts"][0]
        .as_object_mut()
        .expect("host object")
        .remove("address");
    assert!(!errors(&v, &no_address).is_empty());

    let mut bad_state = doc.clone();
    bad_state["hosts"][0]["ports"][0]["state"] = "opened".into();
    assert!(!errors(&v, &bad_state).is_empty());

    let mut no_mac = doc.clone();
    no_mac["hosts"][0]
        .as_object_mut()
        .expect("host object")
        .remove("mac");
    assert!(!errors(&v, &no_mac).is_empty());

    let mut extra = doc;
    extra["surprise"] = true.into();
    assert!(!errors(&v, &extra).is_empty());
}

#[test]
fn schema_mac_is_null_or_six_lower_case_hex_pairs() {
    let v = validator();
    let (_, doc) = documents()
        .into_iter()
        .find(|(name, _)| *name == "on_link")
        .expect("on_link document");
    assert_eq!(doc["hosts"][0]["mac"], "02:42:c6:12:00:02");
    assert_eq!(errors(&v, &doc), Vec::<String>::new());
    let with_mac = |mac: Value| {
        let mut d = doc.clone();
        d["hosts"][0]["mac"] = mac;
        errors(&v, &d)
    };
    assert!(with_mac(Value::Null).is_empty());
    for bad in [
        "02:42:C6:12:00:02",
        "02-42-c6-12-00-02",
        "02:42:c6:12:00",
        "02:42:c6:12:00:02:ff",
        "2:42:c6:12:0:2",
        "",
    ] {
        assert!(!with_mac(bad.into()).is_empty(), "schema accepted {bad:?}");
    }
    assert!(!with_mac(42.into()).is_empty());
}

#[test]
fn schema_vocabularies_match_core() {
    let s = schema();
    let names = |v: &Value| -> Vec<String> {
        v["enum"]
            .as_array()
            .expect("enum")
            .iter()
            .map(|x| x.as_str().expect("string").to_string())
            .collect()
    };
    let reasons: Vec<String> = Reason::ALL.iter().map(|r| r.as_str().to_string()).collect();
    let states: Vec<String> = PortState::ALL
        .iter()
        .map(|s| s.as_str().to_string())
        .collect();
    assert_eq!(names(&s["$defs"]["reason"]), reasons);
    assert_eq!(names(&s["$defs"]["port_state"]), states);
}

/// Documents with an `audit` object (a failing and a passing audit), as the schema sees them.
fn audit_documents() -> Vec<(&'static str, Value)> {
    use crate::audit_fixtures::{failing_report, passing_report, with_audit};
    let parse = |s: String| serde_json::from_str::<Value>(&s).expect("valid JSON");
    let hosts = [named(host("127.0.0.1", thousand_ports()), "localhost")];
    let normal = ReportOptions::default();
    let start = crate::fixtures::start("1-1000");
    vec![
        (
            "failing_audit",
            parse(render(
                JsonReporter::boxed,
                normal,
                &start,
                &hosts,
                &with_audit(summary(3, 1, None), failing_report()),
            )),
        ),
        (
            "passing_audit",
            parse(render(
                JsonReporter::boxed,
                normal,
                &start,
                &hosts,
                &with_audit(summary(1, 0, None), passing_report()),
            )),
        ),
    ]
}

#[test]
fn schema_accepts_audit_documents_and_rejects_broken_audits() {
    let v = validator();
    let docs = audit_documents();
    for (name, doc) in &docs {
        assert!(doc["audit"].is_object(), "{name}");
        assert_eq!(errors(&v, doc), Vec::<String>::new(), "document {name}");
    }
    let failing = &docs[0].1;
    assert_eq!(failing["audit"]["findings"][2]["kind"], "host-down");
    let broken = |f: &dyn Fn(&mut Value)| {
        let mut d = failing.clone();
        f(&mut d);
        errors(&v, &d)
    };
    type Breakage<'a> = (&'a str, &'a dyn Fn(&mut Value));
    let cases: [Breakage<'_>; 9] = [
        ("unknown kind", &|d| {
            d["audit"]["findings"][0]["kind"] = "drift".into()
        }),
        ("unknown state", &|d| {
            d["audit"]["findings"][0]["state"] = "opened".into()
        }),
        ("port 0", &|d| d["audit"]["findings"][0]["port"] = 0.into()),
        ("port without protocol", &|d| {
            d["audit"]["findings"][0]["protocol"] = Value::Null
        }),
        ("protocol without port", &|d| {
            d["audit"]["findings"][2]["protocol"] = "tcp".into()
        }),
        ("rule not named expect[N]", &|d| {
            d["audit"]["findings"][0]["rule"] = "web".into()
        }),
        ("compliant with findings", &|d| {
            d["audit"]["compliant"] = true.into()
        }),
        ("missing checked_hosts", &|d| {
            d["audit"]
                .as_object_mut()
                .expect("audit")
                .remove("checked_hosts");
        }),
        ("extra field", &|d| {
            d["audit"]["findings"][0]["why"] = "x".into()
        }),
    ];
    for (what, f) in cases {
        assert!(
            !broken(f).is_empty(),
            "schema accepted a finding with {what}"
        );
    }
}

#[test]
fn schema_audit_vocabularies_match_core() {
    use scanfw_core::audit::{FindingKind, Observed};
    let s = schema();
    let strings = |v: &Value| -> Vec<String> {
        v.as_array()
            .expect("enum")
            .iter()
            .map(|x| x.as_str().expect("string").to_string())
            .collect()
    };
    let kinds: Vec<String> = FindingKind::ALL
        .iter()
        .map(|k| k.as_str().to_string())
        .collect();
    assert_eq!(
        strings(&s["$defs"]["finding"]["properties"]["kind"]["enum"]),
        kinds
    );
    let state = &s["$defs"]["finding"]["properties"]["state"]["oneOf"];
    assert_eq!(state[0]["$ref"], "#/$defs/port_state");
    let host_states: Vec<String> = Observed::HOST_STATES
        .iter()
        .map(|o| o.as_str().to_string())
        .collect();
    assert_eq!(strings(&state[1]["enum"]), host_states);
}
