// BrightRun's copy of candle-kernels 0.11.1 (MIT OR Apache-2.0, Hugging Face):
// the same kernels, without the GGUF-quantized ones. See VENDORED.md.
use cudaforge::{KernelBuilder, Result};
use std::env;
use std::path::PathBuf;

fn main() -> Result<()> {
    println!("cargo::rerun-if-changed=build.rs");
    println!("cargo::rerun-if-changed=src");

    let out_dir = PathBuf::from(env::var("OUT_DIR").unwrap());
    let bindings = KernelBuilder::new()
        .source_dir("src")
        .arg("--expt-relaxed-constexpr")
        .arg("-std=c++17")
        .arg("-O3")
        .build_ptx()?;
    bindings.write(out_dir.join("ptx.rs"))?;

    // Upstream links a static library of GGUF matmul and MoE kernels here
    // (libmoe.a). Nothing in this build calls them: the symbols in
    // src/ffi.rs stay declared so candle compiles, and the linker drops the
    // unused functions that name them.
    println!("cargo:rustc-link-lib=dylib=cudart");
    println!("cargo:rustc-link-lib=stdc++");
    Ok(())
}
