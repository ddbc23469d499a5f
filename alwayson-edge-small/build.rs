//! Link option for the static musl build (`scripts/footprint.sh`): relative relocations
//! packed as DT_RELR (`-z pack-relative-relocs`). A static-pie binary relocates itself at
//! start; in the usual RELA form each of its ~2 700 pointers in data (vtables, the root
//! certificates, string tables) costs a 24-byte entry (about 64 KB), as RELR a bitmap word
//! covers 63 of them. The binary stays position-independent (ASLR unchanged); musl ≥ 1.2.4
//! (Rust's musl targets ship 1.2.5) applies RELR in its static-pie start code. Other
//! targets are linked as before.
fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    let var = |name| std::env::var(name).unwrap_or_default();
    if var("CARGO_CFG_TARGET_OS") == "linux" && var("CARGO_CFG_TARGET_ENV") == "musl" {
        println!("cargo:rustc-link-arg-bins=-Wl,-z,pack-relative-relocs");
    }
}
