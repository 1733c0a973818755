//! TOML audit profiles (see `docs/profiles.md`).
//!
//! The file is deserialized with `deny_unknown_fields` into raw structures whose values keep
//! their spans; each value is then checked and converted, so every error points at the file,
//! line and column of the offending key or value and names the key.

use crate::error::ConfigError;
use crate::layer::{Layer, ResolveMode};
use crate::output::{check_outputs, OutputSpec};
use crate::value::Val;
use crate::ScopeSpec;
use scanfw_core::ports::PortSpec;
use scanfw_core::services;
use scanfw_core::target::{read_bounded, Bounded};
use scanfw_core::timing::{parse_duration, rate_in_range, Timing, RATE_RANGE};
use scanfw_core::Protocol;
use serde::de::{Deserializer, SeqAccess, Visitor};
use serde::Deserialize;
use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::time::Duration;
use toml::Spanned;

mod expect;
mod sending;
use expect::{ExpectList, GroupTable, EXPECT_KEYS, EXPECT_LIST, EXPECT_TABLE, GROUPS_TABLE};
use sending::SendingKeys;

/// The names a profile may use: the binary passes the registered technique names (plus nmap's
/// letters), reporter names and discovery method names (plus nmap's `-P` letters).
#[derive(Debug, Clone, Copy)]
pub struct Known<'a> {
    /// Valid values of `technique` / `techniques`.
    pub techniques: &'a [&'a str],
    /// Valid values of `output.format`.
    pub reporters: &'a [&'a str],
    /// Valid method names in `discovery.methods` (the part before any `:ports`).
    pub discovery: &'a [&'a str],
}

/// Keys of the top level, in documentation order.
const TOP_KEYS: &[&str] = &[
    "targets",
    "target_files",
    "exclude",
    "exclude_files",
    "ports",
    "top_ports",
    "exclude_ports",
    "technique",
    "techniques",
    "open",
    "reason",
    "seed",
    "source_ip",
    "scanflags",
    "defeat_icmp_ratelimit",
    "fallback",
    "privileges",
    "baseline",
    "state",
    "timing",
    "discovery",
    "dns",
    "scope",
    "output",
    "groups",
    "expect",
];
/// Keys of `[timing]`.
const TIMING_KEYS: &[&str] = &[
    "template",
    "max_retries",
    "min_rate",
    "max_rate",
    "host_timeout",
    "scan_delay",
    "initial_rtt_timeout",
    "min_rtt_timeout",
    "max_rtt_timeout",
    "min_parallelism",
    "max_parallelism",
];
/// Keys of each `[[output]]`.
const OUTPUT_KEYS: &[&str] = &["format", "path"];
/// Keys of `[discovery]`.
const DISCOVERY_KEYS: &[&str] = &["skip", "only", "methods", "arp"];
/// Keys of `[dns]`.
const DNS_KEYS: &[&str] = &["resolve", "servers"];
/// Keys of `[scope]`.
const SCOPE_KEYS: &[&str] = &["allow", "deny"];

/// `expecting` markers, recognised in serde's type errors and rewritten.
const TIMING_TABLE: &str = "@timing-table@";
const OUTPUT_TABLE: &str = "@output-table@";
const OUTPUT_LIST: &str = "@output-list@";
const DISCOVERY_TABLE: &str = "@discovery-table@";
const DNS_TABLE: &str = "@dns-table@";
const SCOPE_TABLE: &str = "@scope-table@";

type Field = Option<Spanned<Val>>;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawProfile {
    targets: Field,
    target_files: Field,
    exclude: Field,
    exclude_files: Field,
    ports: Field,
    top_ports: Field,
    exclude_ports: Field,
    technique: Field,
    techniques: Field,
    open: Field,
    reason: Field,
    seed: Field,
    source_ip: Field,
    scanflags: Field,
    defeat_icmp_ratelimit: Field,
    fallback: Field,
    privileges: Field,
    baseline: Field,
    state: Field,
    timing: Option<RawTiming>,
    discovery: Option<RawDiscovery>,
    dns: Option<RawDns>,
    scope: Option<Spanned<RawScope>>,
    output: Option<OutputList>,
    groups: Option<GroupTable>,
    expect: Option<ExpectList>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, expecting = "@timing-table@")]
