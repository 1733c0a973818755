//! # scanfw-reporters
//!
//! Reporter plugins: `table` (nmap-like normal output), `json` and `xml` (nmap-compatible).
