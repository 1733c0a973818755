//! SIP (port 5060): an `OPTIONS` request that no element may forward.
//!
//! Written from RFC 3261: s7.1 (request line), s8.1.1 (the six header fields every request must
//! carry: To, From, CSeq, Call-ID, Max-Forwards, Via), s8.1.1.7 (Via branch starting with the
//! magic cookie `z9hG4bK`), s8.1.1.3 (From tag), s11 (OPTIONS: capabilities query; Contact and
//! Accept as in the s11.1 example), s18.3 / s20.14 (Content-Length, recommended over UDP) and
//! s16.3 item 3 (a proxy may answer an OPTIONS whose Max-Forwards is 0 itself; otherwise it
//! answers 483 Too Many Hops). `Max-Forwards: 0` therefore guarantees a reply from the probed
//! element and no forwarding. The Via header carries `rport` (RFC 3581 s3/s4), so the answer
//! goes back to the datagram's source port rather than to port 5060 of the sent-by host.
//!
//! Names under the reserved `.invalid` TLD (RFC 6761 s6.4) never resolve. Fixed identifiers:
//! branch `z9hG4bK-scanfw-53434657`, From tag and Call-ID `53434657` (`SCFW` in hex), CSeq 1.

/// OPTIONS capabilities query; 337 bytes.
pub const SIP_OPTIONS: [u8; 337] = *b"OPTIONS sip:scanfw.invalid SIP/2.0\r\n\
Via: SIP/2.0/UDP scanfw.invalid:5060;branch=z9hG4bK-scanfw-53434657;rport\r\n\
Max-Forwards: 0\r\n\
To: <sip:scanfw.invalid>\r\n\
From: <sip:scanfw@scanfw.invalid>;tag=53434657\r\n\
Call-ID: 53434657@scanfw.invalid\r\n\
CSeq: 1 OPTIONS\r\n\
Contact: <sip:scanfw@scanfw.invalid>\r\n\
Accept: application/sdp\r\n\
Content-Length: 0\r\n\
\r\n";