struct RawTiming {
    template: Field,
    max_retries: Field,
    min_rate: Field,
    max_rate: Field,
    host_timeout: Field,
    scan_delay: Field,
    initial_rtt_timeout: Field,
    min_rtt_timeout: Field,
    max_rtt_timeout: Field,
    min_parallelism: Field,
    max_parallelism: Field,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, expecting = "@discovery-table@")]
struct RawDiscovery {
    skip: Field,
    only: Field,
    methods: Field,
    arp: Field,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, expecting = "@scope-table@")]
struct RawScope {
    allow: Field,
    deny: Field,
}

/// A scope file (`--scope FILE`): a `[scope]` table and nothing else.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawScopeFile {
    scope: Option<Spanned<RawScope>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, expecting = "@dns-table@")]
struct RawDns {
    resolve: Field,
    servers: Field,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, expecting = "@output-table@")]
struct RawOutput {
    format: Field,
    path: Field,
}

/// The `[[output]]` array, with a recognisable type error when `output` is not an array.
struct OutputList(Vec<Spanned<RawOutput>>);

impl<'de> Deserialize<'de> for OutputList {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<OutputList, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = OutputList;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(OUTPUT_LIST)
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<OutputList, A::Error> {
                let mut items = Vec::new();
                while let Some(item) = seq.next_element()? {
                    items.push(item);
                }
                Ok(OutputList(items))
            }
        }
        d.deserialize_seq(V)
    }
}

/// The largest profile read, in bytes (1 MiB). A larger file (or an endless one such as
/// `/dev/zero`) is refused, and only this much of it is read.
pub const MAX_PROFILE: u64 = 1 << 20;

/// Reads a profile or scope file, at most [`MAX_PROFILE`] bytes.
fn read_profile(path: &Path) -> Result<String, ConfigError> {
    read_bounded(path, MAX_PROFILE).map_err(|e| ConfigError::ReadProfile {
        path: path.display().to_string(),
        detail: match e {
            Bounded::Io(e) => e.to_string(),
            Bounded::TooLarge => format!(
                "it is larger than {} MiB, the limit for profiles",
                MAX_PROFILE >> 20
            ),
        },
    })
}

/// Reads and parses the profile at `path` (at most [`MAX_PROFILE`] bytes).
pub fn load_profile(path: &Path, known: &Known<'_>) -> Result<Layer, ConfigError> {
    parse_profile(&read_profile(path)?, path, known)
}

/// Reads a scope file (`--scope FILE`): a profile holding only a `[scope]` table.
pub fn load_scope(path: &Path) -> Result<ScopeSpec, ConfigError> {
    parse_scope(&read_profile(path)?, path)
}

/// Parses scope-file text (see [`load_scope`]); `origin` names the file in messages.
pub fn parse_scope(text: &str, origin: &Path) -> Result<ScopeSpec, ConfigError> {
    let known = Known {
        techniques: &[],
        reporters: &[],
        discovery: &[],
    };
    let cx = Cx {
        text,
        origin,
        dir: origin.parent().map(Path::to_path_buf).unwrap_or_default(),
        known: &known,
    };
    let raw: RawScopeFile = toml::from_str(text).map_err(|e| cx.toml_error(&e))?;
    match &raw.scope {
        Some(s) => cx.scope(s),
        None => Err(cx.err(0..0, "a scope file needs a [scope] table with `allow`")),
    }
}

/// Parses profile text. `origin` is the file it came from: it names the file in messages, and
/// relative paths in the profile are relative to its directory.
pub fn parse_profile(text: &str, origin: &Path, known: &Known<'_>) -> Result<Layer, ConfigError> {
    let cx = Cx {
        text,
        origin,
        dir: origin.parent().map(Path::to_path_buf).unwrap_or_default(),
        known,
    };
    let raw: RawProfile = toml::from_str(text).map_err(|e| cx.toml_error(&e))?;
    cx.convert(raw)
}

/// Everything needed to check values and locate errors.
struct Cx<'a> {
    text: &'a str,
    origin: &'a Path,
    dir: PathBuf,
    known: &'a Known<'a>,
}

/// 1-based line and column (in characters) of byte `offset` in `text`.
fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    (line, before[line_start..].chars().count() + 1)
}

