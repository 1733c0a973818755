//! TFTP (port 69): read request (RRQ) for a file that should not exist, octet mode.
//!
//! Written from RFC 1350 s5 (RRQ packet: opcode 1, filename, NUL, mode, NUL) and s1 (the "octet"
//! mode). A server answers with ERROR (file not found or access violation, opcode 5, s5) or,
//! should the file exist, with DATA block 1 (its transfer then times out unacknowledged). A read
//! request never writes anything on the server.

use super::{be16, cat};

/// RRQ `scanfw-probe` in octet mode; 21 bytes.
pub const TFTP_RRQ: [u8; 21] = cat(&[
    &be16(1), // opcode RRQ
    b"scanfw-probe",
    &[0],
    b"octet",
    &[0],
]);
