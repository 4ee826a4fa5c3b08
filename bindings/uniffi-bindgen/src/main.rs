//! `cargo run -p uniffi-bindgen -- generate --library <libtecho_ffi.so> --language python ...`
fn main() {
    uniffi::uniffi_bindgen_main();
}
