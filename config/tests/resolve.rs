//! From a merged layer to the final configuration.

use scanfw_config::{defaults, resolve, ConfigError, Layer, OutputSpec};
use std::path::PathBuf;
use std::time::Duration;

fn ms(v: u64) -> Duration {
    Duration::from_millis(v)
}

fn with_targets(layer: Layer) -> Layer {
    Layer {
        targets: Some(vec!["127.0.0.1".into()]),
        ..layer
    }
    .over(defaults())
}

fn err(layer: Layer) -> String {
    match resolve(layer) {
        Ok(c) => panic!("should be rejected: {c:?}"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn defaults_with_a_target_resolve() {
    let c = resolve(with_targets(Layer::default())).expect("valid");
    assert_eq!(c.targets, vec!["127.0.0.1".to_string()]);
    assert!(c.excludes.is_empty());
    assert_eq!((c.ports, c.top_ports, c.exclude_ports), (None, None, None));
    assert_eq!(c.techniques, vec!["connect".to_string()]);
    assert_eq!(
        c.timing,
        scanfw_core::timing::Timing::template(3).expect("T3")
    );
    assert_eq!(c.outputs, vec![OutputSpec::stdout("table")]);
    assert!(!c.report.open_only && !c.report.reason);
}

#[test]
fn no_targets_is_an_error() {
    assert_eq!(
        err(defaults()),
        "no targets given: name hosts on the command line, with -iL FILE, or in the profile's targets"
    );
    let empty = Layer {
        targets: Some(Vec::new()),
        ..Layer::default()
    };
    assert!(matches!(
        resolve(empty.over(defaults())),
        Err(ConfigError::NoTargets)
    ));
}

#[test]
fn target_and_exclude_files_are_appended() {
    let dir = tempfile::tempdir().expect("tempdir");
    let hosts = dir.path().join("hosts.txt");
    let skip = dir.path().join("skip.txt");
    std::fs::write(&hosts, "10.0.0.1 10.0.0.2 # lab\n10.0.1.0/24,10.0.2.1\n").expect("write");
    std::fs::write(&skip, "# none yet\n10.0.1.7\n").expect("write");
    let layer = Layer {
        targets: Some(vec!["192.0.2.1".into()]),
        target_files: Some(vec![hosts]),
        exclude: Some(vec!["10.0.0.2".into()]),
        exclude_files: Some(vec![skip]),
        ..Layer::default()
    };
    let c = resolve(layer.over(defaults())).expect("valid");
    assert_eq!(
        c.targets,
        [
            "192.0.2.1",
            "10.0.0.1",
            "10.0.0.2",
            "10.0.1.0/24",
            "10.0.2.1"
        ]
    );
    assert_eq!(c.excludes, ["10.0.0.2", "10.0.1.7"]);
}

#[test]
fn only_target_files_are_enough() {
    let dir = tempfile::tempdir().expect("tempdir");
    let hosts = dir.path().join("hosts.txt");
    std::fs::write(&hosts, "10.0.0.1\n").expect("write");
    let layer = Layer {
        target_files: Some(vec![hosts]),
        ..Layer::default()
    };
    assert_eq!(
        resolve(layer.over(defaults())).expect("valid").targets,
        ["10.0.0.1"]
    );
    let dir_empty = dir.path().join("empty.txt");
    std::fs::write(&dir_empty, "# nothing\n").expect("write");
    let layer = Layer {
        target_files: Some(vec![dir_empty]),
        ..Layer::default()
    };
    assert!(matches!(
        resolve(layer.over(defaults())),
        Err(ConfigError::NoTargets)
    ));
}

#[test]
fn missing_target_file_is_reported() {
    let layer = Layer {
        target_files: Some(vec![PathBuf::from("/nonexistent/hosts.txt")]),
        ..Layer::default()
    };
    assert_eq!(
        err(layer.over(defaults())),
        "cannot read target file `/nonexistent/hosts.txt`: No such file or directory (os error 2)"
    );
}

#[test]
fn timing_is_template_then_overrides() {
    let c = resolve(with_targets(Layer {
        template: Some(4),
        max_retries: Some(1),
        min_rate: Some(10.0),
        max_rate: Some(100.0),
        host_timeout: Some(ms(60_000)),
        scan_delay: Some(ms(5)),
        initial_rtt_timeout: Some(ms(300)),
        min_rtt_timeout: Some(ms(50)),
        max_rtt_timeout: Some(ms(900)),
        min_parallelism: Some(2),
        max_parallelism: Some(50),
        ..Layer::default()
    }))
    .expect("valid");
    let t = c.timing;
    assert_eq!(t.template, 4);
    assert!(!t.serial);
    assert_eq!(t.max_retries, 1);
    assert_eq!((t.min_rate, t.max_rate), (Some(10.0), Some(100.0)));
    assert_eq!(t.host_timeout, Some(ms(60_000)));
    assert_eq!(t.scan_delay, ms(5));
    assert_eq!(t.max_scan_delay, ms(10), "T4's maximum scan delay kept");
    assert_eq!(
        (t.initial_rtt_timeout, t.min_rtt_timeout, t.max_rtt_timeout),
        (ms(300), ms(50), ms(900))
    );
    assert_eq!((t.min_parallelism, t.max_parallelism), (Some(2), Some(50)));
}

#[test]
fn template_values_give_way_to_explicit_ones() {
    // T3: initial 1000 ms, min 100 ms, max 10 s, max scan delay 1 s.
    let t = resolve(with_targets(Layer {
        max_rtt_timeout: Some(ms(50)),
        ..Layer::default()
    }))
    .expect("valid")
    .timing;
    assert_eq!(
        (t.min_rtt_timeout, t.initial_rtt_timeout, t.max_rtt_timeout),
        (ms(50), ms(50), ms(50))
    );
    let t = resolve(with_targets(Layer {
        min_rtt_timeout: Some(ms(20_000)),
        ..Layer::default()
    }))
    .expect("valid")
    .timing;
    assert_eq!(
        (t.min_rtt_timeout, t.initial_rtt_timeout, t.max_rtt_timeout),
        (ms(20_000), ms(20_000), ms(20_000))
    );
    let t = resolve(with_targets(Layer {
        initial_rtt_timeout: Some(ms(30_000)),
        ..Layer::default()
    }))
    .expect("valid")
    .timing;
    assert_eq!(
        (t.min_rtt_timeout, t.initial_rtt_timeout, t.max_rtt_timeout),
        (ms(100), ms(30_000), ms(30_000))
    );
    let t = resolve(with_targets(Layer {
        scan_delay: Some(ms(5000)),
        ..Layer::default()
    }))
    .expect("valid")
    .timing;
    assert_eq!((t.scan_delay, t.max_scan_delay), (ms(5000), ms(5000)));
}

#[test]
fn contradicting_explicit_timing_is_an_error() {
    let e = err(with_targets(Layer {
        min_rate: Some(500.0),
        max_rate: Some(100.0),
        ..Layer::default()
    }));
    assert!(
        e.starts_with("--min-rate (500) is above --max-rate (100)"),
        "{e}"
    );
    let e = err(with_targets(Layer {
        min_rtt_timeout: Some(ms(500)),
        max_rtt_timeout: Some(ms(100)),
        ..Layer::default()
    }));
    assert_eq!(e, "--min-rtt-timeout is above --max-rtt-timeout");
    let e = err(with_targets(Layer {
        min_parallelism: Some(10),
        max_parallelism: Some(5),
        ..Layer::default()
    }));
    assert_eq!(e, "--min-parallelism is above --max-parallelism");
    let e = err(with_targets(Layer {
        template: Some(7),
        ..Layer::default()
    }));
    assert!(e.starts_with("timing template must be 0-5"), "{e}");
}

#[test]
fn rates_and_durations_are_range_checked() {
    for (min, max, msg) in [
        (
            None,
            Some(1e-300),
            "--max-rate must be between 0.001 and 100000000 probes per second",
        ),
        (
            Some(1e-19),
            None,
            "--min-rate must be between 0.001 and 100000000 probes per second",
        ),
        (
            Some(1e-19),
            Some(5.0),
            "--min-rate must be between 0.001 and 100000000 probes per second",
        ),
        (
            None,
            Some(0.0),
            "--max-rate must be between 0.001 and 100000000 probes per second",
        ),
        (
            None,
            Some(1e9),
            "--max-rate must be between 0.001 and 100000000 probes per second",
        ),
    ] {
        let e = err(with_targets(Layer {
            min_rate: min,
            max_rate: max,
            ..Layer::default()
        }));
        assert_eq!(e, msg);
    }
    let c = resolve(with_targets(Layer {
        min_rate: Some(0.001),
        max_rate: Some(100_000_000.0),
        ..Layer::default()
    }))
    .expect("the bounds themselves are valid");
    assert_eq!(c.timing.max_rate, Some(100_000_000.0));
    let e = err(with_targets(Layer {
        host_timeout: Some(Duration::from_secs(31 * 24 * 3600)),
        ..Layer::default()
    }));
    assert_eq!(e, "--host-timeout must be at most 30 days (720h)");
    let e = err(with_targets(Layer {
        scan_delay: Some(Duration::MAX),
        ..Layer::default()
    }));
    assert_eq!(e, "--scan-delay must be at most 30 days (720h)");
}

#[test]
fn host_timeout_zero_is_no_limit() {
    let c = resolve(with_targets(Layer {
        host_timeout: Some(Duration::ZERO),
        ..Layer::default()
    }))
    .expect("valid");
    assert_eq!(c.timing.host_timeout, None);
    // Also over a profile's limit.
    let profile = Layer {
        host_timeout: Some(ms(60_000)),
        ..Layer::default()
    };
    let cli = Layer {
        host_timeout: Some(Duration::ZERO),
        ..Layer::default()
    };
    let c = resolve(with_targets(cli.over(profile))).expect("valid");
    assert_eq!(c.timing.host_timeout, None);
}

#[test]
fn huge_target_files_are_refused() {
    let layer = Layer {
        target_files: Some(vec![PathBuf::from("/dev/zero")]),
        ..Layer::default()
    };
    assert_eq!(
        err(layer.over(defaults())),
        "cannot read target file `/dev/zero`: it is larger than 64 MiB, the limit for target files"
    );
    let layer = Layer {
        exclude_files: Some(vec![PathBuf::from("/dev/zero")]),
        ..Layer::default()
    };
    assert_eq!(
        err(with_targets(layer)),
        "cannot read target file `/dev/zero`: it is larger than 64 MiB, the limit for target files"
    );
}

#[test]
fn techniques_and_outputs_must_not_be_empty() {
    let e = err(with_targets(Layer {
        techniques: Some(Vec::new()),
        ..Layer::default()
    }));
    assert!(e.starts_with("no scan technique selected"), "{e}");
    let e = err(with_targets(Layer {
        outputs: Some(Vec::new()),
        ..Layer::default()
    }));
    assert!(e.starts_with("no output selected"), "{e}");
}

#[test]
fn one_output_to_stdout_and_no_file_twice() {
    let p = |s| OutputSpec::parse(s).expect("valid");
    let e = err(with_targets(Layer {
        outputs: Some(vec![p("table"), p("xml=-")]),
        ..Layer::default()
    }));
    assert!(
        e.starts_with("only one output can go to standard output"),
        "{e}"
    );
    let e = err(with_targets(Layer {
        outputs: Some(vec![p("json=out"), p("xml=out")]),
        ..Layer::default()
    }));
    assert_eq!(e, "two outputs write to the same file `out`");
    let e = err(with_targets(Layer {
        outputs: Some(vec![p("json=same.out"), p("xml=./same.out")]),
        ..Layer::default()
    }));
    assert_eq!(
        e,
        "two outputs write to the same file `./same.out` (also given as `same.out`)"
    );
    let c = resolve(with_targets(Layer {
        outputs: Some(vec![p("table"), p("json=a.json"), p("xml=a.xml")]),
        ..Layer::default()
    }))
    .expect("valid");
    assert_eq!(c.outputs.len(), 3);
}

#[test]
fn report_options_follow_the_layer() {
    let c = resolve(with_targets(Layer {
        open_only: Some(true),
        reason: Some(true),
        ..Layer::default()
    }))
    .expect("valid");
    assert!(c.report.open_only && c.report.reason);
}
