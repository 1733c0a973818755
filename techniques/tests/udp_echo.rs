//! The keyed fields of the UDP payloads, probe and reply.
//!
//! For every payload whose protocol echoes a request field: a probe built with cookie `C`
//! carries `C`'s bits in that field; a realistic reply to it (built as the specification has a
//! server build it, or by a dev-dependency's own types: simple-dns, coap-lite) yields
//! `Echo::Stamp` with those bits; the same reply to a probe with another cookie does not verify;
//! our own request reflected by a UDP echo service verifies; and truncated, mutated or random
//! replies never panic and never verify. The BER replies (SNMP, CLDAP) are first checked with
//! snmp-parser and ldap-parser, so the fixtures are valid messages. Payloads without an echoed
//! field (SSDP, RIP, TFTP) keep `Echo::Flow`.

mod common;
use common::{mutate, Rng};
use scanfw_core::technique::Echo;
use scanfw_techniques::udp_payloads::{all, build_payload, info_for, reply_echo};

/// The probes' cookie (try 3) and another one, differing in bits every field carries.
const COOKIE: u32 = 0x9e37_79b3;
const OTHER: u32 = COOKIE ^ 0x0010_0100;

fn probe(port: u16, cookie: u32) -> Vec<u8> {
    let mut buf = [0u8; 1024];
    let n = build_payload(port, cookie, &mut buf).expect("payload fits");
    buf[..n].to_vec()
}

/// Whether the engine would accept `echo` for a probe with `cookie` (technique.rs, `Stamp`).
fn verifies(echo: Option<Echo>, cookie: u32) -> bool {
    matches!(echo, Some(Echo::Stamp { value, mask }) if mask & 0xf == 0xf && (value ^ cookie) & mask == 0)
}

fn be16(b: &[u8], at: usize) -> u32 {
    u32::from(u16::from_be_bytes([b[at], b[at + 1]]))
}

fn be32(b: &[u8], at: usize) -> u32 {
    u32::from_be_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

/// A server's answer to the request it is given.
type Server = fn(&[u8]) -> Vec<u8>;

/// One stamped payload: its port, the request field's value in a probe, the number of cookie
/// bits it carries, and realistic replies with the mask each echoes.
struct Case {
    port: u16,
    field: fn(&[u8]) -> u32,
    mask: u32,
    replies: &'static [(&'static str, Server, u32)],
}

fn check(case: &Case) {
    let port = case.port;
    let p = probe(port, COOKIE);
    assert_eq!(
        p.len(),
        info_for(port).expect("listed").bytes.len(),
        "{port}"
    );
    assert_eq!(
        ((case.field)(&p) ^ COOKIE) & case.mask,
        0,
        "port {port}: the field carries the cookie"
    );
    assert_ne!(probe(port, OTHER), p, "port {port}: keyed per probe");
    let echo = info_for(port).and_then(|i| i.echo).expect("echoed field");
    assert_eq!(
        echo.bits,
        case.mask.count_ones(),
        "port {port}: documented bits"
    );
    assert!(
        verifies(reply_echo(port, &p), COOKIE),
        "port {port}: an echo service's copy of the request"
    );
    for &(what, server, mask) in case.replies {
        let r = server(&p);
        let got = reply_echo(port, &r);
        assert!(verifies(got, COOKIE), "port {port} {what}: {got:?}");
        assert!(
            matches!(got, Some(Echo::Stamp { mask: m, .. }) if m == mask),
            "port {port} {what}: mask {got:?}"
        );
        let other = reply_echo(port, &server(&probe(port, OTHER)));
        assert!(
            !verifies(other, COOKIE),
            "port {port} {what}: another probe's reply: {other:?}"
        );
        robust(port, &r, what);
    }
}

/// Truncations, single-byte changes and random mutations of a genuine reply: no panic; a
/// truncated reply either still holds the whole field (and verifies) or is no match.
fn robust(port: u16, reply: &[u8], what: &str) {
    for n in 0..reply.len() {
        let got = reply_echo(port, &reply[..n]);
        assert!(
            got.is_none() || verifies(got, COOKIE),
            "port {port} {what}: prefix {n}: {got:?}"
        );
        assert_ne!(got, Some(Echo::Flow { seq: 0 }), "never unverified");
    }
    let mut p = reply.to_vec();
    for i in 0..p.len() {
        let orig = p[i];
        for b in [0u8, 1, 0x7f, 0x80, 0x81, 0x84, 0xff, orig ^ 0x20] {
            p[i] = b;
            let _ = reply_echo(port, &p);
        }
        p[i] = orig;
    }
    let mut rng = Rng(u64::from(port) << 32 | 0x5ca7);
    for _ in 0..2_000 {
        let mut m = reply.to_vec();
        for _ in 0..=rng.below(3) {
            mutate(&mut rng, &mut m, &[0, 1, 2, 3]);
        }
        let _ = reply_echo(port, &m);
    }
}

