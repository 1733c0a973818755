//! # scanfw-config
