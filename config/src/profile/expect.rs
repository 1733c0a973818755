//! `[groups]` and `[[expect]]`: named host groups and the rules an audit holds the scan to
//! (docs/profiles.md, docs/auditing.md).
//!
//! Kept apart from the rest of the profile because the two tables depend on each other (a
//! rule names a group) and everything here becomes a core [`ExpectRule`], which the reporters
//! and the exit code work from. Errors point at the offending key or value, like every other
//! profile error.

use super::{Cx, Field};
use crate::error::ConfigError;
use crate::value::Val;
use scanfw_core::audit::{ExpectRule, HostPattern};
use scanfw_core::PortSpec;
use serde::de::{Deserializer, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;
use std::fmt;
use toml::Spanned;

/// Keys of each `[[expect]]`.
pub(super) const EXPECT_KEYS: &[&str] = &["hosts", "open", "allowed", "up"];

/// `expecting` markers, recognised in serde's type errors and rewritten.
pub(super) const GROUPS_TABLE: &str = "@groups-table@";
pub(super) const EXPECT_TABLE: &str = "@expect-table@";
pub(super) const EXPECT_LIST: &str = "@expect-list@";

#[derive(Deserialize)]
#[serde(deny_unknown_fields, expecting = "@expect-table@")]
pub(super) struct RawExpect {
    hosts: Field,
    open: Field,
    allowed: Field,
    up: Field,
}

/// The `[[expect]]` array, with a recognisable type error when `expect` is not an array.
pub(super) struct ExpectList(Vec<Spanned<RawExpect>>);

impl<'de> Deserialize<'de> for ExpectList {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<ExpectList, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = ExpectList;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(EXPECT_LIST)
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<ExpectList, A::Error> {
                let mut items = Vec::new();
                while let Some(item) = seq.next_element()? {
                    items.push(item);
                }
                Ok(ExpectList(items))
            }
        }
        d.deserialize_seq(V)
    }
}

/// `[groups]`: any key names a group; each value is checked after deserialization. Keys keep
/// their spans, in file order.
pub(super) struct GroupTable(Vec<(Spanned<String>, Spanned<Val>)>);

impl<'de> Deserialize<'de> for GroupTable {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<GroupTable, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = GroupTable;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(GROUPS_TABLE)
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<GroupTable, A::Error> {
                let mut entries = Vec::new();
                while let Some(key) = map.next_key::<Spanned<String>>()? {
                    let value = map.next_value::<Spanned<Val>>()?;
                    entries.push((key, value));
                }
                Ok(GroupTable(entries))
            }
        }
        d.deserialize_map(V)
    }
}

/// A checked group: its name and members.
struct Group {
    name: String,
    members: Vec<HostPattern>,
}

impl Cx<'_> {
    /// `[groups]` and `[[expect]]` into rules. Groups are checked even when no rule uses them.
    pub(super) fn expectations(
        &self,
        groups: Option<&GroupTable>,
        rules: Option<&ExpectList>,
    ) -> Result<Option<Vec<ExpectRule>>, ConfigError> {
        let groups = match groups {
            Some(g) => self.groups(g)?,
            None => Vec::new(),
        };
        let Some(list) = rules else {
            return Ok(None);
        };
        list.0
            .iter()
            .enumerate()
            .map(|(i, entry)| self.rule(i + 1, entry, &groups))
            .collect::<Result<Vec<_>, _>>()
            .map(Some)
    }

    fn groups(&self, table: &GroupTable) -> Result<Vec<Group>, ConfigError> {
        let mut groups = Vec::with_capacity(table.0.len());
        for (name, value) in &table.0 {
            let key = format!("groups.{}", name.get_ref());
            if name.get_ref().trim().is_empty() {
                return Err(self.err(name.span(), "a group name must not be empty"));
            }
            if HostPattern::parse(name.get_ref()).is_ok() {
                return Err(self.err(
                    name.span(),
                    format!(
                        "group name `{}` is an address or block, which `hosts` could not tell from the group: name groups with words (e.g. web)",
                        name.get_ref()
                    ),
                ));
            }
            let items = self.strings(&key, value)?;
            if items.is_empty() {
                return Err(self.invalid(
                    &key,
                    value,
                    "the group is empty (list its addresses and CIDR blocks)",
                ));
            }
            let members = items
                .iter()
                .map(|item| {
                    HostPattern::parse(item.get_ref()).map_err(|e| {
                        self.err(item.span(), format!("invalid value for `{key}`: {e}"))
                    })
                })
                .collect::<Result<Vec<_>, _>>()?;
            groups.push(Group {
                name: name.get_ref().clone(),
                members,
            });
        }
        Ok(groups)
    }

    /// One `[[expect]]` section, the `n`th.
    fn rule(
        &self,
        n: usize,
        entry: &Spanned<RawExpect>,
        groups: &[Group],
    ) -> Result<ExpectRule, ConfigError> {
        let raw = entry.get_ref();
        let Some(hv) = &raw.hosts else {
            return Err(self.err(
                entry.span(),
                "missing key `expect.hosts` in this [[expect]] section (a group name, an address or a CIDR block)",
            ));
        };
        let hosts_text = self.string("expect.hosts", hv)?;
        let hosts = match groups.iter().find(|g| g.name == hosts_text) {
            Some(g) => g.members.clone(),
            None => match HostPattern::parse(hosts_text) {
                Ok(p) => vec![p],
                Err(_) => {
                    let known = if groups.is_empty() {
                        "no [groups] are defined".to_string()
                    } else {
                        let names: Vec<&str> = groups.iter().map(|g| g.name.as_str()).collect();
                        format!("groups: {}", names.join(", "))
                    };
                    return Err(self.err(
                        hv.span(),
                        format!(
                            "unknown group `{hosts_text}` for `expect.hosts` ({known}; or give an address or CIDR block)"
                        ),
                    ));
                }
            },
        };
        let open = raw
            .open
            .as_ref()
            .map(|v| self.claim("expect.open", v))
            .transpose()?;
        let allowed = raw
            .allowed
            .as_ref()
            .map(|v| self.claim("expect.allowed", v))
            .transpose()?;
        let up = raw
            .up
            .as_ref()
            .map(|v| self.boolean("expect.up", v))
            .transpose()?;
        if open.is_none() && allowed.is_none() && up.is_none() {
            return Err(self.err(
                entry.span(),
                "this [[expect]] section expects nothing: give `open`, `allowed` or `up`",
            ));
        }
        if let (Some(false), Some(o), Some(uv)) = (up, &open, &raw.up) {
            if !o.is_empty() {
                return Err(self.err(
                    uv.span(),
                    "`up = false` contradicts `open` in this [[expect]] section: a host that must not answer has no open port",
                ));
            }
        }
        let (line, column) = super::line_column(self.text, entry.span().start);
        Ok(ExpectRule {
            name: format!("expect[{n}] {hosts_text}"),
            origin: format!("{}:{line}:{column}", self.origin.display()),
            hosts,
            open,
            allowed,
            up,
        })
    }

    /// `open` / `allowed`: a port list as `ports` takes it; `""` is no port (`allowed = ""`:
    /// nothing may be open).
    fn claim(&self, key: &str, v: &Spanned<Val>) -> Result<PortSpec, ConfigError> {
        match v.get_ref() {
            Val::Str(s) if s.trim().is_empty() => Ok(PortSpec::default()),
            _ => self.ports(key, v),
        }
    }
}