#[test]
fn random_bytes_never_verify_and_never_pass_unverified() {
    let mut rng = Rng(0x0dd_ba11);
    let mut stamps = 0;
    for info in all().iter().filter(|i| i.echo.is_some()) {
        for _ in 0..1_000 {
            let len = rng.below(120);
            let junk: Vec<u8> = (0..len).map(|_| rng.byte()).collect();
            let got = reply_echo(info.port, &junk);
            assert!(!verifies(got, COOKIE), "port {}: {junk:?}", info.port);
            assert_ne!(got, Some(Echo::Flow { seq: 0 }), "port {}", info.port);
            stamps += usize::from(got.is_some());
        }
    }
    assert!(
        stamps > 0,
        "header-only protocols read a field from any long enough datagram"
    );
}

/// Whole datagrams through the UDP technique: random and mutated replies from payload ports
/// (any UDP length field) never panic, and a match from a keyed port is always a stamp.
#[test]
fn the_udp_technique_reads_only_stamps_from_keyed_ports() {
    use scanfw_core::technique::{RawProbe, ReplyContext};
    use scanfw_core::{PortState, Reason};
    use scanfw_techniques::Udp;
    let mut rng = Rng(0x0bad_5eed);
    let ports: Vec<u16> = all().iter().map(|i| i.port).collect();
    for _ in 0..20_000 {
        let port = ports[rng.below(ports.len())];
        let mut d = port.to_be_bytes().to_vec();
        d.extend_from_slice(&40_001u16.to_be_bytes());
        let data = if rng.below(2) == 0 {
            probe(port, COOKIE)
        } else {
            (0..rng.below(80)).map(|_| rng.byte()).collect()
        };
        let len = match rng.below(3) {
            0 => 8 + data.len(),
            1 => rng.below(200),
            _ => 0,
        };
        d.extend_from_slice(&(len as u16).to_be_bytes());
        d.extend_from_slice(&[0, 0]);
        d.extend_from_slice(&data);
        if rng.below(3) == 0 {
            mutate(&mut rng, &mut d, &[4, 5, 8, 9]);
        }
        let reply = ReplyContext {
            from: [198, 51, 100, 7].into(),
            to: [192, 0, 2, 1].into(),
            ttl: 50,
            ip_protocol: 17,
            payload: &d,
        };
        let Some(m) = Udp.classify(&reply) else {
            continue;
        };
        assert_eq!(
            (m.verdict.state, m.verdict.reason),
            (PortState::Open, Reason::UdpResponse)
        );
        let keyed = info_for(m.target.port()).is_some_and(|i| i.echo.is_some());
        assert_eq!(
            matches!(m.echo, Echo::Stamp { .. }),
            keyed,
            "port {}: {:?}",
            m.target.port(),
            m.echo
        );
    }
}

#[test]
fn payloads_without_an_echoed_field_stay_unverified() {
    for port in [69, 520, 1900, 7, 9999] {
        assert_eq!(
            reply_echo(port, b"anything"),
            Some(Echo::Flow { seq: 0 }),
            "{port}"
        );
        assert_eq!(reply_echo(port, b""), Some(Echo::Flow { seq: 0 }), "{port}");
        let template = info_for(port).map_or(&[][..], |i| i.bytes);
        assert_eq!(probe(port, COOKIE), template, "{port}: not keyed");
    }
    let stamped: Vec<u16> = all()
        .iter()
        .filter(|i| i.echo.is_some())
        .map(|i| i.port)
        .collect();
    assert_eq!(
        stamped,
        [53, 111, 123, 137, 161, 161, 389, 500, 1194, 5060, 5353, 5683, 11211]
    );
    for info in all() {
        if let Some(e) = info.echo {
            assert!(
                e.bits >= 16,
                "port {}: at least the try and 12 keyed bits",
                info.port
            );
        }
    }
}

