//! SSDP (port 1900): `M-SEARCH` for every device and service (`ST: ssdp:all`).
//!
//! Written from the UPnP Device Architecture 2.0, s1.3.2 "Search request with M-SEARCH": request
//! line `M-SEARCH * HTTP/1.1`, `HOST` (the SSDP multicast address and port), `MAN` (quoted
//! `"ssdp:discover"`), `MX` (seconds the device may delay its answer; required for multicast,
//! ignored for unicast, kept at 1) and `ST` (search target). Each device answers with an HTTP
//! 200 response to the request's source address and port (s1.3.3); a search changes nothing.
//! The payload is static, so `HOST` names the multicast group even when the datagram is sent by
//! unicast (where s1.3.2 would have the target's own address and port); devices answer either.

/// M-SEARCH `ssdp:all`; 94 bytes.
pub const SSDP_MSEARCH: [u8; 94] = *b"M-SEARCH * HTTP/1.1\r\n\
HOST: 239.255.255.250:1900\r\n\
MAN: \"ssdp:discover\"\r\n\
MX: 1\r\n\
ST: ssdp:all\r\n\
\r\n";
