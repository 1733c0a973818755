//! The plugin set is exactly what the linked crates register, and the binary lists it.

use scanfw_reporters as _;
use scanfw_techniques as _;

use scanfw_core::registry;
use std::process::Command;

#[test]
fn registered_techniques_are_exactly_these() {
    let names: Vec<&str> = registry::techniques()
        .expect("no duplicates")
        .iter()
        .map(|d| d.name)
        .collect();
    assert_eq!(
        names,
        ["ack", "connect", "fin", "maimon", "null", "syn", "udp", "window", "xmas"]
    );
}

#[test]
fn registered_reporters_are_exactly_these() {
    let names: Vec<&str> = registry::reporters()
        .expect("no duplicates")
        .iter()
        .map(|d| d.name)
        .collect();
    assert_eq!(names, ["json", "junit", "table", "xml"]);
}

#[test]
fn registered_discovery_methods_are_exactly_these() {
    let names: Vec<(&str, Option<char>)> = registry::discovery()
        .expect("no duplicates")
        .iter()
        .map(|d| (d.name, d.nmap_letter))
        .collect();
    assert_eq!(
        names,
        [
            ("arp", Some('R')),
            ("icmp-echo", Some('E')),
            ("icmp-netmask", Some('M')),
            ("icmp-timestamp", Some('P')),
            ("nd", Some('R')),
            ("tcp-ack", Some('A')),
            ("tcp-connect", None),
            ("tcp-syn", Some('S')),
            ("udp", Some('U')),
        ]
    );
}

#[test]
fn lookup_by_name_and_nmap_letter() {
    assert_eq!(registry::technique("T").expect("-sT").name, "connect");
    assert_eq!(registry::technique("S").expect("-sS").name, "syn");
    for (letter, name) in [
        ("F", "fin"),
        ("N", "null"),
        ("X", "xmas"),
        ("A", "ack"),
        ("W", "window"),
        ("M", "maimon"),
    ] {
        assert_eq!(registry::technique(letter).expect(letter).name, name);
    }
    assert_eq!(
        registry::technique("CONNECT")
            .expect("case-insensitive")
            .name,
        "connect"
    );
    assert_eq!(registry::reporter("X").expect("-oX").name, "xml");
    assert_eq!(registry::reporter("N").expect("-oN").name, "table");
    assert_eq!(
        registry::reporter("junit").expect("junit").nmap_letter,
        None
    );
    let err = registry::technique("nope")
        .expect_err("unknown")
        .to_string();
    assert!(
        err.contains("available: ack, connect, fin, maimon, null, syn, udp, window, xmas"),
        "{err}"
    );
}

#[test]
fn binary_lists_the_same_plugins() {
    let out = Command::new(env!("CARGO_BIN_EXE_scanfw"))
        .args(["--list-techniques", "--list-reporters"])
        .output()
        .expect("run scanfw");
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    let first_words: Vec<&str> = text
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .collect();
    assert_eq!(
        first_words,
        [
            "ack", "connect", "fin", "maimon", "null", "syn", "udp", "window", "xmas", "json",
            "junit", "table", "xml"
        ],
        "{text}"
    );
}
