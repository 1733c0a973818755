//! The technique plugin contract.
//!
//! A technique is pure logic: it says which probe to send and what a reply means. It owns no
//! sockets, clocks, retries or rate limits; the [`engine`](crate::engine) does all of that and is
//! the same for every technique. Two probe methods exist:
//!
//! * [`ConnectProbe`]: the engine opens a TCP connection with the operating system's `connect()`
//!   (no privileges needed) and hands the outcome to the technique to classify.
//! * [`RawProbe`]: the engine gives the technique a buffer and the addresses, ports and keyed
//!   cookie of a probe; the technique writes the transport header and payload. For every packet
//!   that arrives, the technique recognises its own replies (including ICMP errors quoting its
//!   probes), reports the flow and the cookie it echoes, and classifies it. The engine verifies
//!   the cookie, so a forged or stale reply never changes a port. The engine writes the IP
//!   header, with keyed bits of its own (see [`Echo`]).
//!
//! In both cases [`ScanTechnique::on_silence`] says what no reply after every retry means.

use crate::ports::Protocol;
use crate::state::{PortState, Verdict};
use std::fmt;
use std::net::{IpAddr, SocketAddr};
use thiserror::Error;

/// A port-scan technique (connect, SYN, UDP, FIN, ...).
///
/// Contract:
/// * all methods are pure and cheap; they may be called from several threads at once;
/// * `name` is the registry name, `scan_type` nmap's `<scaninfo type>` value;
/// * a technique never returns a verdict for a packet or outcome it does not understand: it
///   returns `None`, and the engine treats that as no information.
pub trait ScanTechnique: Send + Sync + fmt::Debug {
    /// Registry name (`connect`, `syn`, ...).
    fn name(&self) -> &'static str;
    /// The transport protocol whose ports it scans.
    fn protocol(&self) -> Protocol;
    /// nmap's scan type name for `<scaninfo type=..>`.
    fn scan_type(&self) -> &'static str;
    /// The verdict for a port that never answered, after every retry (reason `no-response`).
    fn on_silence(&self) -> Verdict;
    /// How probes are sent and replies classified.
    fn probe(&self) -> ProbeMethod<'_>;
    /// Whether silence means the port may be open (UDP, FIN, NULL, Xmas, Maimon).
    fn silence_is_open(&self) -> bool {
        self.on_silence().state == PortState::OpenFiltered
    }
}

/// How a technique probes.
#[derive(Clone, Copy)]
pub enum ProbeMethod<'a> {
    /// Through the operating system's `connect()`.
    Connect(&'a dyn ConnectProbe),
    /// Through raw packets the technique builds and parses.
    Raw(&'a dyn RawProbe),
}

impl fmt::Debug for ProbeMethod<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ProbeMethod::Connect(_) => "Connect",
            ProbeMethod::Raw(_) => "Raw",
        })
    }
}

/// What a `connect()` attempt ended with, before any timeout (timeouts are the engine's).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConnectOutcome {
    /// The three-way handshake completed.
    Established,
    /// `connect()` failed with this `errno` value.
    Failed(i32),
}

/// Classifies `connect()` outcomes.
///
/// The engine never passes resource errors it handles itself (`EMFILE`, `ENFILE`, `ENOBUFS`,
/// `EADDRNOTAVAIL`, `EAGAIN`): those are back-pressure, not information about the port.
pub trait ConnectProbe: Send + Sync {
    /// The verdict for an outcome, or `None` when it says nothing about the port.
    fn classify(&self, outcome: ConnectOutcome) -> Option<Verdict>;
}

/// Addresses and cookie of one raw probe, chosen by the engine.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProbeContext {
    /// Local address and source port of the probe.
    pub src: SocketAddr,
    /// Target address and port.
    pub dst: SocketAddr,
    /// Keyed cookie that a reply must echo (e.g. as TCP sequence number); it encodes the try.
    pub cookie: u32,
}

/// One received packet, as the engine hands it to a raw technique.
#[derive(Debug, Clone, Copy)]
pub struct ReplyContext<'a> {
    /// Source address of the packet (the target, or a router for ICMP errors).
    pub from: IpAddr,
    /// Destination address (one of ours).
    pub to: IpAddr,
    /// TTL or hop limit of the packet.
    pub ttl: u8,
    /// IP protocol number of the payload (6 TCP, 17 UDP, 1 ICMP, 58 ICMPv6).
    pub ip_protocol: u8,
    /// The IP payload: the transport header and what follows. Untrusted: any length, any bytes.
    pub payload: &'a [u8],
}

