//! ONC RPC portmapper / rpcbind (port 111): call to program 100000 version 2, procedure 0 (NULL).
//!
//! Written from RFC 5531 s9 (the RPC message: xid, msg_type CALL = 0, rpcvers 2, prog, vers,
//! proc, cred, verf; XDR per RFC 4506: every field a big-endian 32-bit word) and s10.1 (AUTH_NONE:
//! flavor 0, empty body), and RFC 1833 s3 (the portmapper is program 100000, version 2; procedure
//! 0 PMAPPROC_NULL does no work and returns nothing). Over UDP there is no record marking (that is
//! for stream transports, RFC 5531 s11).
//!
//! The xid is the probe's whole 32-bit cookie: "the xid of a REPLY message always matches that
//! of the initiating CALL message" (s9), so a reply proves its call ([`ECHO`]).

use super::echo::{put, u32_at, EchoField, Echoed};
use super::{be32, cat};

/// Transaction id of the template, `SCFW`; each probe's is its cookie.
const XID: u32 = 0x5343_4657;
/// msg_type CALL and REPLY (RFC 5531 s9).
const CALL: u32 = 0;
const REPLY: u32 = 1;

/// PMAPPROC_NULL call; 40 bytes.
pub const PORTMAP_NULL: [u8; 40] = cat(&[
    &be32(XID),
    &be32(CALL),    // msg_type CALL
    &be32(2),       // rpcvers
    &be32(100_000), // prog: portmapper
    &be32(2),       // vers
    &be32(0),       // proc: NULL
    &be32(0),       // cred flavor AUTH_NONE
    &be32(0),       // cred body length
    &be32(0),       // verf flavor AUTH_NONE
    &be32(0),       // verf body length
]);

/// The xid: 32 keyed bits, matched by every reply (RFC 5531 s9).
pub(super) const ECHO: EchoField = EchoField {
    field: "xid",
    bits: 32,
    stamp: |cookie, payload| put(payload, 0, &cookie.to_be_bytes()),
    echoed: reply_xid,
};

/// The xid of an RPC message of at least three words (xid, msg_type, then the reply's
/// reply_stat or the call's rpcvers) whose msg_type is REPLY, or CALL: a UDP echo service's
/// copy of the call.
fn reply_xid(reply: &[u8]) -> Option<Echoed> {
    if reply.len() < 12 || !matches!(u32_at(reply, 4)?, CALL | REPLY) {
        return None;
    }
    u32_at(reply, 0).map(Echoed::full)
}
