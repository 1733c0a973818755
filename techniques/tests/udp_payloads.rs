//! Every UDP payload parsed back as a valid message of its protocol.
//!
//! Where a well-kept parser exists on crates.io it does the parsing (simple-dns for DNS, mDNS and
//! the DNS-shaped NetBIOS name service, snmp-parser for SNMP, ldap-parser for CLDAP, coap-lite for
//! CoAP, httparse for SSDP's HTTP-over-UDP); the others are checked field by field against the
//! layout of their specification, length fields included.
//!
//! Each payload is checked twice: as its template (`payload_for`, `all`) and as a probe with a
//! cookie (`build_payload`) sends it, with the cookie's bits in the protocol's echoed field
//! (techniques/tests/udp_echo.rs checks the replies).

use scanfw_techniques::udp_payloads::{self, all, build_payload, payload_for, PayloadInfo};

/// The cookie of the keyed probes (try 3).
const COOKIE: u32 = 0x9e37_79b3;

/// The payload for `port` as its template (no cookie) and as a probe with [`COOKIE`] sends it.
fn sent(port: u16) -> [(Vec<u8>, Option<u32>); 2] {
    let mut buf = [0u8; 1024];
    let n = build_payload(port, COOKIE, &mut buf).expect("fits");
    [
        (payload_for(port).to_vec(), None),
        (buf[..n].to_vec(), Some(COOKIE)),
    ]
}

/// A request id as scanfw's SNMP and LDAP payloads carry it: the cookie's low 30 bits under
/// bit 30, or the template's `SCFW`.
fn positive_id(cookie: Option<u32>) -> u32 {
    cookie.map_or(0x5343_4657, |c| (c & 0x3fff_ffff) | 0x4000_0000)
}

/// The one listed payload for `port` named `protocol`.
fn info(port: u16, protocol: &str) -> &'static PayloadInfo {
    all()
        .iter()
        .find(|i| i.port == port && i.protocol == protocol)
        .unwrap_or_else(|| panic!("no payload {protocol} for port {port}"))
}

fn be16(b: &[u8], at: usize) -> u16 {
    u16::from_be_bytes([b[at], b[at + 1]])
}

