//! RIP (port 520): RIPv2 request for the whole routing table.
//!
//! Written from RFC 2453 s4 (RIPv2 message: command, version 2, a must-be-zero field, then
//! 20-byte route entries: address family, route tag, IP address, subnet mask, next hop, metric)
//! and s3.9.1 (a request with exactly one entry whose address family is 0 and whose metric is
//! infinity, 16, asks for the entire table; a request from a port other than 520 is answered to
//! that port). A request changes no route.

use super::{be16, be32, cat};

/// Request, version 2, one "whole table" entry; 24 bytes.
pub const RIPV2_WHOLE_TABLE: [u8; 24] = cat(&[
    &[1, 2],   // command: request; version 2
    &be16(0),  // must be zero
    &be16(0),  // address family identifier: 0 (whole-table request)
    &be16(0),  // route tag
    &be32(0),  // IP address
    &be32(0),  // subnet mask
    &be32(0),  // next hop
    &be32(16), // metric: infinity
]);
