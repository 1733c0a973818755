//! Scope specifications as a profile (`[scope]`) or a scope file (`--scope FILE`) gives
//! them. Entries are checked for syntax when read; host names are resolved and the targets
//! checked against the scope when the scan is planned (`scanfw_core::scope`).

/// One scope: what may be probed. Every scope given (profile and `--scope`) applies: a target
/// must lie in each.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScopeSpec {
    /// Allowed entries (addresses, CIDR blocks, IPv4 octet ranges, host names); never empty.
    pub allow: Vec<String>,
    /// Denied entries, same forms; may be empty.
    pub deny: Vec<String>,
    /// Where it was written: `file:line` of its `[scope]` table.
    pub origin: String,
}

impl ScopeSpec {
    /// One line for headers and messages: `audit.toml:3 (allow 198.18.0.0/24; deny 198.18.0.1)`.
    pub fn describe(&self) -> String {
        let list = |v: &[String]| {
            if v.len() <= 4 {
                v.join(", ")
            } else {
                format!("{}, ... ({} entries)", v[..3].join(", "), v.len())
            }
        };
        if self.deny.is_empty() {
            format!("{} (allow {})", self.origin, list(&self.allow))
        } else {
            format!(
                "{} (allow {}; deny {})",
                self.origin,
                list(&self.allow),
                list(&self.deny)
            )
        }
    }
}