#[test]
fn buffers_too_short_for_the_payload_are_refused() {
    let mut small = [0u8; 16];
    assert_eq!(build_payload(53, COOKIE, &mut small), None);
    assert_eq!(build_payload(9999, COOKIE, &mut small), Some(0));
    let mut exact = [0u8; 17];
    assert_eq!(build_payload(53, COOKIE, &mut exact), Some(17));
}

// ---------------------------------------------------------------------------------------------
// DNS, mDNS (simple-dns), NetBIOS-NS
// ---------------------------------------------------------------------------------------------

/// A resolver's answer: the query's header made a reply (ID kept), one NS record.
fn dns_answer(q: &[u8]) -> Vec<u8> {
    use simple_dns::rdata::{RData, NS};
    use simple_dns::{Name, Packet, PacketFlag, ResourceRecord, CLASS};
    let mut r = Packet::parse(q).expect("query").into_reply();
    r.set_flags(PacketFlag::RECURSION_DESIRED | PacketFlag::RECURSION_AVAILABLE);
    r.answers.push(ResourceRecord::new(
        Name::new_unchecked(""),
        CLASS::IN,
        518_400,
        RData::NS(NS(Name::new_unchecked("a.root-servers.net"))),
    ));
    r.build_bytes_vec().expect("reply")
}

/// An authoritative-only server's REFUSED: the header alone, ID copied (RFC 1035 s4.1.1).
fn dns_refused(q: &[u8]) -> Vec<u8> {
    vec![q[0], q[1], 0x81, 0x05, 0, 0, 0, 0, 0, 0, 0, 0]
}

#[test]
fn dns_id_carries_16_bits() {
    check(&Case {
        port: 53,
        field: |p| be16(p, 0),
        mask: 0xffff,
        replies: &[
            ("answer", dns_answer, 0xffff),
            ("refused", dns_refused, 0xffff),
        ],
    });
}

/// A legacy unicast response (RFC 6762 s6.7): the query ID and question repeated, one PTR.
fn mdns_legacy_response(q: &[u8]) -> Vec<u8> {
    use simple_dns::rdata::{RData, PTR};
    use simple_dns::{Name, Packet, PacketFlag, ResourceRecord, CLASS};
    let mut r = Packet::parse(q).expect("query").into_reply();
    r.set_flags(PacketFlag::AUTHORITATIVE_ANSWER);
    r.answers.push(ResourceRecord::new(
        Name::new_unchecked("_services._dns-sd._udp.local"),
        CLASS::IN,
        10,
        RData::PTR(PTR(Name::new_unchecked("_http._tcp.local"))),
    ));
    r.build_bytes_vec().expect("reply")
}

#[test]
fn mdns_id_carries_16_bits() {
    check(&Case {
        port: 5353,
        field: |p| be16(p, 0),
        mask: 0xffff,
        replies: &[("legacy unicast", mdns_legacy_response, 0xffff)],
    });
}

/// NODE STATUS RESPONSE (RFC 1002 s4.2.18): NAME_TRN_ID copied, R and AA set, one NBSTAT
/// record for the queried name with one node name and the statistics block.
fn nbstat_response(q: &[u8]) -> Vec<u8> {
    let mut r = vec![q[0], q[1], 0x84, 0x00, 0, 0, 0, 1, 0, 0, 0, 0];
    r.extend_from_slice(&q[12..12 + 34]); // RR_NAME: the question's encoded name and scope
    r.extend_from_slice(&[0x00, 0x21, 0x00, 0x01, 0, 0, 0, 0]); // NBSTAT, IN, TTL 0
    let mut rdata = vec![1u8]; // NUM_NAMES
    rdata.extend_from_slice(b"LABHOST        \x00"); // 15 characters + suffix 0x00
    rdata.extend_from_slice(&[0x04, 0x00]); // NAME_FLAGS: active
    rdata.extend_from_slice(&[0u8; 46]); // STATISTICS: unit id and counters
    r.extend_from_slice(&(rdata.len() as u16).to_be_bytes());
    r.extend_from_slice(&rdata);
    r
}

#[test]
fn netbios_transaction_id_carries_16_bits() {
    check(&Case {
        port: 137,
        field: |p| be16(p, 0),
        mask: 0xffff,
        replies: &[("node status", nbstat_response, 0xffff)],
    });
}