/// Rewrites serde's "unknown field `x`, expected one of ..." for one of our tables.
fn unknown_key(message: &str) -> Option<String> {
    let rest = message.strip_prefix("unknown field `")?;
    let (name, expected) = rest.split_once('`')?;
    // Which table: recognised by the field list serde gives (not by the unknown name, which
    // may be a key of another table).
    let (prefix, keys) = if expected.contains("`max_retries`") {
        ("timing.", TIMING_KEYS)
    } else if expected.contains("`format`") {
        ("output.", OUTPUT_KEYS)
    } else if expected.contains("`methods`") {
        ("discovery.", DISCOVERY_KEYS)
    } else if expected.contains("`servers`") {
        ("dns.", DNS_KEYS)
    } else if expected.contains("`allowed`") {
        ("expect.", EXPECT_KEYS)
    } else if expected.contains("`allow`") {
        ("scope.", SCOPE_KEYS)
    } else if expected.trim_end() == ", expected `scope`" {
        return Some(format!(
            "unknown key `{name}`: a scope file holds only a [scope] table (allow, deny)"
        ));
    } else {
        ("", TOP_KEYS)
    };
    Some(format!(
        "unknown key `{prefix}{name}` (expected one of: {})",
        keys.join(", ")
    ))
}

/// Rewrites "invalid type: X, expected MARKER" for the sections.
fn section_type(message: &str) -> Option<String> {
    let found = message.strip_prefix("invalid type: ")?;
    let (found, marker) = found.rsplit_once(", expected ")?;
    let (key, expected) = match marker {
        TIMING_TABLE => ("timing", "a table (a [timing] section)"),
        OUTPUT_TABLE => ("output", "a table (an [[output]] section)"),
        OUTPUT_LIST => ("output", "an array of tables ([[output]] sections)"),
        DISCOVERY_TABLE => ("discovery", "a table (a [discovery] section)"),
        DNS_TABLE => ("dns", "a table (a [dns] section)"),
        GROUPS_TABLE => ("groups", "a table (a [groups] section)"),
        EXPECT_TABLE => ("expect", "a table (an [[expect]] section)"),
        EXPECT_LIST => ("expect", "an array of tables ([[expect]] sections)"),
        SCOPE_TABLE => ("scope", "a table (a [scope] section)"),
        _ => return None,
    };
    Some(format!(
        "invalid value for `{key}`: expected {expected}, found {found}"
    ))
}

