//! OpenVPN (port 1194): P_CONTROL_HARD_RESET_CLIENT_V2, the first packet of a UDP session.
//!
//! Written from the OpenVPN protocol documentation (the "OpenVPN protocol" specification in the
//! openvpn-rfc project, section "Control channel packets", and the protocol overview in
//! OpenVPN's doc/doxygen): over UDP a control packet is opcode (high 5 bits) and key id (low 3
//! bits) in one byte, an 8-byte session id, then (no tls-auth/tls-crypt in use) the ack array
//! length and array, and the 4-byte message packet id, then TLS payload. The hard reset carries
//! no acks and no payload; P_CONTROL_HARD_RESET_CLIENT_V2 is opcode 7, key id 0. A server without
//! tls-auth/tls-crypt answers with P_CONTROL_HARD_RESET_SERVER_V2 and forgets the half-open
//! session when no TLS handshake follows; a server with them drops the packet silently.

use super::{be32, cat};

/// Opcode 7 (P_CONTROL_HARD_RESET_CLIENT_V2) << 3 | key id 0.
const OPCODE_KEY_ID: u8 = 7 << 3;
/// Session id, fixed: `SCFW` 0 0 0 1.
const SESSION_ID: [u8; 8] = [0x53, 0x43, 0x46, 0x57, 0, 0, 0, 1];

/// Hard reset from client, version 2; 14 bytes.
pub const OPENVPN_HARD_RESET: [u8; 14] = cat(&[
    &[OPCODE_KEY_ID],
    &SESSION_ID,
    &[0],     // ack packet-id array length: none
    &be32(0), // message packet-id: 0, the first control packet
]);