// ---------------------------------------------------------------------------------------------
// ONC RPC, NTP, memcached
// ---------------------------------------------------------------------------------------------

/// MSG_ACCEPTED / SUCCESS to PMAPPROC_NULL (RFC 5531 s9): xid, REPLY, accepted, AUTH_NONE
/// verifier, SUCCESS, and the procedure's void result.
fn rpc_accepted(call: &[u8]) -> Vec<u8> {
    let mut r = call[0..4].to_vec();
    for word in [1u32, 0, 0, 0, 0] {
        r.extend_from_slice(&word.to_be_bytes());
    }
    r
}

/// MSG_DENIED / RPC_MISMATCH, versions 2..2.
fn rpc_denied(call: &[u8]) -> Vec<u8> {
    let mut r = call[0..4].to_vec();
    for word in [1u32, 1, 0, 2, 2] {
        r.extend_from_slice(&word.to_be_bytes());
    }
    r
}

#[test]
fn sunrpc_xid_carries_32_bits() {
    check(&Case {
        port: 111,
        field: |p| be32(p, 0),
        mask: u32::MAX,
        replies: &[
            ("accepted", rpc_accepted, u32::MAX),
            ("denied", rpc_denied, u32::MAX),
        ],
    });
}

/// A server-mode reply (RFC 5905 s7.3, s8): VN 4, mode 4, stratum 2, origin timestamp = the
/// request's transmit timestamp, receive and transmit the server's clock.
fn ntp_server(req: &[u8]) -> Vec<u8> {
    let mut r = vec![0x24, 2, req[2], 0xe9];
    r.extend_from_slice(&[0, 0, 0, 0x20, 0, 0, 0, 0x40]); // root delay, dispersion
    r.extend_from_slice(b"\xc6\x33\x64\x01"); // reference id: upstream server address
    r.extend_from_slice(&[0xe9, 0x3c, 0x12, 0x34, 0, 0, 0, 0]); // reference timestamp
    r.extend_from_slice(&req[40..48]); // origin = client transmit
    r.extend_from_slice(&[0xe9, 0x3c, 0x12, 0x40, 0x11, 0x22, 0x33, 0x44]); // receive
    r.extend_from_slice(&[0xe9, 0x3c, 0x12, 0x40, 0x11, 0x22, 0x44, 0x55]); // transmit
    r
}

/// A kiss-o'-death (s7.4): stratum 0, reference id `RATE`, origin still copied.
fn ntp_kiss(req: &[u8]) -> Vec<u8> {
    let mut r = ntp_server(req);
    r[1] = 0;
    r[12..16].copy_from_slice(b"RATE");
    r
}

#[test]
fn ntp_transmit_timestamp_carries_32_bits() {
    check(&Case {
        port: 123,
        field: |p| {
            assert_eq!(&p[40..44], b"SCFW", "marker seconds");
            be32(p, 44)
        },
        mask: u32::MAX,
        replies: &[
            ("server", ntp_server, u32::MAX),
            ("kiss-o'-death", ntp_kiss, u32::MAX),
        ],
    });
    // A server reply whose origin is not ours, with our nonce elsewhere, is not believed.
    let req = probe(123, COOKIE);
    let mut r = ntp_server(&req);
    r[24..32].copy_from_slice(&[0; 8]);
    r[40..48].copy_from_slice(&req[40..48]);
    assert_eq!(
        reply_echo(123, &r),
        None,
        "a mode 4 reply echoes in origin only"
    );
    r[0] = 0x26; // mode 6 (control)
    assert_eq!(reply_echo(123, &r), None);
}

/// `VERSION ...` behind a frame header with the request id copied (protocol.txt, "UDP").
fn memcached_version(req: &[u8]) -> Vec<u8> {
    let mut r = vec![req[0], req[1], 0, 0, 0, 1, 0, 0];
    r.extend_from_slice(b"VERSION 1.6.21\r\n");
    r
}

#[test]
fn memcached_request_id_carries_16_bits() {
    check(&Case {
        port: 11211,
        field: |p| be16(p, 0),
        mask: 0xffff,
        replies: &[("version", memcached_version, 0xffff)],
    });
}

// ---------------------------------------------------------------------------------------------
// SNMP (snmp-parser), CLDAP (ldap-parser): BER
// ---------------------------------------------------------------------------------------------

