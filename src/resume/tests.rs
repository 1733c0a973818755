use super::*;
use scanfw_core::result::HostStatus;
use scanfw_core::Reason;
use std::time::UNIX_EPOCH;

fn ip(s: &str) -> IpAddr {
    s.parse().expect("ip")
}

fn host(addr: &str, up: bool, partial: bool) -> HostResult {
    HostResult {
        addr: ip(addr),
        hostnames: vec![],
        status: HostStatus {
            up,
            reason: if up {
                Reason::SynAck
            } else {
                Reason::NoResponse
            },
            reason_ttl: 0,
        },
        mac: None,
        ports: vec![],
        start: UNIX_EPOCH,
        end: UNIX_EPOCH,
        timed_out: false,
        partial,
        times: None,
    }
}

#[test]
fn ranges_merge_and_cover_exactly() {
    let mut r = Ranges::default();
    for a in [
        "198.18.0.5",
        "198.18.0.3",
        "198.18.0.4",
        "198.18.0.7",
        "198.18.0.6",
        "fd00::1",
    ] {
        r.insert(ip(a));
    }
    r.insert(ip("198.18.0.4"));
    assert_eq!(r.len(), 6);
    assert!(r.contains(ip("198.18.0.3")) && r.contains(ip("198.18.0.7")));
    assert!(!r.contains(ip("198.18.0.2")) && !r.contains(ip("198.18.0.8")));
    assert_eq!(
        r.blocks(),
        ["198.18.0.3/32", "198.18.0.4/30", "fd00::1/128"]
    );
    assert_eq!(Ranges::from_json(&r.to_json()), Ok(r.clone()));
    let all: Vec<String> = r.iter().map(|a| a.to_string()).collect();
    assert_eq!(all.len(), 6);
    let mut big = Ranges::default();
    for n in 0..=255u8 {
        big.insert(IpAddr::from([10, 0, 0, n]));
    }
    assert_eq!(big.blocks(), ["10.0.0.0/24"]);
    assert!(Ranges::from_json(&serde_json::json!([["198.18.0.9", "198.18.0.1"]])).is_err());
    assert!(Ranges::from_json(&serde_json::json!([["198.18.0.1", "fd00::1"]])).is_err());
}

#[test]
fn the_recorder_writes_what_load_reads() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("scan.state");
    let saved = Saved {
        args: vec!["-sT".into(), "198.18.0.0/29".into()],
        fingerprint: "fp".into(),
        ..Saved::default()
    };
    let mut rec = Recorder::new(path.clone(), saved);
    rec.observe(&host("198.18.0.1", true, false));
    rec.observe(&host("198.18.0.2", false, false));
    rec.observe(&host("198.18.0.3", true, true));
    rec.write().expect("write");
    let back = load(&path).expect("load");
    assert_eq!(back.args, ["-sT", "198.18.0.0/29"]);
    assert_eq!(back.fingerprint, "fp");
    assert_eq!(back.up, vec![host("198.18.0.1", true, false)]);
    assert_eq!(back.partial, vec![host("198.18.0.3", true, true)]);
    assert!(back.down.contains(ip("198.18.0.2")));
    // The partial host finished later: it leaves `partial`.
    let mut rec = Recorder::new(path.clone(), back);
    rec.observe(&host("198.18.0.3", true, false));
    rec.write().expect("write");
    let back = load(&path).expect("load");
    assert!(back.partial.is_empty());
    assert_eq!(back.up.len(), 2);
    assert!(
        !dir.path().join("scan.state.tmp").exists(),
        "written beside, then renamed"
    );
}

#[test]
fn damaged_files_are_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("bad.state");
    for text in [
        "",
        "{}",
        "{\"scanfw_state\": 2}",
        "{\"scanfw_state\": 1, \"args\": [1]}",
    ] {
        std::fs::write(&path, text).expect("write");
        let e = load(&path).expect_err(text).to_string();
        assert!(e.contains("not a usable scanfw state file"), "{text}: {e}");
    }
    let e = load(&dir.path().join("missing"))
        .expect_err("missing")
        .to_string();
    assert!(e.contains("state file"), "{e}");
}
