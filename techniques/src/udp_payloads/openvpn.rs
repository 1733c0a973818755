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
//!
//! The session id is `SCFW` followed by the probe's whole 32-bit cookie. The server's hard reset
//! acknowledges our packet id 0, and a control packet that carries acks carries after them the
//! peer's session id ("remote session id"), i.e. ours: a reply proves its request by it
//! ([`ECHO`]).

use super::echo::{marked_at, put_marked, EchoField, Echoed};
use super::{be32, cat};

/// P_CONTROL_HARD_RESET_CLIENT_V2, and the opcode a server answers it with.
const HARD_RESET_CLIENT_V2: u8 = 7;
const HARD_RESET_SERVER_V2: u8 = 8;
/// The other control opcodes that may carry acks (and then the remote session id): the key
/// method 1 server reset, P_CONTROL_V1 and P_ACK_V1.
const HARD_RESET_SERVER_V1: u8 = 2;
const CONTROL_V1: u8 = 4;
const ACK_V1: u8 = 5;
/// Opcode 7 (P_CONTROL_HARD_RESET_CLIENT_V2) << 3 | key id 0.
const OPCODE_KEY_ID: u8 = HARD_RESET_CLIENT_V2 << 3;
/// Session id of the template: `SCFW` 0 0 0 1; each probe's last four octets are its cookie.
const SESSION_ID: [u8; 8] = [0x53, 0x43, 0x46, 0x57, 0, 0, 0, 1];
/// Offsets: the session id follows the opcode octet; the ack array length follows it.
const SESSION_AT: usize = 1;
const ACK_LEN_AT: usize = 9;

/// Hard reset from client, version 2; 14 bytes.
pub const OPENVPN_HARD_RESET: [u8; 14] = cat(&[
    &[OPCODE_KEY_ID],
    &SESSION_ID,
    &[0],     // ack packet-id array length: none
    &be32(0), // message packet-id: 0, the first control packet
]);

/// The session id: 32 keyed bits, echoed as the remote session id of the server's reply.
pub(super) const ECHO: EchoField = EchoField {
    field: "session ID (echoed as remote session ID)",
    bits: 32,
    stamp: |cookie, payload| put_marked(payload, SESSION_AT, cookie),
    echoed: remote_session,
};

/// Our session id in a control packet without tls-auth: after the acks of a server reset,
/// control packet or ack (only when there are acks), or at its own place in a client hard
/// reset (our request, reflected by an echo service).
fn remote_session(reply: &[u8]) -> Option<Echoed> {
    let (&op, _) = reply.split_first()?;
    match op >> 3 {
        HARD_RESET_CLIENT_V2 => marked_at(reply, SESSION_AT),
        HARD_RESET_SERVER_V2 | HARD_RESET_SERVER_V1 | CONTROL_V1 | ACK_V1 => {
            let acks = usize::from(*reply.get(ACK_LEN_AT)?);
            if acks == 0 {
                return None;
            }
            marked_at(reply, ACK_LEN_AT + 1 + 4 * acks)
        }
        _ => None,
    }
}