/// A BER TLV with a definite length, short or long form (X.690 s8.1.3).
fn tlv(tag: u8, contents: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    match contents.len() {
        n if n < 0x80 => out.push(n as u8),
        n if n < 0x100 => out.extend_from_slice(&[0x81, n as u8]),
        n => out.extend_from_slice(&[0x82, (n >> 8) as u8, n as u8]),
    }
    out.extend_from_slice(contents);
    out
}

/// The request-id TLV of our GetRequest (its bytes, copied as an agent does).
fn snmp_request_id(req: &[u8]) -> Vec<u8> {
    let at = req
        .windows(2)
        .position(|w| w == [0xa0, 28])
        .expect("GetRequest-PDU")
        + 2;
    req[at..at + 6].to_vec()
}

/// A Response-PDU (RFC 3416 s3, s4.2.1) to our GetRequest: version and community copied,
/// request-id copied, noError, sysDescr.0 = a 150-byte string (long-form lengths throughout).
fn snmp_response(req: &[u8]) -> Vec<u8> {
    let descr = [b'L'; 150];
    let varbind = tlv(
        0x30,
        &[
            &[0x06, 0x08, 0x2b, 0x06, 0x01, 0x02, 0x01, 0x01, 0x01, 0x00][..],
            &tlv(0x04, &descr),
        ]
        .concat(),
    );
    let pdu = tlv(
        0xa2,
        &[
            &snmp_request_id(req)[..],
            &[0x02, 0x01, 0x00, 0x02, 0x01, 0x00],
            &tlv(0x30, &varbind),
        ]
        .concat(),
    );
    let msg = tlv(0x30, &[&req[2..13], &pdu[..]].concat()); // version, community
    let (rest, parsed) = if req[4] == 0 {
        snmp_parser::parse_snmp_v1(&msg)
    } else {
        snmp_parser::parse_snmp_v2c(&msg)
    }
    .expect("a valid SNMP message");
    assert!(rest.is_empty());
    assert_eq!(parsed.pdu_type(), snmp_parser::PduType::Response);
    msg
}

/// noSuchName-style error response: same shape, error-status 2, the varbind echoed with NULL.
fn snmp_error(req: &[u8]) -> Vec<u8> {
    let varbind = tlv(
        0x30,
        &[
            0x06, 0x08, 0x2b, 0x06, 0x01, 0x02, 0x01, 0x01, 0x01, 0x00, 0x05, 0x00,
        ],
    );
    let pdu = tlv(
        0xa2,
        &[
            &snmp_request_id(req)[..],
            &[0x02, 0x01, 0x02, 0x02, 0x01, 0x01],
            &tlv(0x30, &varbind),
        ]
        .concat(),
    );
    tlv(0x30, &[&req[2..13], &pdu[..]].concat())
}

#[test]
fn snmp_request_id_carries_30_bits() {
    let case = Case {
        port: 161,
        field: |p| {
            let id = snmp_request_id(p);
            assert_eq!(&id[..2], &[0x02, 0x04], "a four-octet INTEGER");
            assert_eq!(id[2] & 0xc0, 0x40, "positive, bit 30 set: minimal");
            be32(&id, 2)
        },
        mask: 0x3fff_ffff,
        replies: &[
            ("response", snmp_response, 0x3fff_ffff),
            ("error", snmp_error, 0x3fff_ffff),
        ],
    };
    check(&case);
    // SNMPv1 shares the field and the reading of replies.
    let v1 = all()
        .iter()
        .find(|i| i.protocol == "SNMPv1")
        .expect("SNMPv1");
    let mut buf = [0u8; 64];
    let n = v1.build(COOKIE, &mut buf).expect("fits");
    assert!(verifies(v1.reply_echo(&snmp_response(&buf[..n])), COOKIE));
    // Other PDUs, and an SNMPv3 message, are not replies to us.
    let r = snmp_response(&probe(161, COOKIE));
    let mut trap = r.clone();
    let pdu_at = 3 + 3 + 8; // SEQUENCE (long form), version, community
    assert_eq!(r[pdu_at], 0xa2);
    trap[pdu_at] = 0xa4;
    assert_eq!(reply_echo(161, &trap), None);
    let mut v3 = r;
    v3[6] = 0x30; // a SEQUENCE where the community should be
    assert_eq!(reply_echo(161, &v3), None);
}

