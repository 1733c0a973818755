//! UDP probe payloads for well-known ports.
//!
//! A UDP port only proves itself `open` when something answers, and most services ignore an empty
//! datagram. For the ports below, the probe therefore carries a small, protocol-correct request
//! that a real server answers *without changing its state*: read-only queries, "who are you"
//! requests and first handshake messages that a server forgets when no second message follows.
//!
//! Every payload was written for scanfw from the protocol's specification (the RFC or the official
//! protocol document named in [`PayloadInfo::source`] and in each file's docs); no other scanner's
//! payload file was used.
//!
//! A reply to a UDP probe has no sequence number to prove which probe it answers, so where the
//! protocol copies a request field into its reply (DNS ID, RPC xid, SNMP request-id, ...), that
//! field carries keyed bits of the probe's cookie ([`EchoField`]): the payload is built per
//! probe ([`build_payload`]) and a reply is believed only when it echoes the bits
//! ([`reply_echo`], an [`Echo::Stamp`] the engine verifies). A reply from such a port without
//! them is no reply at all, so forged junk never opens a port. SSDP, RIP and TFTP have no such
//! field; their replies are proven by the keyed source port alone ([`Echo::Flow`]), as are
//! replies to empty datagrams. docs/udp-payloads.md lists the fields and their bits.
//!
//! The templates ([`PayloadInfo::bytes`]) hold fixed values in the keyed fields, spelling `SC`
//! (`0x5343`) or `SCFW` (`0x5343_4657`); the other identifiers (the SIP CSeq, RIP's and TFTP's
//! fields) are fixed too.
//!
//! [`payload_for`] gives the template of a port's default payload (empty for a port without one);
//! [`all`] lists every payload, including alternatives (SNMPv1 next to the default SNMPv2c).

mod ber;
mod cldap;
mod coap;
mod dns;
mod echo;
mod ike;
mod mdns;
mod memcached;
mod netbios;
mod ntp;
mod openvpn;
mod rip;
mod sip;
mod snmp;
mod ssdp;
mod sunrpc;
mod tftp;

pub use cldap::CLDAP_ROOT_DSE;
pub use coap::COAP_WELL_KNOWN_CORE;
pub use dns::DNS_ROOT_NS;
pub use ike::IKEV1_MAIN_MODE;
pub use mdns::MDNS_SERVICES;
pub use memcached::MEMCACHED_VERSION;
pub use netbios::NBNS_NBSTAT;
pub use ntp::NTP_CLIENT;
pub use openvpn::OPENVPN_HARD_RESET;
pub use rip::RIPV2_WHOLE_TABLE;
pub use sip::SIP_OPTIONS;
pub use snmp::{SNMPV1_GET_SYSDESCR, SNMPV2C_GET_SYSDESCR};
pub use ssdp::SSDP_MSEARCH;
pub use sunrpc::PORTMAP_NULL;
pub use tftp::TFTP_RRQ;

pub use echo::{EchoField, Echoed};
use scanfw_core::technique::Echo;

/// One UDP payload: the port it is sent to, what it is, the specification it was written from,
/// and the field (if any) that carries keyed bits.
#[derive(Debug, Clone, Copy)]
pub struct PayloadInfo {
    /// Destination port.
    pub port: u16,
    /// Protocol and message, e.g. `"DNS"` or `"SNMPv1"`.
    pub protocol: &'static str,
    /// The specification (document and section) the payload was written from.
    pub source: &'static str,
    /// The datagram's payload: the template, with fixed values in any keyed field.
    pub bytes: &'static [u8],
    /// The field that carries keyed bits of the probe's cookie and that replies echo; `None`
    /// for a protocol without one.
    pub echo: Option<EchoField>,
}

impl PayloadInfo {
    /// Writes the payload of a probe with `cookie` into `out` and returns its length, or
    /// `None` when `out` is shorter than the payload.
    pub fn build(&self, cookie: u32, out: &mut [u8]) -> Option<usize> {
        let out = out.get_mut(..self.bytes.len())?;
        out.copy_from_slice(self.bytes);
        if let Some(field) = self.echo {
            (field.stamp)(cookie, out);
        }
        Some(self.bytes.len())
    }

    /// How the reply datagram payload `reply` proves its probe: the keyed bits it echoes
    /// ([`Echo::Stamp`]), or `None` when it should and does not; the keyed source port alone
    /// ([`Echo::Flow`]) for a protocol without an echoed field.
    pub fn reply_echo(&self, reply: &[u8]) -> Option<Echo> {
        match self.echo {
            None => Some(Echo::Flow { seq: 0 }),
            Some(field) => {
                let e = (field.echoed)(reply)?;
                Some(Echo::Stamp {
                    value: e.value,
                    mask: e.mask,
                })
            }
        }
    }
}

