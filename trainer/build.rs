//! The CUDA build's link search path. `scripts/build-cuda` links the GPU agent
//! against link-only stubs of NVIDIA's libraries on machines without a driver;
//! it names their folders in `BRIGHTRUN_CUDA_LINK_DIRS` (a PATH-style list)
//! instead of in RUSTFLAGS, so the CUDA build shares every artifact that does
//! not depend on the `cuda` feature with the CPU build in the same target.

use std::env;

fn main() {
    println!("cargo:rerun-if-env-changed=BRIGHTRUN_CUDA_LINK_DIRS");
    if env::var_os("CARGO_FEATURE_CUDA").is_none() {
        return;
    }
    if let Some(dirs) = env::var_os("BRIGHTRUN_CUDA_LINK_DIRS") {
        for dir in env::split_paths(&dirs).filter(|d| !d.as_os_str().is_empty()) {
            println!("cargo:rustc-link-search=native={}", dir.display());
        }
    }
}