/// The LDAPMessage messageID TLV of our request (the first element of the SEQUENCE).
fn ldap_message_id(req: &[u8]) -> Vec<u8> {
    req[2..8].to_vec()
}

/// searchResEntry for the root DSE then searchResDone (RFC 4511 s4.5.2), both with the
/// request's messageID, in one datagram as CLDAP servers send them; long-form lengths.
fn cldap_root_dse(req: &[u8]) -> Vec<u8> {
    use ldap_parser::ldap::{LdapMessage, ProtocolOp};
    use ldap_parser::FromBer;
    let id = ldap_message_id(req);
    let value = tlv(0x04, &[b'x'; 140]);
    let attr = tlv(
        0x30,
        &[&tlv(0x04, b"namingContexts")[..], &tlv(0x31, &value)].concat(),
    );
    let entry = tlv(
        0x64,
        &[&[0x04, 0x00][..], &tlv(0x30, &attr)].concat(), // objectName "", attributes
    );
    let done = tlv(0x65, &[0x0a, 0x01, 0x00, 0x04, 0x00, 0x04, 0x00]); // success, "", ""
    let mut out = tlv(0x30, &[&id[..], &entry].concat());
    out.extend_from_slice(&tlv(0x30, &[&id[..], &done].concat()));
    let (rest, first) = LdapMessage::from_ber(&out).expect("searchResEntry");
    assert!(matches!(
        first.protocol_op,
        ProtocolOp::SearchResultEntry(_)
    ));
    let (rest, second) = LdapMessage::from_ber(rest).expect("searchResDone");
    assert!(rest.is_empty());
    assert!(matches!(
        second.protocol_op,
        ProtocolOp::SearchResultDone(_)
    ));
    assert_eq!(first.message_id, second.message_id);
    out
}

/// A notice of disconnection would carry messageID 0 (s4.4.1); a protocolError result to our
/// request carries ours.
fn cldap_error(req: &[u8]) -> Vec<u8> {
    let done = tlv(0x65, &[0x0a, 0x01, 0x02, 0x04, 0x00, 0x04, 0x00]);
    tlv(0x30, &[&ldap_message_id(req)[..], &done].concat())
}

#[test]
fn cldap_message_id_carries_30_bits() {
    check(&Case {
        port: 389,
        field: |p| {
            let id = ldap_message_id(p);
            assert_eq!(&id[..2], &[0x02, 0x04], "a four-octet INTEGER");
            assert_eq!(id[2] & 0xc0, 0x40, "positive, below maxInt, minimal");
            be32(&id, 2)
        },
        mask: 0x3fff_ffff,
        replies: &[
            ("root DSE", cldap_root_dse, 0x3fff_ffff),
            ("error", cldap_error, 0x3fff_ffff),
        ],
    });
    // messageID 0 (unsolicited notification) never verifies; a non-LDAP second element fails.
    let notice = tlv(
        0x30,
        &[&[0x02, 0x01, 0x00][..], &tlv(0x78, &[0x0a, 0x01, 0x34])].concat(),
    );
    assert!(!verifies(reply_echo(389, &notice), COOKIE));
    let mut r = cldap_error(&probe(389, COOKIE));
    r[8] = 0x30;
    assert_eq!(
        reply_echo(389, &r),
        None,
        "protocolOp must be [APPLICATION n]"
    );
}

// ---------------------------------------------------------------------------------------------
// CoAP (coap-lite)
// ---------------------------------------------------------------------------------------------

/// A piggybacked 2.05 Content response, built by coap-lite from the request: ACK, the
/// request's Message ID and token, a link-format payload.
fn coap_content(req: &[u8]) -> Vec<u8> {
    let request = coap_lite::Packet::from_bytes(req).expect("request");
    let mut r = coap_lite::CoapResponse::new(&request).expect("CON gets an ACK");
    r.message.payload = b"</sensors/temp>;rt=\"temperature\"".to_vec();
    r.message.to_bytes().expect("response")
}

/// A separate response (s5.2.2): a new CON from the server with its own Message ID, the token.
fn coap_separate(req: &[u8]) -> Vec<u8> {
    let request = coap_lite::Packet::from_bytes(req).expect("request");
    let mut r = coap_lite::CoapResponse::new(&request).expect("response");
    r.message
        .header
        .set_type(coap_lite::MessageType::Confirmable);
    r.message.header.message_id = 0x7a7a;
    r.message.to_bytes().expect("response")
}

