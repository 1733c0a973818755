//! What every discovery plugin (these and the link-layer ones) shares: its public type, port
//! list, registration and [`DiscoveryTechnique`](scanfw_core::discovery::DiscoveryTechnique)
//! impl, all written by [`discovery_plugin!`] from a short declaration, so that a plugin's file
//! holds only what is its own: how it probes and what a reply means.
//!
//! # Contract of `discovery_plugin!`
//!
//! ```text
//! discovery_plugin! {
//!     /// Docs of the type.
//!     pub struct Name;                                // no ports, or:
//!     pub struct Name { ports: Vec<u16> = [80, 443] } // ports, with the defaults
//!     name: "registry-name", letter: Some('X'), privileged: true,
//!     summary: "one line for --list-discovery",
//!     method: Raw(PROBE),                             // or Raw, Connect, Link
//!     supports: |v6| expression,                      // optional; default: both families
//! }
//! ```
//!
//! declares the type (a unit struct, `Debug, Default, Clone, Copy`, or a struct holding the
//! ports, `Debug, Clone, PartialEq, Eq`) and:
//!
//! * `new(ports)`: a port-less plugin refuses any list ([`no_ports`]); one with ports takes the
//!   user's list, or the defaults when it is empty, refuses port 0 and drops duplicates
//!   ([`port_list`]);
//! * one `inventory` registration: name, letter, summary, privilege, the default ports (`None`
//!   for port-less plugins), and `new` as the constructor;
//! * `DiscoveryTechnique`: the name, the method on the plugin itself (`DiscoveryMethod::Raw`,
//!   `Connect` or `Link`), `ports()` (`[0]`, [`NO_PORTS`], when port-less) and `supports`;
//! * with `Raw(PROBE)`, the plugin's `RawProbe` impl: every method is `PROBE`'s, a constant
//!   `RawProbe` (an ICMP [`Query`](super::icmp::Query), a port technique wrapped in
//!   [`AsPing`](super::port_ping::AsPing)). Otherwise the file writes the `RawProbe`,
//!   `ConnectProbe` or `LinkProbe` impl itself.

/// `ports()` of a port-less plugin.
pub(crate) const NO_PORTS: &[u16] = &[0];

/// The ports a plugin called `name` probes: `given`, or `default` when `given` is empty;
/// duplicates dropped. An error naming the plugin for port 0.
pub(crate) fn port_list(name: &str, given: &[u16], default: &[u16]) -> Result<Vec<u16>, String> {
    let list = if given.is_empty() { default } else { given };
    if list.contains(&0) {
        return Err(format!(
            "{name} discovery cannot probe port 0: use ports 1-65535"
        ));
    }
    let mut out: Vec<u16> = Vec::with_capacity(list.len());
    for &p in list {
        if !out.contains(&p) {
            out.push(p);
        }
    }
    Ok(out)
}

/// Checks that a port-less plugin called `name` was given no ports.
pub(crate) fn no_ports(name: &str, given: &[u16]) -> Result<(), String> {
    if given.is_empty() {
        return Ok(());
    }
    let list: Vec<String> = given.iter().map(u16::to_string).collect();
    Err(format!(
        "{name} discovery takes no port list (got {}): remove the ports",
        list.join(",")
    ))
}

/// Declares a discovery plugin; see the [module docs](self) for the syntax and what it writes.
macro_rules! discovery_plugin {
    (
        $(#[$doc:meta])*
        pub struct $ty:ident;
        name: $name:literal,
        $($rest:tt)*
    ) => {
        $(#[$doc])*
        #[derive(Debug, Default, Clone, Copy)]
        pub struct $ty;

        impl $ty {
            /// The plugin; it takes no ports, so `ports` must be empty.
            pub fn new(ports: &[u16]) -> ::std::result::Result<$ty, ::std::string::String> {
                $crate::discovery::no_ports($name, ports).map(|()| $ty)
            }
        }

        $crate::discovery::discovery_plugin!(@common $ty, $name, None, no_ports, $($rest)*);
    };
    (
        $(#[$doc:meta])*
        pub struct $ty:ident { ports: Vec<u16> = [$($port:literal),+ $(,)?] }
        name: $name:literal,
        $($rest:tt)*
    ) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq)]
        pub struct $ty {
            ports: ::std::vec::Vec<u16>,
        }

        impl $ty {
            const DEFAULT_PORTS: &'static [u16] = &[$($port),+];

            #[doc = concat!(
                "The plugin probing `ports` (", stringify!($($port),+), " when empty); port 0 ",
                "is refused, duplicates are dropped."
            )]
            pub fn new(ports: &[u16]) -> ::std::result::Result<$ty, ::std::string::String> {
                let ports = $crate::discovery::port_list($name, ports, Self::DEFAULT_PORTS)?;
                Ok($ty { ports })
            }
        }

        $crate::discovery::discovery_plugin!(
            @common $ty, $name, Some(<$ty>::DEFAULT_PORTS), own_ports, $($rest)*
        );
    };
    (
        @common $ty:ident, $name:literal, $default_ports:expr, $ports:ident,
        letter: $letter:expr, privileged: $privileged:expr,
        summary: $summary:literal,
        method: $method:ident $(($probe:expr))?
        $(, supports: |$v6:ident| $supports:expr)? $(,)?
    ) => {
        ::inventory::submit! {
            ::scanfw_core::registry::DiscoveryDescriptor {
                name: $name,
                nmap_letter: $letter,
                summary: $summary,
                needs_privilege: $privileged,
                default_ports: $default_ports,
                constructor: |p| {
                    <$ty>::new(p).map(|t| {
                        ::std::boxed::Box::new(t)
                            as ::std::boxed::Box<dyn ::scanfw_core::discovery::DiscoveryTechnique>
                    })
                },
            }
        }

        impl ::scanfw_core::discovery::DiscoveryTechnique for $ty {
            fn name(&self) -> &'static str {
                $name
            }
            fn method(&self) -> ::scanfw_core::discovery::DiscoveryMethod<'_> {
                ::scanfw_core::discovery::DiscoveryMethod::$method(self)
            }
            $crate::discovery::discovery_plugin!(@$ports);
            $(
                fn supports(&self, $v6: bool) -> bool {
                    $supports
                }
            )?
        }

        $(
            impl ::scanfw_core::technique::RawProbe for $ty {
                fn ip_protocol(&self) -> u8 {
                    ::scanfw_core::technique::RawProbe::ip_protocol(&$probe)
                }
                fn ip_protocol_for(&self, v6: bool) -> u8 {
                    ::scanfw_core::technique::RawProbe::ip_protocol_for(&$probe, v6)
                }
                fn build(
                    &self,
                    ctx: &::scanfw_core::technique::ProbeContext,
                    buf: &mut [u8],
                ) -> ::std::result::Result<usize, ::scanfw_core::technique::ProbeBuildError> {
                    ::scanfw_core::technique::RawProbe::build(&$probe, ctx, buf)
                }
                fn classify(
                    &self,
                    reply: &::scanfw_core::technique::ReplyContext<'_>,
                ) -> ::std::option::Option<::scanfw_core::technique::RawMatch> {
                    ::scanfw_core::technique::RawProbe::classify(&$probe, reply)
                }
            }
        )?
    };
    (@no_ports) => {
        fn ports(&self) -> &[u16] {
            $crate::discovery::NO_PORTS
        }
    };
    (@own_ports) => {
        fn ports(&self) -> &[u16] {
            &self.ports
        }
    };
}
pub(crate) use discovery_plugin;