/// Every payload, in port order. When a port has several, the first one listed is its default
/// (the one [`payload_for`] returns).
static ALL: &[PayloadInfo] = &[
    PayloadInfo {
        port: 53,
        protocol: "DNS",
        source: "RFC 1035 s4.1 (message), s3.2.2 (TYPE NS)",
        bytes: &DNS_ROOT_NS,
        echo: Some(dns::ECHO),
    },
    PayloadInfo {
        port: 69,
        protocol: "TFTP",
        source: "RFC 1350 s5 (RRQ packet), s1 (octet mode)",
        bytes: &TFTP_RRQ,
        echo: None,
    },
    PayloadInfo {
        port: 111,
        protocol: "ONC RPC portmapper",
        source: "RFC 5531 s9 (call message), s10.1 (AUTH_NONE); RFC 1833 s3 (PMAPPROC_NULL)",
        bytes: &PORTMAP_NULL,
        echo: Some(sunrpc::ECHO),
    },
    PayloadInfo {
        port: 123,
        protocol: "NTP",
        source: "RFC 5905 s7.3 (packet header), s6 (timestamp format)",
        bytes: &NTP_CLIENT,
        echo: Some(ntp::ECHO),
    },
    PayloadInfo {
        port: 137,
        protocol: "NetBIOS-NS",
        source: "RFC 1002 s4.2.1.1, s4.2.17 (NODE STATUS REQUEST); RFC 1001 s14.1 (name encoding)",
        bytes: &NBNS_NBSTAT,
        echo: Some(netbios::ECHO),
    },
    PayloadInfo {
        port: 161,
        protocol: "SNMPv2c",
        source: "RFC 3416 s3 (GetRequest-PDU), RFC 1901 s3 (community message), X.690 BER",
        bytes: &SNMPV2C_GET_SYSDESCR,
        echo: Some(snmp::ECHO),
    },
    PayloadInfo {
        port: 161,
        protocol: "SNMPv1",
        source: "RFC 1157 s4 (Message), s4.1.2 (GetRequest-PDU), X.690 BER",
        bytes: &SNMPV1_GET_SYSDESCR,
        echo: Some(snmp::ECHO),
    },
    PayloadInfo {
        port: 389,
        protocol: "CLDAP",
        source: "RFC 4511 s4.1.1 (LDAPMessage), s4.5.1 (SearchRequest); RFC 1798 (UDP transport)",
        bytes: &CLDAP_ROOT_DSE,
        echo: Some(cldap::ECHO),
    },
    PayloadInfo {
        port: 500,
        protocol: "IKEv1 (ISAKMP)",
        source: "RFC 2408 s3.1, s3.3-3.6; RFC 2409 s5, App. A; RFC 2407 s4.2, s4.4.1-4.4.2",
        bytes: &IKEV1_MAIN_MODE,
        echo: Some(ike::ECHO),
    },
    PayloadInfo {
        port: 520,
        protocol: "RIPv2",
        source: "RFC 2453 s4 (message format), s3.9.1 (whole-table request)",
        bytes: &RIPV2_WHOLE_TABLE,
        echo: None,
    },
    PayloadInfo {
        port: 1194,
        protocol: "OpenVPN",
        source: "OpenVPN protocol documentation (openvpn-rfc, control channel packet format)",
        bytes: &OPENVPN_HARD_RESET,
        echo: Some(openvpn::ECHO),
    },
    PayloadInfo {
        port: 1900,
        protocol: "SSDP",
        source: "UPnP Device Architecture 2.0 s1.3.2 (M-SEARCH)",
        bytes: &SSDP_MSEARCH,
        echo: None,
    },
    PayloadInfo {
        port: 5060,
        protocol: "SIP",
        source: "RFC 3261 s8.1.1, s11, s16.3 item 3; RFC 3581 s3 (rport)",
        bytes: &SIP_OPTIONS,
        echo: Some(sip::ECHO),
    },
    PayloadInfo {
        port: 5353,
        protocol: "mDNS (DNS-SD)",
        source: "RFC 6763 s9 (service type enumeration); RFC 6762 s5.5, s6.7 (legacy unicast)",
        bytes: &MDNS_SERVICES,
        echo: Some(mdns::ECHO),
    },
    PayloadInfo {
        port: 5683,
        protocol: "CoAP",
        source: "RFC 7252 s3 (message format), s3.1 (options), s5.10.1 (Uri-Path); RFC 6690 s4",
        bytes: &COAP_WELL_KNOWN_CORE,
        echo: Some(coap::ECHO),
    },
    PayloadInfo {
        port: 11211,
        protocol: "memcached",
        source: "memcached protocol.txt: \"UDP protocol\" (frame header), \"version\" command",
        bytes: &MEMCACHED_VERSION,
        echo: Some(memcached::ECHO),
    },
];