/// An empty ACK (s4.2, before a separate response) and a Reset: Message ID only, no token.
fn coap_empty_ack(req: &[u8]) -> Vec<u8> {
    vec![0x60, 0x00, req[2], req[3]]
}

fn coap_reset(req: &[u8]) -> Vec<u8> {
    vec![0x70, 0x00, req[2], req[3]]
}

#[test]
fn coap_token_carries_32_bits_and_message_id_16() {
    check(&Case {
        port: 5683,
        field: |p| {
            assert_eq!(p[0] & 0xf, 4, "TKL 4");
            assert_eq!(be16(p, 2), COOKIE & 0xffff, "Message ID keyed too");
            be32(p, 4)
        },
        mask: u32::MAX,
        replies: &[
            ("piggybacked", coap_content, u32::MAX),
            ("separate", coap_separate, u32::MAX),
            ("empty ACK", coap_empty_ack, 0xffff),
            ("reset", coap_reset, 0xffff),
        ],
    });
    let req = probe(5683, COOKIE);
    let mut r = coap_content(&req);
    r[0] = (r[0] & 0xf0) | 2; // a 2-byte token is not ours
    assert_eq!(reply_echo(5683, &r), None);
    let mut con = coap_empty_ack(&req);
    con[0] = 0x40; // a tokenless CON carries nothing of ours
    assert_eq!(reply_echo(5683, &con), None);
    let mut v2 = coap_content(&req);
    v2[0] ^= 0xc0; // version 2
    assert_eq!(reply_echo(5683, &v2), None);
}

// ---------------------------------------------------------------------------------------------
// IKE, OpenVPN
// ---------------------------------------------------------------------------------------------

/// Main Mode message 2 (RFC 2409 s5): the initiator cookie copied, a responder cookie, the SA
/// payload with the chosen proposal (ours).
fn ike_sa(req: &[u8]) -> Vec<u8> {
    let mut r = req[0..8].to_vec();
    r.extend_from_slice(&[0x1c, 0x7e, 0x55, 0x0a, 0x90, 0x13, 0x42, 0x66]);
    r.extend_from_slice(&req[16..]);
    r
}

/// An Informational exchange with a NO-PROPOSAL-CHOSEN notification (RFC 2408 s3.14, s4.8,
/// s3.14.1 type 14): header with the cookies, one Notify payload.
fn ike_no_proposal(req: &[u8]) -> Vec<u8> {
    let mut r = req[0..8].to_vec();
    r.extend_from_slice(&[0; 8]); // no responder cookie
    r.extend_from_slice(&[11, 0x10, 5, 0]); // next payload N, v1.0, Informational, no flags
    r.extend_from_slice(&0x0bad_f00du32.to_be_bytes()); // message id
    r.extend_from_slice(&40u32.to_be_bytes());
    r.extend_from_slice(&[0, 0, 0, 12, 0, 0, 0, 1, 1, 0, 0, 14]); // Notify: DOI 1, ISAKMP, 14
    r
}

#[test]
fn ike_initiator_cookie_carries_32_bits() {
    check(&Case {
        port: 500,
        field: |p| {
            assert_eq!(&p[0..4], b"SCFW", "marker");
            be32(p, 4)
        },
        mask: u32::MAX,
        replies: &[
            ("SA", ike_sa, u32::MAX),
            ("no proposal", ike_no_proposal, u32::MAX),
        ],
    });
}

/// P_CONTROL_HARD_RESET_SERVER_V2: the server's session id, one ack (our packet id 0), our
/// session id as remote session id, the server's packet id 0.
fn openvpn_server_reset(req: &[u8]) -> Vec<u8> {
    let mut r = vec![8 << 3];
    r.extend_from_slice(&[0xa1, 0xb2, 0xc3, 0xd4, 0xe5, 0xf6, 0x07, 0x18]);
    r.push(1);
    r.extend_from_slice(&0u32.to_be_bytes());
    r.extend_from_slice(&req[1..9]);
    r.extend_from_slice(&0u32.to_be_bytes());
    r
}

/// P_ACK_V1 acknowledging two packet ids: no message packet id follows.
fn openvpn_ack(req: &[u8]) -> Vec<u8> {
    let mut r = vec![5 << 3];
    r.extend_from_slice(&[0xa1, 0xb2, 0xc3, 0xd4, 0xe5, 0xf6, 0x07, 0x18]);
    r.push(2);
    r.extend_from_slice(&[0, 0, 0, 0, 0, 0, 0, 1]);
    r.extend_from_slice(&req[1..9]);
    r
}