fn be32(b: &[u8], at: usize) -> u32 {
    u32::from_be_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

// ---------------------------------------------------------------------------------------------
// The table itself
// ---------------------------------------------------------------------------------------------

#[test]
fn every_expected_port_has_a_payload() {
    let expected = [
        53, 69, 111, 123, 137, 161, 389, 500, 520, 1194, 1900, 5060, 5353, 5683, 11211,
    ];
    for port in expected {
        assert!(!payload_for(port).is_empty(), "port {port} has no payload");
    }
    let mut listed: Vec<u16> = all().iter().map(|i| i.port).collect();
    listed.dedup();
    assert_eq!(
        listed, expected,
        "all() lists exactly the expected ports, in order"
    );
}

#[test]
fn ports_without_a_payload_get_an_empty_slice() {
    for port in [0, 1, 7, 22, 54, 80, 162, 443, 1023, 5000, 11212, 65535] {
        assert!(
            payload_for(port).is_empty(),
            "port {port} should have no payload"
        );
    }
}

#[test]
fn every_listed_port_maps_to_its_default_payload() {
    for entry in all() {
        let default = all()
            .iter()
            .find(|i| i.port == entry.port)
            .expect("the entry itself is listed");
        assert_eq!(
            payload_for(entry.port),
            default.bytes,
            "port {}",
            entry.port
        );
    }
    // Entries with a port of their own are that port's payload.
    for entry in all() {
        if all().iter().filter(|i| i.port == entry.port).count() == 1 {
            assert_eq!(payload_for(entry.port), entry.bytes);
        }
    }
}

#[test]
fn snmp_defaults_to_v2c_and_lists_v1_too() {
    assert_eq!(payload_for(161), &udp_payloads::SNMPV2C_GET_SYSDESCR[..]);
    assert_eq!(
        info(161, "SNMPv1").bytes,
        &udp_payloads::SNMPV1_GET_SYSDESCR[..]
    );
    assert_eq!(all().iter().filter(|i| i.port == 161).count(), 2);
}

#[test]
fn entries_are_documented_small_and_distinct() {
    for entry in all() {
        assert!(!entry.protocol.is_empty(), "port {}", entry.port);
        // IETF protocols cite an RFC; the three others cite their own official documents.
        let spec = match entry.port {
            1194 => "OpenVPN protocol",
            1900 => "UPnP Device Architecture",
            11211 => "memcached protocol.txt",
            _ => "RFC ",
        };
        assert!(
            entry.source.contains(spec),
            "port {}: source should name the specification: {}",
            entry.port,
            entry.source
        );
        assert!(
            !entry.bytes.is_empty() && entry.bytes.len() <= 512,
            "port {}: {} bytes",
            entry.port,
            entry.bytes.len()
        );
    }
    for (i, a) in all().iter().enumerate() {
        for b in &all()[i + 1..] {
            assert!(
                a.port != b.port || a.protocol != b.protocol,
                "duplicate entry {} {}",
                a.port,
                a.protocol
            );
        }
    }
}

#[test]
fn the_doc_table_matches_the_payloads() {
    let doc_path = concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/udp-payloads.md");
    let doc = std::fs::read_to_string(doc_path).expect("docs/udp-payloads.md");
    let rows: Vec<Vec<&str>> = doc
        .lines()
        .filter(|l| l.starts_with("| "))
        .map(|l| l.trim_matches('|').split(" | ").map(str::trim).collect())
        .filter(|cells: &Vec<&str>| cells.len() == 5 && cells[0].parse::<u16>().is_ok())
        .collect();
    assert_eq!(rows.len(), all().len(), "one row per payload");
    for (row, entry) in rows.iter().zip(all()) {
        assert_eq!(row[0].parse::<u16>().ok(), Some(entry.port), "{row:?}");
        assert!(
            row[1].starts_with(entry.protocol.split(' ').next().unwrap_or("")),
            "{row:?}"
        );
        assert_eq!(
            row[4].parse::<usize>().ok(),
            Some(entry.bytes.len()),
            "{row:?}"
        );
    }
}

#[test]
fn the_doc_keyed_field_table_matches_the_payloads() {
    let doc_path = concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/udp-payloads.md");
    let doc = std::fs::read_to_string(doc_path).expect("docs/udp-payloads.md");
    let rows: Vec<Vec<&str>> = doc
        .lines()
        .filter(|l| l.starts_with("| "))
        .map(|l| l.trim_matches('|').split(" | ").map(str::trim).collect())
        .filter(|cells: &Vec<&str>| cells.len() == 6 && cells[0].parse::<u16>().is_ok())
        .collect();
    assert_eq!(rows.len(), all().len(), "one row per payload");
    for (row, entry) in rows.iter().zip(all()) {
        assert_eq!(row[0].parse::<u16>().ok(), Some(entry.port), "{row:?}");
        assert!(
            row[1].starts_with(entry.protocol.split(' ').next().unwrap_or("")),
            "{row:?}"
        );
        let bits = entry.echo.map_or(0, |e| e.bits);
        assert_eq!(row[3].parse::<u32>().ok(), Some(bits), "{row:?}");
        assert_eq!(row[2] == "none", entry.echo.is_none(), "{row:?}");
        assert!(!row[5].is_empty(), "{row:?}: a specification");
    }
}

// ---------------------------------------------------------------------------------------------
// DNS family (simple-dns)
// ---------------------------------------------------------------------------------------------

#[test]
fn dns_53_is_a_standard_root_ns_query() {
    use simple_dns::{Packet, PacketFlag, CLASS, OPCODE, QCLASS, QTYPE, TYPE};
    for (bytes, cookie) in sent(53) {
        let packet = Packet::parse(&bytes).expect("valid DNS message");
        assert_eq!(
            packet.id(),
            cookie.map_or(0x5343, |c| c as u16),
            "the ID is keyed"
        );
        assert!(!packet.has_flags(PacketFlag::RESPONSE));
        assert!(packet.has_flags(PacketFlag::RECURSION_DESIRED));
        assert_eq!(packet.opcode(), OPCODE::StandardQuery);
        assert_eq!(packet.questions.len(), 1);
        assert!(packet.answers.is_empty() && packet.name_servers.is_empty());
        assert!(packet.additional_records.is_empty());
        let q = &packet.questions[0];
        assert_eq!(q.qname.get_labels().len(), 0, "the root name");
        assert_eq!(q.qtype, QTYPE::TYPE(TYPE::NS));
        assert_eq!(q.qclass, QCLASS::CLASS(CLASS::IN));
        assert_eq!(
            bytes.len(),
            17,
            "header + root + type + class, nothing trailing"
        );
    }
}

#[test]
fn mdns_5353_is_a_dns_sd_service_enumeration_query() {
    use simple_dns::{Packet, PacketFlag, CLASS, QCLASS, QTYPE, TYPE};
    for (bytes, cookie) in sent(5353) {
        let packet = Packet::parse(&bytes).expect("valid DNS message");
        assert!(!packet.has_flags(PacketFlag::RESPONSE));
        assert_eq!(
            packet.id(),
            cookie.map_or(0x5343, |c| c as u16),
            "legacy unicast: the reply echoes the keyed id"
        );
        assert_eq!(packet.questions.len(), 1);
        assert!(packet.answers.is_empty() && packet.additional_records.is_empty());
        let q = &packet.questions[0];
        assert_eq!(q.qname.to_string(), "_services._dns-sd._udp.local");
        assert_eq!(q.qtype, QTYPE::TYPE(TYPE::PTR));
        assert_eq!(q.qclass, QCLASS::CLASS(CLASS::IN));
        assert!(!q.unicast_response);
        assert_eq!(bytes.len(), 12 + 30 + 4);
    }
}

/// RFC 1001 s14.1 first-level decoding of a 32-character NetBIOS name.
fn decode_netbios_name(encoded: &[u8]) -> Vec<u8> {
    assert_eq!(encoded.len(), 32);
    encoded
        .chunks(2)
        .map(|pair| {
            assert!(pair.iter().all(|c| (b'A'..=b'P').contains(c)), "{pair:?}");
            ((pair[0] - b'A') << 4) | (pair[1] - b'A')
        })
        .collect()
}

#[test]
fn netbios_137_is_a_node_status_request_for_the_wildcard() {
    use simple_dns::{Packet, PacketFlag, CLASS, QCLASS, QTYPE};
    for (bytes, cookie) in sent(137) {
        // RFC 1002 reuses the RFC 1035 wire format, so a DNS parser reads it.
        let packet = Packet::parse(&bytes).expect("valid DNS-format message");
        assert!(!packet.has_flags(PacketFlag::RESPONSE));
        assert_eq!(
            packet.id(),
            cookie.map_or(0x5343, |c| c as u16),
            "NAME_TRN_ID keyed"
        );
        assert_eq!(
            be16(&bytes, 2),
            0,
            "opcode query, no NM_FLAGS (no broadcast bit)"
        );
        assert_eq!(packet.questions.len(), 1);
        let q = &packet.questions[0];
        let labels = q.qname.get_labels();
        assert_eq!(labels.len(), 1, "encoded name, empty scope");
        assert_eq!(u16::from(q.qtype), 0x0021, "NBSTAT");
        assert_eq!(q.qclass, QCLASS::CLASS(CLASS::IN));
        assert!(matches!(q.qtype, QTYPE::TYPE(_)));
        // The raw name: length 32, the encoded wildcard, the empty scope.
        assert_eq!(bytes[12], 32);
        let name = decode_netbios_name(&bytes[13..45]);
        assert_eq!(name[0], b'*');
        assert!(name[1..].iter().all(|&b| b == 0), "padded with NULs");
        assert_eq!(bytes[45], 0);
        assert_eq!(bytes.len(), 50);
    }
}

// ---------------------------------------------------------------------------------------------
// BER (snmp-parser, ldap-parser)
// ---------------------------------------------------------------------------------------------

fn check_snmp_get_sysdescr(bytes: &[u8], want_version: u32, cookie: Option<u32>) {
    use snmp_parser::{parse_snmp_v1, parse_snmp_v2c, PduType, SnmpPdu, VarBindValue};
    let (rest, msg) = if want_version == 0 {
        parse_snmp_v1(bytes).expect("valid SNMPv1 message")
    } else {
        parse_snmp_v2c(bytes).expect("valid SNMPv2c message")
    };
    assert!(rest.is_empty(), "nothing after the message");
    assert_eq!(msg.version, want_version);
    assert_eq!(msg.community, "public");
    assert_eq!(msg.pdu_type(), PduType::GetRequest);
    let SnmpPdu::Generic(pdu) = &msg.pdu else {
        panic!("not a generic PDU: {:?}", msg.pdu);
    };
    assert_eq!(pdu.req_id, positive_id(cookie), "request-id keyed");
    assert_eq!(pdu.err.0, 0);
    assert_eq!(pdu.err_index, 0);
    assert_eq!(pdu.var.len(), 1);
    assert_eq!(pdu.var[0].oid.to_id_string(), "1.3.6.1.2.1.1.1.0");
    assert!(matches!(pdu.var[0].val, VarBindValue::Unspecified));
}

#[test]
fn snmp_161_v2c_is_a_get_request_for_sysdescr() {
    for (bytes, cookie) in sent(161) {
        check_snmp_get_sysdescr(&bytes, 1, cookie);
    }
}

#[test]
fn snmp_161_v1_is_a_get_request_for_sysdescr() {
    let v1 = info(161, "SNMPv1");
    check_snmp_get_sysdescr(v1.bytes, 0, None);
    let mut buf = [0u8; 64];
    let n = v1.build(COOKIE, &mut buf).expect("fits");
    check_snmp_get_sysdescr(&buf[..n], 0, Some(COOKIE));
}

#[test]
fn cldap_389_is_a_root_dse_search() {
    use ldap_parser::filter::Filter;
    use ldap_parser::ldap::{DerefAliases, LdapMessage, ProtocolOp, SearchScope};
    use ldap_parser::FromBer;
    for (bytes, cookie) in sent(389) {
        let (rest, msg) = LdapMessage::from_ber(&bytes).expect("valid LDAPMessage");
        assert!(rest.is_empty(), "nothing after the message");
        assert_eq!(msg.message_id.0, positive_id(cookie), "messageID keyed");
        assert!(
            (1..=0x7fff_ffff).contains(&msg.message_id.0),
            "0 is reserved for unsolicited notifications; at most maxInt"
        );
        assert!(msg.controls.is_none());
        let ProtocolOp::SearchRequest(search) = &msg.protocol_op else {
            panic!("not a searchRequest: {:?}", msg.protocol_op);
        };
        assert_eq!(search.base_object.0, "", "root DSE");
        assert_eq!(search.scope, SearchScope::BaseObject);
        assert_eq!(search.deref_aliases, DerefAliases::NeverDerefAliases);
        assert_eq!((search.size_limit, search.time_limit), (0, 0));
        assert!(!search.types_only);
        let Filter::Present(attr) = &search.filter else {
            panic!("not a present filter: {:?}", search.filter);
        };
        assert_eq!(attr.0, "objectClass");
        assert!(search.attributes.is_empty(), "all user attributes");
    }
}

// ---------------------------------------------------------------------------------------------
// CoAP (coap-lite), SSDP (httparse)
// ---------------------------------------------------------------------------------------------

#[test]
fn coap_5683_is_a_confirmable_get_of_well_known_core() {
    use coap_lite::{CoapOption, MessageClass, MessageType, Packet, RequestType};
    for (bytes, cookie) in sent(5683) {
        let packet = Packet::from_bytes(&bytes).expect("valid CoAP message");
        assert_eq!(packet.header.get_version(), 1);
        assert_eq!(packet.header.get_type(), MessageType::Confirmable);
        assert_eq!(packet.header.code, MessageClass::Request(RequestType::Get));
        assert_eq!(
            packet.header.message_id,
            cookie.map_or(0x5343, |c| c as u16),
            "Message ID keyed"
        );
        assert_eq!(
            packet.get_token(),
            cookie.unwrap_or(0x5343_4657).to_be_bytes(),
            "a 4-byte token, keyed"
        );
        let path: Vec<&[u8]> = packet
            .get_option(CoapOption::UriPath)
            .expect("Uri-Path options")
            .iter()
            .map(Vec::as_slice)
            .collect();
        assert_eq!(path, [&b".well-known"[..], &b"core"[..]]);
        assert!(packet.payload.is_empty());
        // The bytes are exactly what coap-lite would write for that message.
        assert_eq!(packet.to_bytes().expect("serialises"), bytes);
    }
}

#[test]
fn ssdp_1900_is_an_m_search_for_everything() {
    let bytes = payload_for(1900);
    let mut headers = [httparse::EMPTY_HEADER; 8];
    let mut req = httparse::Request::new(&mut headers);
    let status = req.parse(bytes).expect("valid HTTP/1.1 request head");
    assert_eq!(
        status,
        httparse::Status::Complete(bytes.len()),
        "head ends the datagram"
    );
    assert_eq!(req.method, Some("M-SEARCH"));
    assert_eq!(req.path, Some("*"));
    assert_eq!(req.version, Some(1));
    let get = |name: &str| {
        req.headers
            .iter()
            .find(|h| h.name.eq_ignore_ascii_case(name))
            .map(|h| std::str::from_utf8(h.value).expect("ASCII"))
            .unwrap_or_else(|| panic!("missing {name}"))
    };
    assert_eq!(get("HOST"), "239.255.255.250:1900");
    assert_eq!(get("MAN"), "\"ssdp:discover\"");
    let mx: u32 = get("MX").parse().expect("integer MX");
    assert!((1..=5).contains(&mx), "MX between 1 and 5 (UDA 2.0 s1.3.2)");
    assert_eq!(get("ST"), "ssdp:all");
}

// ---------------------------------------------------------------------------------------------
// SIP: hand-written check against RFC 3261
// ---------------------------------------------------------------------------------------------

#[test]
fn sip_5060_is_a_complete_options_request() {
    for (bytes, cookie) in sent(5060) {
        let bytes = &bytes[..];
        let text = std::str::from_utf8(bytes).expect("SIP is text");
        assert!(text.is_ascii());
        let (head, body) = text
            .split_once("\r\n\r\n")
            .expect("header block ends in CRLF CRLF");
        assert!(body.is_empty(), "no body");
        assert!(
            !head.replace("\r\n", "").contains(['\r', '\n']),
            "every line ends in CRLF"
        );
        let mut lines = head.split("\r\n");
        // s7.1: Method SP Request-URI SP SIP-Version
        let request_line = lines.next().expect("request line");
        let parts: Vec<&str> = request_line.split(' ').collect();
        assert_eq!(parts.len(), 3, "{request_line}");
        assert_eq!(parts[0], "OPTIONS");
        assert!(parts[1].starts_with("sip:"), "a SIP Request-URI");
        assert_eq!(parts[2], "SIP/2.0");
        // Headers: name ":" value, no folding, each of the six mandatory ones exactly once.
        let mut headers: Vec<(String, &str)> = Vec::new();
        for line in lines {
            assert!(!line.starts_with([' ', '\t']), "no line folding");
            let (name, value) = line.split_once(':').expect("name: value");
            assert!(!name.is_empty() && !name.contains(' '), "{line}");
            headers.push((name.to_ascii_lowercase(), value.trim()));
        }
        let get = |name: &str| {
            let found: Vec<&str> = headers
                .iter()
                .filter(|(n, _)| n == name)
                .map(|(_, v)| *v)
                .collect();
            assert_eq!(found.len(), 1, "exactly one {name} header");
            found[0]
        };
        // s8.1.1.7 Via: SIP/2.0/UDP sent-by ;branch=z9hG4bK... ; rport (RFC 3581)
        let via = get("via");
        let (proto, params) = via.split_once(' ').expect("Via protocol and sent-by");
        assert_eq!(proto, "SIP/2.0/UDP");
        let mut params = params.split(';');
        let sent_by = params.next().expect("sent-by");
        assert!(!sent_by.is_empty());
        let params: Vec<&str> = params.collect();
        let branch = params
            .iter()
            .find_map(|p| p.strip_prefix("branch="))
            .expect("branch parameter");
        assert!(
            branch.starts_with("z9hG4bK") && branch.len() > 7,
            "{branch}"
        );
        let hex = format!("{:08x}", cookie.unwrap_or(0x5343_4657));
        assert_eq!(branch, format!("z9hG4bK-scanfw-{hex}"), "branch keyed");
        assert!(text.contains(&format!(";tag={hex}\r\n")), "From tag keyed");
        assert!(text.contains(&format!("Call-ID: {hex}@")), "Call-ID keyed");
        assert!(
            params.contains(&"rport"),
            "rport: answer to the source port"
        );
        // s8.1.1.6 Max-Forwards: 0 here, so no element forwards it (s16.3 item 3).
        assert_eq!(get("max-forwards"), "0");
        // s8.1.1.2 To, no tag; s8.1.1.3 From with a tag.
        let to = get("to");
        assert!(to.starts_with("<sip:") && !to.contains(";tag="), "{to}");
        let from = get("from");
        assert!(
            from.starts_with("<sip:") && from.contains(">;tag="),
            "{from}"
        );
        // s8.1.1.4 Call-ID: a word, optionally @host
        let call_id = get("call-id");
        assert!(!call_id.is_empty() && !call_id.contains(' '));
        // s8.1.1.5 CSeq: number and the request's method
        let (seq, method) = get("cseq").split_once(' ').expect("CSeq number method");
        assert!(seq.parse::<u32>().is_ok_and(|n| n < 1 << 31), "{seq}");
        assert_eq!(method, parts[0]);
        // s20.14 Content-Length matches the (empty) body.
        assert_eq!(get("content-length").parse::<usize>(), Ok(body.len()));
        get("contact");
        get("accept");
    }
}

// ---------------------------------------------------------------------------------------------
// Binary protocols: hand-written field-by-field checks
// ---------------------------------------------------------------------------------------------

#[test]
fn ntp_123_is_a_v4_client_request() {
    for (b, cookie) in sent(123) {
        let b = &b[..];
        assert_eq!(&b[40..44], b"SCFW", "transmit seconds: the marker");
        assert_eq!(
            be32(b, 44),
            cookie.unwrap_or(1),
            "transmit fraction: the cookie"
        );
        assert_eq!(
            b.len(),
            48,
            "RFC 5905 s7.3: the header alone, no extensions or MAC"
        );
        let (li, vn, mode) = (b[0] >> 6, (b[0] >> 3) & 7, b[0] & 7);
        assert_eq!(
            (li, vn, mode),
            (0, 4, 3),
            "no leap warning, version 4, client"
        );
        assert_eq!(b[1], 0, "stratum unspecified in a client request");
        assert!((4..=17).contains(&b[2]), "poll within MINPOLL..MAXPOLL");
        assert!((b[3] as i8) < 0, "precision is a negative log2");
        assert_eq!(be32(b, 4), 0, "root delay");
        assert_eq!(be32(b, 8), 0, "root dispersion");
        assert_eq!(be32(b, 12), 0, "reference id");
        assert!(
            b[16..40].iter().all(|&x| x == 0),
            "reference, origin, receive"
        );
        let xmt = u64::from_be_bytes(b[40..48].try_into().expect("8 bytes"));
        assert_ne!(xmt, 0, "a non-zero transmit timestamp, echoed as origin");
    }
}

#[test]
fn tftp_69_is_an_octet_mode_read_request() {
    let b = payload_for(69);
    assert_eq!(be16(b, 0), 1, "opcode RRQ");
    let fields: Vec<&[u8]> = b[2..].split(|&x| x == 0).collect();
    // filename NUL mode NUL -> split gives filename, mode and the empty tail.
    assert_eq!(fields.len(), 3, "two NUL-terminated strings");
    assert!(fields[2].is_empty(), "ends in NUL");
    let filename = std::str::from_utf8(fields[0]).expect("ASCII filename");
    assert!(!filename.is_empty() && filename.is_ascii());
    assert!(
        !filename.contains(['/', '\\']) && !filename.contains(".."),
        "no path"
    );
    assert!(fields[1].eq_ignore_ascii_case(b"octet"));
}

#[test]
fn sunrpc_111_is_a_portmapper_null_call() {
    for (b, cookie) in sent(111) {
        let b = &b[..];
        assert_eq!(be32(b, 0), cookie.unwrap_or(0x5343_4657), "xid: the cookie");
        assert_eq!(b.len() % 4, 0, "XDR: whole 32-bit words");
        assert_eq!(b.len(), 40, "ten words: no record mark over UDP");
        assert_ne!(be32(b, 0), 0, "xid");
        assert_eq!(be32(b, 4), 0, "msg_type CALL");
        assert_eq!(be32(b, 8), 2, "rpcvers");
        assert_eq!(be32(b, 12), 100_000, "program: portmapper");
        assert_eq!(be32(b, 16), 2, "version");
        assert_eq!(be32(b, 20), 0, "procedure NULL");
        // opaque_auth cred and verf: flavor AUTH_NONE, body length 0 (and so no body).
        assert_eq!((be32(b, 24), be32(b, 28)), (0, 0), "cred");
        assert_eq!((be32(b, 32), be32(b, 36)), (0, 0), "verf");
    }
}

#[test]
fn memcached_11211_is_a_framed_version_command() {
    for (b, cookie) in sent(11211) {
        let b = &b[..];
        assert_eq!(
            be16(b, 0),
            cookie.map_or(0x5343, |c| c as u16),
            "request id keyed"
        );
        assert_eq!(be16(b, 2), 0, "sequence number");
        assert_eq!(be16(b, 4), 1, "one datagram in the message");
        assert_eq!(be16(b, 6), 0, "reserved");
        assert_eq!(&b[8..], b"version\r\n");
    }
}

#[test]
fn rip_520_is_a_v2_whole_table_request() {
    let b = payload_for(520);
    assert_eq!((b.len() - 4) % 20, 0, "header + 20-byte entries");
    assert_eq!(b[0], 1, "command: request");
    assert_eq!(b[1], 2, "version 2");
    assert_eq!(be16(b, 2), 0, "must be zero");
    assert_eq!(b.len(), 24, "exactly one entry (s3.9.1)");
    assert_eq!(be16(b, 4), 0, "address family 0");
    assert_eq!(be16(b, 6), 0, "route tag");
    assert_eq!(be32(b, 8), 0, "address");
    assert_eq!(be32(b, 12), 0, "mask");
    assert_eq!(be32(b, 16), 0, "next hop");
    assert_eq!(be32(b, 20), 16, "metric infinity");
}

#[test]
fn openvpn_1194_is_a_client_hard_reset_v2() {
    for (b, cookie) in sent(1194) {
        let b = &b[..];
        assert_eq!(&b[1..5], b"SCFW", "session id: the marker ...");
        assert_eq!(be32(b, 5), cookie.unwrap_or(1), "... then the cookie");
        assert_eq!(b[0] >> 3, 7, "opcode P_CONTROL_HARD_RESET_CLIENT_V2");
        assert_eq!(b[0] & 7, 0, "key id 0");
        assert!(b[1..9].iter().any(|&x| x != 0), "a session id");
        let acks = usize::from(b[9]);
        assert_eq!(acks, 0, "nothing to acknowledge yet");
        // With no acks there is no remote session id; then the message packet id.
        let at = 10 + 4 * acks;
        assert_eq!(be32(b, at), 0, "first control packet");
        assert_eq!(b.len(), at + 4, "no TLS payload in a reset");
    }
}

#[test]
fn ike_500_is_a_main_mode_first_message() {
    for (b, cookie) in sent(500) {
        let b = &b[..];
        assert_eq!(&b[0..4], b"SCFW", "initiator cookie: the marker ...");
        assert_eq!(be32(b, 4), cookie.unwrap_or(1), "... then the cookie");
        // RFC 2408 s3.1 header
        assert_eq!(b.len(), 84);
        assert!(b[0..8].iter().any(|&x| x != 0), "non-zero initiator cookie");
        assert!(b[8..16].iter().all(|&x| x == 0), "zero responder cookie");
        assert_eq!(b[16], 1, "next payload SA");
        assert_eq!(b[17], 0x10, "version 1.0");
        assert_eq!(b[18], 2, "exchange: Identity Protection (Main Mode)");
        assert_eq!(b[19], 0, "flags");
        assert_eq!(be32(b, 20), 0, "message id");
        assert_eq!(be32(b, 24) as usize, b.len(), "length covers the message");
        // s3.4 SA payload, the only payload
        let sa = &b[28..];
        assert_eq!(sa[0], 0, "no payload after SA");
        assert_eq!(sa[1], 0, "reserved");
        assert_eq!(usize::from(be16(sa, 2)), sa.len(), "SA length");
        assert_eq!(be32(sa, 4), 1, "DOI IPsec");
        assert_eq!(be32(sa, 8), 1, "SIT_IDENTITY_ONLY");
        // s3.5 proposal
        let prop = &sa[12..];
        assert_eq!(prop[0], 0, "last proposal");
        assert_eq!(usize::from(be16(prop, 2)), prop.len(), "proposal length");
        assert_eq!(prop[4], 1, "proposal #1");
        assert_eq!(prop[5], 1, "PROTO_ISAKMP");
        assert_eq!(prop[6], 0, "no SPI in phase 1");
        assert_eq!(prop[7], 1, "one transform");
        // s3.6 transform
        let tr = &prop[8..];
        assert_eq!(tr[0], 0, "last transform");
        assert_eq!(usize::from(be16(tr, 2)), tr.len(), "transform length");
        assert_eq!(tr[4], 1, "transform #1");
        assert_eq!(tr[5], 1, "KEY_IKE");
        assert_eq!(be16(tr, 6), 0, "reserved");
        // s3.3 attributes: all TV (AF set), 4 bytes each
        let attrs: Vec<(u16, u16)> = tr[8..]
            .chunks(4)
            .map(|a| {
                assert_eq!(a.len(), 4);
                let t = be16(a, 0);
                assert_ne!(t & 0x8000, 0, "TV form");
                (t & 0x7fff, be16(a, 2))
            })
            .collect();
        // RFC 2409 Appendix A: the mandatory classes of a phase-1 transform.
        let find = |class: u16| {
            attrs
                .iter()
                .find(|(t, _)| *t == class)
                .map(|&(_, v)| v)
                .unwrap_or_else(|| panic!("attribute class {class} missing"))
        };
        assert_eq!(find(1), 7, "AES-CBC");
        assert_eq!(find(14), 128, "128-bit key");
        assert_eq!(find(2), 2, "SHA");
        assert_eq!(find(3), 1, "pre-shared key");
        assert_eq!(find(4), 14, "MODP group 14");
        assert_eq!((find(11), find(12)), (1, 28_800), "lifetime 28800 s");
        let mut classes: Vec<u16> = attrs.iter().map(|&(t, _)| t).collect();
        classes.dedup();
        assert_eq!(classes.len(), attrs.len(), "each class once");
    }
}