/// How a recognised packet proves which probe it answers.
///
/// Besides what the variant says, the engine checks on its own, for every ICMP error, the keyed
/// IPv4 identification or IPv6 flow label of the quoted probe header (the engine writes the IP
/// header of every probe), so a technique cannot forget it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Echo {
    /// The packet carries the probe's cookie (a TCP reply's acknowledgement number less one, or
    /// the sequence number quoted in an ICMP error). The engine accepts it only if it equals the
    /// keyed cookie of the flow, for some try.
    Cookie(u32),
    /// The packet echoes the bits `mask` of the probe's cookie, in `value` (a UDP reply whose
    /// protocol copies a field of the request: a DNS ID carries 16 bits, an RPC XID 32). The
    /// engine accepts it only if `value & mask` equals the keyed cookie's bits under `mask`.
    Stamp {
        /// The echoed bits, in the cookie's positions.
        value: u32,
        /// Which bits of the cookie the reply carries; the try is in the low four.
        mask: u32,
    },
    /// The packet carries no cookie (a UDP reply to an empty probe): the engine checks that the local port is the keyed port of the flow,
    /// and counts the reply as unverified. `seq` is the packet's own sequence number (0 where
    /// there is none): when it equals the cookie the engine would put in a probe of the
    /// reversed flow, the packet is one of our own probes seen again on loopback and is dropped.
    Flow {
        /// Sequence number of the packet, 0 if none.
        seq: u32,
    },
    /// The packet proves nothing yet but can be put to the test (a TCP SYN without ACK, the
    /// split handshake): the engine checks the keyed local port, then has the technique answer
    /// it with [`RawProbe::challenge`], which carries a challenge cookie. Only a packet that
    /// echoes that cookie ([`Echo::Answer`]) decides the port. `seq` is the packet's sequence
    /// number, as for [`Echo::Flow`], and is handed to the challenge.
    Challenge {
        /// Sequence number of the packet.
        seq: u32,
    },
    /// The packet answers a challenge: it carries the challenge cookie the engine put in it (a
    /// TCP ACK's acknowledgement number less one).
    Answer(u32),
}

/// A packet a raw technique recognised as a possible reply to one of its probes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RawMatch {
    /// The probe's target address and port.
    pub target: SocketAddr,
    /// The probe's source port.
    pub local_port: u16,
    /// What the engine verifies before believing the packet.
    pub echo: Echo,
    /// What the reply means.
    pub verdict: Verdict,
}

/// Why a raw probe could not be built.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum ProbeBuildError {
    /// The buffer given is too small.
    #[error("probe buffer too small: need {0} bytes")]
    BufferTooSmall(usize),
    /// Source and destination families differ.
    #[error("source and destination address families differ")]
    FamilyMismatch,
    /// The probe does not exist in the destination's address family (the ICMP timestamp and
    /// address mask requests have no ICMPv6 form). The value names the probe.
    #[error("{0} probes do not exist for this address family")]
    UnsupportedFamily(&'static str),
    /// The technique has no challenge for the reply (see [`RawProbe::challenge`]).
    #[error("this technique cannot put such a reply to the test")]
    NoChallenge,
}

/// Builds raw probes and recognises their replies. Pure logic over bytes.
pub trait RawProbe: Send + Sync {
    /// IP protocol number of the probes (6 for TCP, 17 for UDP, 1 for ICMP). A probe whose
    /// protocol number differs by family returns its IPv4 number here and overrides
    /// [`ip_protocol_for`](Self::ip_protocol_for).
    fn ip_protocol(&self) -> u8;
    /// IP protocol number of the probes to an IPv6 (`v6`) or IPv4 target. The same as
    /// [`ip_protocol`](RawProbe::ip_protocol) except for probes whose protocol differs by family
    /// (ICMP is 1 over IPv4 and ICMPv6 58 over IPv6), which override it.
    fn ip_protocol_for(&self, v6: bool) -> u8 {
        let _ = v6;
        self.ip_protocol()
    }
    /// Writes the transport header and payload of a probe into `buf` (the engine adds the IP
    /// header) and returns its length. Checksums are the technique's, over the pseudo-header of
    /// `ctx.src` and `ctx.dst`.
    fn build(&self, ctx: &ProbeContext, buf: &mut [u8]) -> Result<usize, ProbeBuildError>;
    /// Recognises and classifies a received packet; `None` for anything not a reply to this
    /// technique's probes. Must not panic on any input.
    fn classify(&self, reply: &ReplyContext<'_>) -> Option<RawMatch>;
    /// Writes the packet that puts a reply classified with [`Echo::Challenge`] to the test, as
    /// [`build`](Self::build) writes a probe: `ctx` holds the probe's addresses and ports and the
    /// challenge cookie, `seq` the challenged packet's sequence number. The technique must then
    /// classify the answer with [`Echo::Answer`]. The default builds nothing, and such replies
    /// are never believed.
    fn challenge(
        &self,
        ctx: &ProbeContext,
        seq: u32,
        buf: &mut [u8],
    ) -> Result<usize, ProbeBuildError> {
        let _ = (ctx, seq, buf);
        Err(ProbeBuildError::NoChallenge)
    }
}