#[test]
fn openvpn_session_id_carries_32_bits() {
    check(&Case {
        port: 1194,
        field: |p| {
            assert_eq!(&p[1..5], b"SCFW", "marker");
            be32(p, 5)
        },
        mask: u32::MAX,
        replies: &[
            ("server reset", openvpn_server_reset, u32::MAX),
            ("ack", openvpn_ack, u32::MAX),
        ],
    });
    // A server reset without acks has no remote session id: nothing to check.
    let mut r = openvpn_server_reset(&probe(1194, COOKIE));
    r[9] = 0;
    r.truncate(14);
    assert_eq!(reply_echo(1194, &r), None);
    let mut data = openvpn_server_reset(&probe(1194, COOKIE));
    data[0] = 9 << 3; // P_DATA_V2
    assert_eq!(reply_echo(1194, &data), None);
}

// ---------------------------------------------------------------------------------------------
// SIP
// ---------------------------------------------------------------------------------------------

/// A response (RFC 3261 s8.2.6): status line, then Via (with `received` and the `rport` value
/// filled in, RFC 3581 s4), From, Call-ID and CSeq copied from the request, a To tag added.
fn sip_response(req: &[u8], status: &str, compact: bool) -> Vec<u8> {
    let text = std::str::from_utf8(req).expect("SIP is text");
    let header = |name: &str| {
        text.split("\r\n")
            .find_map(|l| l.strip_prefix(name))
            .unwrap_or_else(|| panic!("no {name}"))
            .to_string()
    };
    let via = header("Via: ").replace(";rport", ";received=192.0.2.1;rport=40001");
    let (v, f, i) = if compact {
        ("v", "f", "i")
    } else {
        ("Via", "From", "Call-ID")
    };
    format!(
        "SIP/2.0 {status}\r\n{v}: {via}\r\n{f}: {}\r\nTo: {};tag=8a1f\r\n{i}: {}\r\n\
         CSeq: {}\r\nAllow: INVITE, ACK, CANCEL, OPTIONS, BYE\r\nContent-Length: 0\r\n\r\n",
        header("From: "),
        header("To: "),
        header("Call-ID: "),
        header("CSeq: "),
    )
    .into_bytes()
}

fn sip_ok(req: &[u8]) -> Vec<u8> {
    sip_response(req, "200 OK", false)
}

fn sip_too_many_hops(req: &[u8]) -> Vec<u8> {
    sip_response(req, "483 Too Many Hops", true)
}

/// The branch's eight hex digits in a request.
fn sip_branch(p: &[u8]) -> u32 {
    let text = std::str::from_utf8(p).expect("text");
    let at = text.find("branch=z9hG4bK-scanfw-").expect("branch") + 22;
    let hex = &text[at..at + 8];
    assert!(text.contains(&format!(";tag={hex}\r\n")), "From tag keyed");
    assert!(
        text.contains(&format!("Call-ID: {hex}@scanfw.invalid\r\n")),
        "Call-ID keyed"
    );
    u32::from_str_radix(hex, 16).expect("hex")
}

#[test]
fn sip_branch_carries_32_bits() {
    check(&Case {
        port: 5060,
        field: sip_branch,
        mask: u32::MAX,
        replies: &[
            ("200", sip_ok, u32::MAX),
            ("483, compact headers", sip_too_many_hops, u32::MAX),
        ],
    });
    let ok = sip_ok(&probe(5060, COOKIE));
    let text = String::from_utf8(ok.clone()).expect("text");
    let longer = text.replace("-scanfw-", "-scanfw-0");
    assert_eq!(
        reply_echo(5060, longer.as_bytes()),
        None,
        "nine digits are not ours"
    );
    let not_sip = text.replacen("SIP/2.0 200", "HTTP/1.1 200", 1);
    assert_eq!(reply_echo(5060, not_sip.as_bytes()), None);
    let in_body = format!(
        "SIP/2.0 200 OK\r\nContent-Length: 40\r\n\r\nz9hG4bK-scanfw-{:08x}\r\n",
        COOKIE
    );
    assert_eq!(
        reply_echo(5060, in_body.as_bytes()),
        None,
        "only the header section"
    );
}
