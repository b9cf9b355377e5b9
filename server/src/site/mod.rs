//! The built site: the hydrate bundle and stylesheet under `/pkg`, prepared
//! once at build time (`brightrun site prepare`) with content-hashed names
//! and brotli and gzip copies beside each file, then served with
//! `immutable` caching; and the compression and cache policy of everything
//! else the server sends (HTML never cached, JSON compressed, storage
//! downloads and their byte ranges passed through untouched).

mod compression;
mod manifest;
mod prepare;
mod static_files;

pub use compression::{cache_policy, compression_layer};
pub use manifest::Manifest;
pub use prepare::{PrepareError, Prepared, prepare};
pub use static_files::pkg_service;
