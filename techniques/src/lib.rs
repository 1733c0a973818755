//! # scanfw-techniques
//!
//! The technique plugins. Each technique is one small file of pure logic (what to send, what a
//! reply means) and registers itself with the core registry through `inventory`; the engine in
//! `scanfw-core` does all sending, timing and matching. Link this crate by naming it
//! (`use scanfw_techniques as _;`) to make its techniques available.

mod connect;
mod syn;

pub use connect::Connect;
pub use syn::Syn;
