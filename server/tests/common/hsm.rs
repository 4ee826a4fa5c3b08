//! SoftHSM2 tokens for the PKCS#11 tests: each test initialises a token of its own (a unique
//! label) in the token folder under target/ that `.cargo/config.toml` points SoftHSM at.
#![allow(dead_code)]

use cryptoki::context::{CInitializeArgs, CInitializeFlags, Pkcs11};
use cryptoki::error::RvError;
use cryptoki::session::UserType;
use cryptoki::types::AuthPin;
use std::path::PathBuf;
use techo_server::issuer::keys::Pkcs11Config;

pub const USER_PIN: &str = "246810";
const SO_PIN: &str = "13579111";

/// SoftHSM2's PKCS#11 module (Debian's softhsm2 package, installed by scripts/setup).
pub fn module() -> PathBuf {
    let candidates = [
        "/usr/lib/softhsm/libsofthsm2.so",
        "/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so",
        "/usr/lib/aarch64-linux-gnu/softhsm/libsofthsm2.so",
    ];
    candidates
        .iter()
        .map(PathBuf::from)
        .find(|p| p.exists())
        .unwrap_or_else(|| panic!("SoftHSM2 is not installed: run bash scripts/setup"))
}

/// The configuration file SoftHSM reads (from SOFTHSM2_CONF, set by .cargo/config.toml),
/// written with its token folder if missing.
fn configured() -> PathBuf {
    let conf = PathBuf::from(std::env::var("SOFTHSM2_CONF").unwrap_or_else(|_| {
        panic!("SOFTHSM2_CONF is not set: run the tests through cargo (.cargo/config.toml sets it)")
    }));
    let tokens = conf.parent().unwrap().join("tokens");
    std::fs::create_dir_all(&tokens).unwrap();
    if !conf.exists() {
        let tmp = conf.with_extension(format!("tmp{}", std::process::id()));
        std::fs::write(
            &tmp,
            format!(
                "directories.tokendir = {}\nobjectstore.backend = file\nlog.level = ERROR\nslots.removable = false\n",
                tokens.display()
            ),
        )
        .unwrap();
        std::fs::rename(&tmp, &conf).unwrap();
    }
    conf
}

/// SoftHSM's slot list is not safe to refresh from two threads at once (an assertion in its
/// SlotManager aborts the process, seen when one test made a token while another server opened
/// its own): the tests on SoftHSM run one at a time, each holding this.
static SERIAL: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// Held for the whole of a synchronous test on SoftHSM.
pub fn one_at_a_time() -> tokio::sync::MutexGuard<'static, ()> {
    SERIAL.blocking_lock()
}

/// Held for the whole of an asynchronous test on SoftHSM.
pub async fn one_at_a_time_async() -> tokio::sync::MutexGuard<'static, ()> {
    SERIAL.lock().await
}

/// The test's own handle on SoftHSM, kept for the whole process: dropping the last handle
/// unloads the module, and every token and session with it.
pub fn context() -> Pkcs11 {
    static CONTEXT: std::sync::OnceLock<Pkcs11> = std::sync::OnceLock::new();
    CONTEXT
        .get_or_init(|| {
            configured();
            let ctx = Pkcs11::new(module()).unwrap();
            match ctx.initialize(CInitializeArgs::new(CInitializeFlags::OS_LOCKING_OK)) {
                Ok(())
                | Err(cryptoki::error::Error::Pkcs11(RvError::CryptokiAlreadyInitialized, _)) => {}
                Err(e) => panic!("SoftHSM does not start: {e}"),
            }
            ctx
        })
        .clone()
}

/// A new token labelled `<name>-<random>`, with the user PIN [`USER_PIN`], initialised through
/// PKCS#11 in this process (SoftHSM does not see tokens another process makes after it has
/// started; it always keeps one free slot, and a new one appears when that one is taken).
pub fn token(name: &str) -> Pkcs11Config {
    static ONE_AT_A_TIME: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let _held = ONE_AT_A_TIME
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    configured();
    let label = format!("{name}-{}", techo_core::hex::random(4));
    let ctx = context();
    let free = ctx
        .get_slots_with_token()
        .unwrap()
        .into_iter()
        .find(|s| !ctx.get_token_info(*s).unwrap().token_initialized())
        .expect("SoftHSM keeps a free slot");
    let so = AuthPin::new(SO_PIN.into());
    ctx.init_token(free, &so, &label).unwrap();
    let session = ctx.open_rw_session(free).unwrap();
    session.login(UserType::So, Some(&so)).unwrap();
    session.init_pin(&AuthPin::new(USER_PIN.into())).unwrap();
    session.logout().unwrap();
    Pkcs11Config::new(module(), &label, USER_PIN)
}