#[cfg(test)]
mod tests {
    use super::*;
    use scanfw_core::discovery::DiscoveryMethod;
    use scanfw_core::packet::{IPPROTO_ICMP, IPPROTO_ICMPV6};
    use scanfw_core::registry;

    #[test]
    fn port_lists() {
        assert_eq!(port_list("tcp-syn", &[], &[80]), Ok(vec![80]));
        assert_eq!(
            port_list("tcp-syn", &[22, 80, 22, 443], &[80]),
            Ok(vec![22, 80, 443])
        );
        let e = port_list("tcp-syn", &[22, 0], &[80]).expect_err("port 0");
        assert!(e.contains("tcp-syn") && e.contains("port 0"), "{e}");
        assert_eq!(no_ports("icmp-echo", &[]), Ok(()));
        let e = no_ports("icmp-echo", &[80, 443]).expect_err("ports");
        assert!(e.contains("icmp-echo") && e.contains("80,443"), "{e}");
    }

    /// The exact registered set, letters, privileges and defaults.
    /// Name, nmap letter, needs privilege, default ports, method.
    type Registration = (
        &'static str,
        Option<char>,
        bool,
        Option<&'static [u16]>,
        &'static str,
    );

    #[test]
    fn registrations() {
        let want: [Registration; 7] = [
            ("icmp-echo", Some('E'), true, None, "Raw"),
            ("icmp-netmask", Some('M'), true, None, "Raw"),
            ("icmp-timestamp", Some('P'), true, None, "Raw"),
            ("tcp-ack", Some('A'), true, Some(&[80]), "Raw"),
            ("tcp-connect", None, false, Some(&[80, 443]), "Connect"),
            ("tcp-syn", Some('S'), true, Some(&[80]), "Raw"),
            ("udp", Some('U'), true, Some(&[40125]), "Raw"),
        ];
        for (name, letter, privileged, ports, method) in want {
            let d = registry::discovery_method(name).expect(name);
            assert_eq!(d.name, name);
            assert_eq!(d.nmap_letter, letter, "{name}");
            assert_eq!(d.needs_privilege, privileged, "{name}");
            assert_eq!(d.default_ports, ports, "{name}");
            assert!(!d.summary.is_empty());
            if let Some(l) = letter {
                let by_letter = registry::discovery_method(&l.to_string()).expect("letter");
                assert_eq!(by_letter.name, name);
            }
            let p = (d.constructor)(&[]).expect("defaults");
            assert_eq!(p.name(), name);
            assert_eq!(p.ports(), ports.unwrap_or(NO_PORTS), "{name}");
            assert_eq!(format!("{:?}", p.method()), method, "{name}");
            if let DiscoveryMethod::Raw(r) = p.method() {
                let v4 = r.ip_protocol_for(false);
                assert_eq!(v4, r.ip_protocol(), "{name}");
                if p.supports(true) {
                    let v6 = r.ip_protocol_for(true);
                    assert_eq!(v6 == IPPROTO_ICMPV6, v4 == IPPROTO_ICMP, "{name}");
                }
            }
            match ports {
                Some(_) => {
                    let p = (d.constructor)(&[22, 22, 8080]).expect("ports");
                    assert_eq!(p.ports(), [22, 8080]);
                    assert!((d.constructor)(&[0]).is_err(), "{name}");
                }
                None => assert!((d.constructor)(&[80]).is_err(), "{name}"),
            }
        }
    }
}