impl Cx<'_> {
    fn err(&self, span: Range<usize>, message: impl Into<String>) -> ConfigError {
        let (line, column) = line_column(self.text, span.start);
        ConfigError::Profile {
            file: self.origin.display().to_string(),
            line,
            column,
            message: message.into(),
        }
    }

    fn toml_error(&self, e: &toml::de::Error) -> ConfigError {
        let raw = e.message().trim_end();
        let span = e.span();
        let message = unknown_key(raw)
            .or_else(|| section_type(raw))
            .or_else(|| {
                // Name the key of a duplicate.
                let key = self.text.get(span.clone()?)?.trim();
                (raw == "duplicate key" && !key.is_empty())
                    .then(|| format!("duplicate key `{key}`"))
            })
            .unwrap_or_else(|| raw.to_string());
        self.err(span.unwrap_or(0..0), message)
    }

    fn invalid(&self, key: &str, v: &Spanned<Val>, what: impl fmt::Display) -> ConfigError {
        self.err(v.span(), format!("invalid value for `{key}`: {what}"))
    }

    fn expected(&self, key: &str, v: &Spanned<Val>, expected: &str) -> ConfigError {
        self.invalid(
            key,
            v,
            format_args!("expected {expected}, found {}", self.found(v)),
        )
    }

    /// What a value is, with its source text when short: ``integer `5` ``, `an array`.
    fn found(&self, v: &Spanned<Val>) -> String {
        let kind = v.get_ref().kind();
        let source = self.text.get(v.span()).unwrap_or("");
        match v.get_ref() {
            Val::Array(_) => "an array".to_string(),
            Val::Table => "a table".to_string(),
            _ if source.is_empty() || source.len() > 40 || source.contains('\n') => {
                format!("a {kind}")
            }
            _ => format!("{kind} `{source}`"),
        }
    }

    fn string<'v>(&self, key: &str, v: &'v Spanned<Val>) -> Result<&'v str, ConfigError> {
        match v.get_ref() {
            Val::Str(s) => Ok(s),
            _ => Err(self.expected(key, v, "a string")),
        }
    }

    fn boolean(&self, key: &str, v: &Spanned<Val>) -> Result<bool, ConfigError> {
        match v.get_ref() {
            Val::Bool(b) => Ok(*b),
            _ => Err(self.expected(key, v, "true or false")),
        }
    }

    /// An integer in `min..=max`.
    fn integer(&self, key: &str, v: &Spanned<Val>, min: u64, max: u64) -> Result<u64, ConfigError> {
        let expected = if min == 0 {
            "a non-negative integer"
        } else {
            "a positive integer"
        };
        match v.get_ref() {
            Val::Int(i) => match u64::try_from(*i) {
                Ok(n) if (min..=max).contains(&n) => Ok(n),
                _ => Err(self.invalid(
                    key,
                    v,
                    format_args!("{i} is out of range (expected {min} to {max})"),
                )),
            },
            Val::Huge(i) => Err(self.invalid(
                key,
                v,
                format_args!("{i} is out of range (expected {min} to {max})"),
            )),
            _ => Err(self.expected(key, v, expected)),
        }
    }

    /// An array of non-empty strings, each with its span.
    fn strings(&self, key: &str, v: &Spanned<Val>) -> Result<Vec<Spanned<String>>, ConfigError> {
        let Val::Array(items) = v.get_ref() else {
            return Err(self.expected(key, v, "an array of strings"));
        };
        items
            .iter()
            .map(|item| match item.get_ref() {
                Val::Str(s) if s.trim().is_empty() => {
                    Err(self.invalid(key, item, "entries must not be empty"))
                }
                Val::Str(s) => Ok(Spanned::new(item.span(), s.clone())),
                _ => Err(self.expected(key, item, "a string entry")),
            })
            .collect()
    }

    /// A path, relative to the profile's directory.
    fn path(&self, p: &str) -> PathBuf {
        let p = Path::new(p);
        if p.is_absolute() {
            p.to_path_buf()
        } else {
            self.dir.join(p)
        }
    }

    fn paths(&self, key: &str, v: &Spanned<Val>) -> Result<Vec<PathBuf>, ConfigError> {
        Ok(self
            .strings(key, v)?
            .iter()
            .map(|s| self.path(s.get_ref()))
            .collect())
    }

    fn ports(&self, key: &str, v: &Spanned<Val>) -> Result<PortSpec, ConfigError> {
        let text = match v.get_ref() {
            Val::Str(s) => s.clone(),
            Val::Int(i) => i.to_string(),
            Val::Huge(i) => i.clone(),
            _ => {
                return Err(self.expected(key, v, "a port list string (e.g. \"22,80,8000-8100\")"))
            }
        };
        PortSpec::parse(&text).map_err(|e| self.invalid(key, v, e))
    }

    fn rate(&self, key: &str, v: &Spanned<Val>) -> Result<f64, ConfigError> {
        let r = match v.get_ref() {
            Val::Int(i) => *i as f64,
            Val::Huge(i) => i.parse().unwrap_or(f64::INFINITY),
            Val::Float(f) => *f,
            _ => return Err(self.expected(key, v, "a number of probes per second")),
        };
        if rate_in_range(r) {
            Ok(r)
        } else {
            Err(self.invalid(key, v, format_args!("must be {RATE_RANGE}")))
        }
    }

    fn duration(&self, key: &str, v: &Spanned<Val>) -> Result<Duration, ConfigError> {
        let text = match v.get_ref() {
            Val::Str(s) => s.clone(),
            Val::Int(i) => i.to_string(),
            Val::Huge(i) => i.clone(),
            Val::Float(f) => f.to_string(),
            _ => {
                return Err(self.expected(
                    key,
                    v,
                    "a time such as \"500ms\", \"30s\", \"15m\" or a number of seconds",
                ))
            }
        };
        parse_duration(&text).map_err(|e| self.invalid(key, v, e))
    }

    fn template(&self, key: &str, v: &Spanned<Val>) -> Result<u8, ConfigError> {
        let text = match v.get_ref() {
            Val::Str(s) => s.clone(),
            Val::Int(i) => i.to_string(),
            Val::Huge(i) => i.clone(),
            _ => {
                return Err(self.expected(
                    key,
                    v,
                    "a template 0-5, \"T4\" or a name such as \"aggressive\"",
                ))
            }
        };
        Timing::parse_template(&text).map_err(|e| self.invalid(key, v, e))
    }

    fn technique(&self, key: &str, v: &Spanned<String>) -> Result<String, ConfigError> {
        let name = v.get_ref();
        if self.known.techniques.contains(&name.as_str()) {
            Ok(name.clone())
        } else {
            Err(self.err(
                v.span(),
                format!(
                    "unknown technique `{name}` for `{key}` (available: {})",
                    self.known.techniques.join(", ")
                ),
            ))
        }
    }

    /// Error for two keys that cannot both be given, at the later one.
    fn both(&self, a: (&str, &Spanned<Val>), b: (&str, &Spanned<Val>), hint: &str) -> ConfigError {
        let later = if a.1.span().start > b.1.span().start {
            a.1
        } else {
            b.1
        };
        self.err(
            later.span(),
            format!("`{}` and `{}` cannot both be given: {hint}", a.0, b.0),
        )
    }

    fn convert(&self, raw: RawProfile) -> Result<Layer, ConfigError> {
        let mut layer = Layer::default();

        if let Some(v) = raw.targets.as_ref() {
            let list = self.strings("targets", v)?;
            layer.targets = Some(list.into_iter().map(Spanned::into_inner).collect());
        }
        if let Some(v) = raw.target_files.as_ref() {
            layer.target_files = Some(self.paths("target_files", v)?);
        }
        if let Some(v) = raw.exclude.as_ref() {
            let list = self.strings("exclude", v)?;
            layer.exclude = Some(list.into_iter().map(Spanned::into_inner).collect());
        }
        if let Some(v) = raw.exclude_files.as_ref() {
            layer.exclude_files = Some(self.paths("exclude_files", v)?);
        }

        if let (Some(p), Some(t)) = (raw.ports.as_ref(), raw.top_ports.as_ref()) {
            return Err(self.both(
                ("ports", p),
                ("top_ports", t),
                "a profile selects ports with one of them",
            ));
        }
        if let Some(v) = raw.ports.as_ref() {
            layer.ports = Some(self.ports("ports", v)?);
        }
        if let Some(v) = raw.top_ports.as_ref() {
            let max = services::top_ports(Protocol::Tcp)
                .len()
                .max(services::top_ports(Protocol::Udp).len());
            let n = self.integer("top_ports", v, 1, max as u64)?;
            layer.top_ports = Some(n as usize);
        }
        if let Some(v) = raw.exclude_ports.as_ref() {
            layer.exclude_ports = Some(self.ports("exclude_ports", v)?);
        }

        match (raw.technique.as_ref(), raw.techniques.as_ref()) {
            (Some(one), Some(many)) => {
                return Err(self.both(
                    ("technique", one),
                    ("techniques", many),
                    "use `technique` for one or `techniques` for a list",
                ))
            }
            (Some(v), None) => {
                let name = self.string("technique", v)?;
                let name = Spanned::new(v.span(), name.to_string());
                layer.techniques = Some(vec![self.technique("technique", &name)?]);
            }
            (None, Some(v)) => {
                let list = self.strings("techniques", v)?;
                if list.is_empty() {
                    return Err(self.invalid(
                        "techniques",
                        v,
                        "the list is empty (name at least one technique)",
                    ));
                }
                let mut names: Vec<String> = Vec::new();
                for item in &list {
                    let name = self.technique("techniques", item)?;
                    if names.contains(&name) {
                        return Err(self.err(
                            item.span(),
                            format!("invalid value for `techniques`: `{name}` is listed twice"),
                        ));
                    }
                    names.push(name);
                }
                layer.techniques = Some(names);
            }
            (None, None) => {}
        }

        if let Some(v) = raw.open.as_ref() {
            layer.open_only = Some(self.boolean("open", v)?);
        }
        if let Some(v) = raw.reason.as_ref() {
            layer.reason = Some(self.boolean("reason", v)?);
        }
        self.sending(
            &SendingKeys {
                seed: &raw.seed,
                source_ip: &raw.source_ip,
                scanflags: &raw.scanflags,
                defeat_icmp_ratelimit: &raw.defeat_icmp_ratelimit,
                fallback: &raw.fallback,
                privileges: &raw.privileges,
            },
            &mut layer,
        )?;
        if let Some(v) = raw.baseline.as_ref() {
            layer.baseline = Some(match self.string("baseline", v)? {
                p if p.trim().is_empty() => {
                    return Err(self.invalid(
                        "baseline",
                        v,
                        "the path is empty (name an earlier report, or leave `baseline` out)",
                    ))
                }
                p => self.path(p),
            });
        }
        if let Some(v) = raw.state.as_ref() {
            layer.state = Some(match self.string("state", v)? {
                p if p.trim().is_empty() => {
                    return Err(self.invalid(
                        "state",
                        v,
                        "the path is empty (name the file that keeps the progress, or leave `state` out)",
                    ))
                }
                p => self.path(p),
            });
        }
        if let Some(t) = &raw.timing {
            self.timing(t, &mut layer)?;
        }
        if let Some(d) = &raw.discovery {
            self.discovery(d, &mut layer)?;
        }
        if let Some(d) = &raw.dns {
            self.dns(d, &mut layer)?;
        }
        if let Some(list) = &raw.output {
            layer.outputs = Some(self.outputs(&list.0)?);
        }
        layer.expect = self.expectations(raw.groups.as_ref(), raw.expect.as_ref())?;
        if let Some(s) = &raw.scope {
            layer.scopes.push(self.scope(s)?);
        }
        Ok(layer)
    }

    /// `[scope]`: `allow` (required, not empty) and `deny`, each a list of targets as `targets`
    /// takes them; entries are checked for syntax here, names resolved when the scan is planned.
    fn scope(&self, s: &Spanned<RawScope>) -> Result<ScopeSpec, ConfigError> {
        let list = |key: &str, v: &Spanned<Val>| -> Result<Vec<String>, ConfigError> {
            let items = self.strings(key, v)?;
            for item in &items {
                scanfw_core::scope::Scope::check_entry(item.get_ref()).map_err(|e| {
                    self.err(item.span(), format!("invalid value for `{key}`: {e}"))
                })?;
            }
            Ok(items.into_iter().map(Spanned::into_inner).collect())
        };
        let raw = s.get_ref();
        let Some(allow) = raw.allow.as_ref() else {
            return Err(self.err(
                s.span(),
                "`scope` needs `allow`, the list of addresses, blocks and names that may be probed",
            ));
        };
        let allow_list = list("scope.allow", allow)?;
        if allow_list.is_empty() {
            return Err(self.invalid(
                "scope.allow",
                allow,
                "the list is empty (an empty scope allows nothing: name what may be probed)",
            ));
        }
        let deny = match raw.deny.as_ref() {
            Some(v) => {
                let entries = self.strings("scope.deny", v)?;
                let deny = list("scope.deny", v)?;
                // A deny entry that swallows a whole allow entry is a mistake in the scope
                // (that allow entry could never be scanned), not a way to write one.
                for d in &entries {
                    if let Some(a) = allow_list
                        .iter()
                        .find(|a| scanfw_core::scope::Scope::covers(d.get_ref(), a))
                    {
                        return Err(self.err(
                            d.span(),
                            format!(
                                "invalid value for `scope.deny`: `{}` covers all of the allowed `{a}`, which could never be scanned (narrow the deny entry or drop the allow entry)",
                                d.get_ref()
                            ),
                        ));
                    }
                }
                deny
            }
            None => Vec::new(),
        };
        let (line, _) = line_column(self.text, s.span().start);
        Ok(ScopeSpec {
            allow: allow_list,
            deny,
            origin: format!("{}:{line}", self.origin.display()),
        })
    }

    /// `[discovery]`. `skip` and `only` may both be true (as nmap's `-Pn -sn`: every target is
    /// listed as up, nothing is probed).
    fn discovery(&self, d: &RawDiscovery, layer: &mut Layer) -> Result<(), ConfigError> {
        if let Some(v) = d.skip.as_ref() {
            layer.no_ping = Some(self.boolean("discovery.skip", v)?);
        }
        if let Some(v) = d.only.as_ref() {
            layer.ping_only = Some(self.boolean("discovery.only", v)?);
        }
        if let Some(v) = d.methods.as_ref() {
            let key = "discovery.methods";
            let list = self.strings(key, v)?;
            if list.is_empty() {
                return Err(self.invalid(
                    key,
                    v,
                    "the list is empty (name at least one method, or set `skip = true` to skip discovery)",
                ));
            }
            let mut names: Vec<&str> = Vec::new();
            for item in &list {
                let name = self.method(key, item)?;
                if names.contains(&name) {
                    return Err(self.err(
                        item.span(),
                        format!(
                            "invalid value for `{key}`: `{name}` is listed twice (give all its ports in one entry, e.g. \"{name}:22,80\")"
                        ),
                    ));
                }
                names.push(name);
            }
            layer.ping_methods = Some(list.into_iter().map(Spanned::into_inner).collect());
        }
        if let Some(v) = d.arp.as_ref() {
            layer.arp_ping = Some(self.boolean("discovery.arp", v)?);
        }
        Ok(())
    }

    /// One `discovery.methods` entry, `name` or `name:ports`: checks the name against the
    /// known methods and the port list's shape; returns the name.
    fn method<'v>(&self, key: &str, v: &'v Spanned<String>) -> Result<&'v str, ConfigError> {
        let entry = v.get_ref().as_str();
        let (name, ports) = match entry.split_once(':') {
            Some((name, ports)) => (name, Some(ports)),
            None => (entry, None),
        };
        if name.trim().is_empty() {
            return Err(self.err(
                v.span(),
                format!(
                    "invalid value for `{key}`: `{entry}` has no method name (expected `name` or `name:ports`, e.g. \"tcp-syn:22,80\")"
                ),
            ));
        }
        if !self.known.discovery.contains(&name) {
            return Err(self.err(
                v.span(),
                format!(
                    "unknown discovery method `{name}` for `{key}` (available: {})",
                    self.known.discovery.join(", ")
                ),
            ));
        }
        if let Some(ports) = ports {
            check_port_list(ports).map_err(|e| {
                self.err(
                    v.span(),
                    format!("invalid value for `{key}`: bad port list in `{entry}`: {e}"),
                )
            })?;
        }
        Ok(name)
    }

    fn dns(&self, d: &RawDns, layer: &mut Layer) -> Result<(), ConfigError> {
        if let Some(v) = d.resolve.as_ref() {
            let key = "dns.resolve";
            let expected = "\"never\" (as -n), \"up\" or \"always\" (as -R)";
            let mode = match v.get_ref() {
                Val::Str(s) if s == "never" => ResolveMode::Never,
                Val::Str(s) if s == "up" => ResolveMode::Up,
                Val::Str(s) if s == "always" => ResolveMode::Always,
                _ => return Err(self.expected(key, v, expected)),
            };
            layer.resolve = Some(mode);
        }
        if let Some(v) = d.servers.as_ref() {
            let key = "dns.servers";
            let list = self.strings(key, v)?;
            for item in &list {
                check_server(item.get_ref()).map_err(|e| {
                    self.err(item.span(), format!("invalid value for `{key}`: {e}"))
                })?;
            }
            layer.dns_servers = Some(list.into_iter().map(Spanned::into_inner).collect());
        }
        Ok(())
    }

    fn timing(&self, t: &RawTiming, layer: &mut Layer) -> Result<(), ConfigError> {
        let u32_max = u64::from(u32::MAX);
        if let Some(v) = t.template.as_ref() {
            layer.template = Some(self.template("timing.template", v)?);
        }
        if let Some(v) = t.max_retries.as_ref() {
            layer.max_retries = Some(self.integer("timing.max_retries", v, 0, u32_max)? as u32);
        }
        if let Some(v) = t.min_rate.as_ref() {
            layer.min_rate = Some(self.rate("timing.min_rate", v)?);
        }
        if let Some(v) = t.max_rate.as_ref() {
            layer.max_rate = Some(self.rate("timing.max_rate", v)?);
        }
        let durations = [
            (
                "timing.host_timeout",
                &t.host_timeout,
                &mut layer.host_timeout,
            ),
            ("timing.scan_delay", &t.scan_delay, &mut layer.scan_delay),
            (
                "timing.initial_rtt_timeout",
                &t.initial_rtt_timeout,
                &mut layer.initial_rtt_timeout,
            ),
            (
                "timing.min_rtt_timeout",
                &t.min_rtt_timeout,
                &mut layer.min_rtt_timeout,
            ),
            (
                "timing.max_rtt_timeout",
                &t.max_rtt_timeout,
                &mut layer.max_rtt_timeout,
            ),
        ];
        for (key, field, slot) in durations {
            if let Some(v) = field.as_ref() {
                *slot = Some(self.duration(key, v)?);
            }
        }
        if let Some(v) = t.min_parallelism.as_ref() {
            layer.min_parallelism =
                Some(self.integer("timing.min_parallelism", v, 0, u32_max)? as u32);
        }
        if let Some(v) = t.max_parallelism.as_ref() {
            layer.max_parallelism =
                Some(self.integer("timing.max_parallelism", v, 1, u32_max)? as u32);
        }
        Ok(())
    }

    fn outputs(&self, list: &[Spanned<RawOutput>]) -> Result<Vec<OutputSpec>, ConfigError> {
        let mut outputs: Vec<OutputSpec> = Vec::new();
        for entry in list {
            let raw = entry.get_ref();
            let Some(fv) = &raw.format else {
                return Err(self.err(
                    entry.span(),
                    "missing key `output.format` in this [[output]] section (e.g. format = \"json\")",
                ));
            };
            let format = self.string("output.format", fv)?;
            if !self.known.reporters.contains(&format) {
                return Err(self.err(
                    fv.span(),
                    format!(
                        "unknown output format `{format}` for `output.format` (available: {})",
                        self.known.reporters.join(", ")
                    ),
                ));
            }
            let path = match &raw.path {
                None => None,
                Some(pv) => match self.string("output.path", pv)? {
                    "-" => None,
                    p if p.trim().is_empty() => return Err(self.invalid(
                        "output.path",
                        pv,
                        "the path is empty (leave `path` out, or use \"-\", for standard output)",
                    )),
                    p => Some(self.path(p)),
                },
            };
            outputs.push(OutputSpec {
                format: format.to_string(),
                path,
            });
            if let Err(e) = check_outputs(&outputs) {
                let at = raw.path.as_ref().map_or(entry.span(), Spanned::span);
                return Err(self.err(at, e.to_string()));
            }
        }
        Ok(outputs)
    }
}

