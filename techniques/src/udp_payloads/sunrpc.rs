//! ONC RPC portmapper / rpcbind (port 111): call to program 100000 version 2, procedure 0 (NULL).
//!
//! Written from RFC 5531 s9 (the RPC message: xid, msg_type CALL = 0, rpcvers 2, prog, vers,
//! proc, cred, verf; XDR per RFC 4506: every field a big-endian 32-bit word) and s10.1 (AUTH_NONE:
//! flavor 0, empty body), and RFC 1833 s3 (the portmapper is program 100000, version 2; procedure
//! 0 PMAPPROC_NULL does no work and returns nothing). Over UDP there is no record marking (that is
//! for stream transports, RFC 5531 s11).

use super::{be32, cat};

/// Transaction id, fixed: `SCFW`.
const XID: u32 = 0x5343_4657;

/// PMAPPROC_NULL call; 40 bytes.
pub const PORTMAP_NULL: [u8; 40] = cat(&[
    &be32(XID),
    &be32(0),       // msg_type CALL
    &be32(2),       // rpcvers
    &be32(100_000), // prog: portmapper
    &be32(2),       // vers
    &be32(0),       // proc: NULL
    &be32(0),       // cred flavor AUTH_NONE
    &be32(0),       // cred body length
    &be32(0),       // verf flavor AUTH_NONE
    &be32(0),       // verf body length
]);
