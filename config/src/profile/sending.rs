//! Top-level keys that shape how probes are sent: `seed`, `source_ip`, `scanflags`,
//! `defeat_icmp_ratelimit`, `fallback` and `privileges` (docs/profiles.md), the profile forms
//! of `--seed`, `--source-ip`, `--scanflags`, `--defeat-icmp-ratelimit`, `--no-fallback`,
//! `--privileged` and `--unprivileged`.
//!
//! Values are checked here as far as the profile alone allows, so a typo is reported at its
//! line and column; whether a source address belongs to this host can only be known on the
//! host that scans, and is checked when the scan is planned.

use super::{Cx, Field};
use crate::error::ConfigError;
use crate::layer::{Layer, PrivilegeMode};
use crate::value::Val;
use std::net::IpAddr;
use toml::Spanned;

/// The sending keys of a profile, as read.
pub(super) struct SendingKeys<'a> {
    pub(super) seed: &'a Field,
    pub(super) source_ip: &'a Field,
    pub(super) scanflags: &'a Field,
    pub(super) defeat_icmp_ratelimit: &'a Field,
    pub(super) fallback: &'a Field,
    pub(super) privileges: &'a Field,
}

/// Most source addresses one `source_ip` block may give (as `--source-ip`).
const MAX_SOURCES: u32 = 256;

impl Cx<'_> {
    /// Checks the sending keys and sets them in `layer`.
    pub(super) fn sending(
        &self,
        k: &SendingKeys<'_>,
        layer: &mut Layer,
    ) -> Result<(), ConfigError> {
        if let Some(v) = k.seed {
            layer.seed = Some(self.seed("seed", v)?);
        }
        if let Some(v) = k.source_ip {
            let list = self.strings("source_ip", v)?;
            for item in &list {
                check_source(item.get_ref()).map_err(|e| {
                    self.err(item.span(), format!("invalid value for `source_ip`: {e}"))
                })?;
            }
            layer.source_ip = Some(list.into_iter().map(Spanned::into_inner).collect());
        }
        if let Some(v) = k.scanflags {
            let text = match v.get_ref() {
                Val::Str(s) => s.clone(),
                Val::Int(i) => i.to_string(),
                _ => {
                    return Err(self.expected(
                        "scanflags",
                        v,
                        "TCP flag names such as \"SYNFIN\", or a number 0-255",
                    ))
                }
            };
            let flags = scanfw_core::TechniqueOptions::parse_scanflags(&text).map_err(|e| {
                // The core's message names the flag (`invalid --scanflags `X`: ...`); keep
                // what follows it.
                let why = e.split_once("`: ").map_or(e.as_str(), |(_, why)| why);
                self.invalid("scanflags", v, format_args!("`{text}`: {why}"))
            })?;
            layer.scanflags = Some(flags);
        }
        if let Some(v) = k.defeat_icmp_ratelimit {
            layer.defeat_icmp_ratelimit = Some(self.boolean("defeat_icmp_ratelimit", v)?);
        }
        if let Some(v) = k.fallback {
            layer.fallback = Some(self.boolean("fallback", v)?);
        }
        if let Some(v) = k.privileges {
            let mode = match v.get_ref() {
                Val::Str(s) if s == "auto" => PrivilegeMode::Auto,
                Val::Str(s) if s == "privileged" => PrivilegeMode::Privileged,
                Val::Str(s) if s == "unprivileged" => PrivilegeMode::Unprivileged,
                _ => {
                    return Err(self.expected(
                        "privileges",
                        v,
                        "\"auto\", \"privileged\" (as --privileged) or \"unprivileged\" (as --unprivileged)",
                    ))
                }
            };
            layer.privileges = Some(mode);
        }
        Ok(())
    }

    /// A seed: any 64-bit unsigned number. TOML integers stop at 2^63-1, so larger seeds are
    /// given as a decimal string (`seed = "18446744073709551615"`).
    fn seed(&self, key: &str, v: &Spanned<Val>) -> Result<u64, ConfigError> {
        let out_of_range = |n: &str| {
            self.invalid(
                key,
                v,
                format_args!("{n} is out of range (expected 0 to {})", u64::MAX),
            )
        };
        match v.get_ref() {
            Val::Int(i) => u64::try_from(*i).map_err(|_| out_of_range(&i.to_string())),
            Val::Huge(s) => s.parse().map_err(|_| out_of_range(s)),
            Val::Str(s) if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) => {
                s.parse().map_err(|_| out_of_range(s))
            }
            _ => Err(self.expected(
                key,
                v,
                "a non-negative integer (or a decimal string for seeds above 2^63-1)",
            )),
        }
    }
}

/// Checks one `source_ip` entry: an IP address or a CIDR block of at most [`MAX_SOURCES`]
/// addresses, not the unspecified address.
fn check_source(entry: &str) -> Result<(), String> {
    let (host, prefix) = match entry.split_once('/') {
        Some((h, p)) => (h, Some(p)),
        None => (entry, None),
    };
    let not_address = || {
        format!("`{entry}` is not an IP address or CIDR block (e.g. \"198.18.0.1\", \"fd00::1\", \"198.18.0.8/29\")")
    };
    let ip: IpAddr = host.parse().map_err(|_| not_address())?;
    let bits: u32 = if ip.is_ipv4() { 32 } else { 128 };
    match prefix {
        None if ip.is_unspecified() => Err(format!(
            "`{entry}` is the unspecified address, not a source: give an address of this host, or leave `source_ip` out"
        )),
        None => Ok(()),
        Some(p) => {
            let p: u32 = p.parse().map_err(|_| not_address())?;
            if p > bits {
                return Err(not_address());
            }
            // A /24 gives 254 hosts, a /120 256: the longest blocks within the limit.
            let size_bits = bits - p;
            if size_bits > MAX_SOURCES.ilog2() {
                return Err(format!(
                    "`{entry}` holds more than {MAX_SOURCES} addresses (use a /{} or longer)",
                    bits - MAX_SOURCES.ilog2()
                ));
            }
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::check_source;

    #[test]
    fn source_entries() {
        for ok in [
            "198.18.0.1",
            "fd00::1",
            "198.18.0.0/24",
            "fd00::/120",
            "10.0.0.1/32",
        ] {
            assert_eq!(check_source(ok), Ok(()), "{ok}");
        }
        for bad in [
            "0.0.0.0",
            "::",
            "x",
            "198.18.0.0/23",
            "fd00::/119",
            "1.2.3.4/33",
            "1.2.3.4/x",
        ] {
            assert!(check_source(bad).is_err(), "{bad}");
        }
    }
}