/// Checks a discovery port list: comma-separated ports `N` and ranges `N-M`, each 1-65535, no
/// empty entries.
fn check_port_list(list: &str) -> Result<(), String> {
    if list.is_empty() {
        return Err("no ports after `:` (leave out the `:` for the method's default ports)".into());
    }
    let port = |p: &str| match p.parse::<u32>() {
        Ok(n) if (1..=65535).contains(&n) => Ok(n),
        Ok(n) => Err(format!("port {n} is out of range (expected 1 to 65535)")),
        Err(_) if p.is_empty() => Err("empty entry".to_string()),
        Err(_) => Err(format!("`{p}` is not a port number")),
    };
    for item in list.split(',') {
        match item.split_once('-') {
            Some((a, b)) => {
                let (a, b) = (port(a)?, port(b)?);
                if a > b {
                    return Err(format!("invalid port range `{item}`: start is above end"));
                }
            }
            None => {
                port(item)?;
            }
        }
    }
    Ok(())
}

/// Checks a DNS server entry: an IP address, `[IPv6]`, `IPv4:port` or `[IPv6]:port`, port
/// 1-65535.
fn check_server(entry: &str) -> Result<(), String> {
    if entry.parse::<IpAddr>().is_ok() {
        return Ok(());
    }
    let bracketed = |h: &str| {
        h.strip_prefix('[')
            .and_then(|h| h.strip_suffix(']'))
            .is_some_and(|h| h.parse::<Ipv6Addr>().is_ok())
    };
    if bracketed(entry) {
        return Ok(());
    }
    let not_address = || {
        format!(
            "`{entry}` is not an IP address, [IPv6]:port or IPv4:port (e.g. \"198.18.0.53\", \"[fd00::53]:5353\")"
        )
    };
    let (host, port) = entry.rsplit_once(':').ok_or_else(not_address)?;
    if !(bracketed(host) || host.parse::<Ipv4Addr>().is_ok()) {
        return Err(not_address());
    }
    match port.parse::<u32>() {
        Ok(p) if (1..=65535).contains(&p) => Ok(()),
        _ => Err(format!(
            "`{entry}`: the port must be 1 to 65535, not `{port}`"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_and_column() {
        let t = "ab\ncdé\nf";
        assert_eq!(line_column(t, 0), (1, 1));
        assert_eq!(line_column(t, 3), (2, 1));
        assert_eq!(line_column(t, 7), (2, 4), "columns count characters");
        assert_eq!(line_column(t, 8), (3, 1));
        assert_eq!(line_column(t, 6), (2, 3), "inside a character: its start");
        assert_eq!(line_column(t, 999), (3, 2));
    }
}