/// Every payload scanfw knows, in port order; a port's default payload comes first.
pub fn all() -> &'static [PayloadInfo] {
    ALL
}

/// The default payload of UDP port `port`, if scanfw has one.
pub fn info_for(port: u16) -> Option<&'static PayloadInfo> {
    ALL.iter().find(|info| info.port == port)
}

/// The template of the default payload for UDP port `port`, or an empty slice when scanfw has
/// none. Its length is the length of every probe's payload to that port.
pub fn payload_for(port: u16) -> &'static [u8] {
    info_for(port).map_or(&[], |info| info.bytes)
}

/// Writes the default payload for UDP port `port` of a probe with `cookie` into `out` (see
/// [`PayloadInfo::build`]) and returns its length: 0 for a port without a payload, `None` when
/// `out` is too short.
pub fn build_payload(port: u16, cookie: u32, out: &mut [u8]) -> Option<usize> {
    match info_for(port) {
        Some(info) => info.build(cookie, out),
        None => Some(0),
    }
}

/// How a datagram from UDP port `port` with payload `reply` proves which probe it answers (see
/// [`PayloadInfo::reply_echo`]): the echoed keyed bits, `None` if the port's payload has an
/// echoed field that `reply` lacks, and the keyed source port alone ([`Echo::Flow`]) for a port
/// whose payload has none or that gets an empty datagram.
pub fn reply_echo(port: u16, reply: &[u8]) -> Option<Echo> {
    match info_for(port) {
        Some(info) => info.reply_echo(reply),
        None => Some(Echo::Flow { seq: 0 }),
    }
}

/// Concatenates byte fields into one array at compile time; a wrong `N` fails the build.
const fn cat<const N: usize>(parts: &[&[u8]]) -> [u8; N] {
    let mut out = [0u8; N];
    let mut at = 0;
    let mut p = 0;
    while p < parts.len() {
        let part = parts[p];
        let mut i = 0;
        while i < part.len() {
            assert!(at < N, "payload longer than its declared length");
            out[at] = part[i];
            at += 1;
            i += 1;
        }
        p += 1;
    }
    assert!(at == N, "payload shorter than its declared length");
    out
}

/// A big-endian `u16` as bytes, for length and id fields.
const fn be16(v: u16) -> [u8; 2] {
    v.to_be_bytes()
}

/// A big-endian `u32` as bytes.
const fn be32(v: u32) -> [u8; 4] {
    v.to_be_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cat_joins_fields_in_order() {
        const X: [u8; 5] = cat(&[&[1], &be16(0x0203), &[], &[4, 5]]);
        assert_eq!(X, [1, 2, 3, 4, 5]);
        assert_eq!(be32(0x0102_0304), [1, 2, 3, 4]);
    }

    /// Every keyed payload, reflected unchanged (a UDP echo service), gives back exactly the
    /// cookie bits it carries, under a mask with the try bits, for any cookie.
    #[test]
    fn reflected_probes_echo_their_cookie() {
        let mut cookie = 0x0123_4567u32;
        for info in ALL.iter().filter(|i| i.echo.is_some()) {
            for c in [0, u32::MAX, 0x8000_0000, 0x4000_000f, cookie] {
                let mut buf = [0u8; 512];
                let n = info.build(c, &mut buf).expect("fits");
                let Some(Echo::Stamp { value, mask }) = info.reply_echo(&buf[..n]) else {
                    panic!("port {}: cookie {c:#x}", info.port);
                };
                assert_eq!(mask & 0xf, 0xf, "port {}", info.port);
                assert_eq!((value ^ c) & mask, 0, "port {} cookie {c:#x}", info.port);
                cookie = cookie.wrapping_mul(0x9e37_79b9).wrapping_add(1);
            }
        }
    }

    #[test]
    fn ports_are_sorted_and_defaults_come_first() {
        assert!(ALL.windows(2).all(|w| w[0].port <= w[1].port));
        assert_eq!(payload_for(161), &SNMPV2C_GET_SYSDESCR[..]);
    }
}
