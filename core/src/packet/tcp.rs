//! TCP headers: building probes and reading replies.

use super::{be16, be32, checksum::tcp_checksum};
use crate::technique::{ProbeBuildError, ProbeContext};

/// IP protocol number of TCP.
pub const IPPROTO_TCP: u8 = 6;
/// Length of a TCP header without options.
pub const TCP_HEADER_LEN: usize = 20;
/// Longest TCP options field (data offset 15 words).
const MAX_OPTIONS_LEN: usize = 40;

/// TCP flag bits (byte 13 of the header).
pub mod tcp_flags {
    /// No more data from sender.
    pub const FIN: u8 = 0x01;
    /// Synchronise sequence numbers.
    pub const SYN: u8 = 0x02;
    /// Reset the connection.
    pub const RST: u8 = 0x04;
    /// Push function.
    pub const PSH: u8 = 0x08;
    /// Acknowledgement field significant.
    pub const ACK: u8 = 0x10;
    /// Urgent pointer field significant.
    pub const URG: u8 = 0x20;
    /// ECN echo.
    pub const ECE: u8 = 0x40;
    /// Congestion window reduced.
    pub const CWR: u8 = 0x80;
}

/// The fields of a TCP header that techniques look at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TcpFields {
    /// Source port.
    pub src_port: u16,
    /// Destination port.
    pub dst_port: u16,
    /// Sequence number.
    pub seq: u32,
    /// Acknowledgement number (meaningful only with the ACK flag).
    pub ack: u32,
    /// Flag bits, see [`tcp_flags`].
    pub flags: u8,
    /// Window size.
    pub window: u16,
}

/// Reads the header of a received TCP segment.
///
/// `None` unless the segment holds at least 20 bytes and a data offset between 5 and 15 words
/// that fits in the segment. The checksum is not verified: on loopback and with checksum offload
/// a raw socket sees segments whose checksum is not filled in yet, and the engine's cookie check
/// is what proves a reply genuine.
pub fn parse_tcp(segment: &[u8]) -> Option<TcpFields> {
    if segment.len() < TCP_HEADER_LEN {
        return None;
    }
    let header_len = usize::from(*segment.get(12)? >> 4) * 4;
    if header_len < TCP_HEADER_LEN || header_len > segment.len() {
        return None;
    }
    Some(TcpFields {
        src_port: be16(segment, 0)?,
        dst_port: be16(segment, 2)?,
        seq: be32(segment, 4)?,
        ack: be32(segment, 8)?,
        flags: *segment.get(13)?,
        window: be16(segment, 14)?,
    })
}

/// Writes a TCP header with `options` into `buf` and returns its length.
///
/// Ports come from `ctx`, the sequence number is `ctx.cookie`, the urgent pointer is zero and the
/// checksum covers the pseudo-header of `ctx.src.ip()` and `ctx.dst.ip()`. `options` is padded
/// with zero bytes (end of option list) to a multiple of four. Options are the technique's own
/// constants: more than 40 bytes cannot be expressed and is a programming error (debug builds
/// panic; release builds keep the first 40 bytes).
///
/// Errors: [`ProbeBuildError::FamilyMismatch`] when the addresses' families differ,
/// [`ProbeBuildError::BufferTooSmall`] (with the length needed) when `buf` is too short.
pub fn build_tcp(
    buf: &mut [u8],
    ctx: &ProbeContext,
    flags: u8,
    ack: u32,
    window: u16,
    options: &[u8],
) -> Result<usize, ProbeBuildError> {
    if ctx.src.is_ipv4() != ctx.dst.is_ipv4() {
        return Err(ProbeBuildError::FamilyMismatch);
    }
    debug_assert!(options.len() <= MAX_OPTIONS_LEN, "TCP options too long");
    let options = &options[..options.len().min(MAX_OPTIONS_LEN)];
    let padded = options.len().div_ceil(4) * 4;
    let len = TCP_HEADER_LEN + padded;
    let Some(out) = buf.get_mut(..len) else {
        return Err(ProbeBuildError::BufferTooSmall(len));
    };
    out[0..2].copy_from_slice(&ctx.src.port().to_be_bytes());
    out[2..4].copy_from_slice(&ctx.dst.port().to_be_bytes());
    out[4..8].copy_from_slice(&ctx.cookie.to_be_bytes());
    out[8..12].copy_from_slice(&ack.to_be_bytes());
    // len <= 60, so the data offset fits in four bits.
    out[12] = ((len / 4) as u8) << 4;
    out[13] = flags;
    out[14..16].copy_from_slice(&window.to_be_bytes());
    out[16..18].fill(0);
    out[18..20].fill(0);
    out[TCP_HEADER_LEN..TCP_HEADER_LEN + options.len()].copy_from_slice(options);
    out[TCP_HEADER_LEN + options.len()..].fill(0);
    let sum = tcp_checksum(ctx.src.ip(), ctx.dst.ip(), out);
    out[16..18].copy_from_slice(&sum.to_be_bytes());
    Ok(len)
}
