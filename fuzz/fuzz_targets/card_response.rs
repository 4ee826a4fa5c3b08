//! The card driver against arbitrary card answers: response APDUs, the basic four facts' TLV,
//! and a whole linkage read where every answer comes from the fuzzer.
#![no_main]

use libfuzzer_sys::fuzz_target;
use techo_core::card::{
    BasicFour, CardSession, CardTransport, Capabilities, LastTry, Pin, Response, TransportError,
};

struct Scripted<'a>(std::slice::Chunks<'a, u8>);

impl CardTransport for Scripted<'_> {
    fn capabilities(&self) -> Capabilities {
        Capabilities::EXTENDED
    }
    fn transmit(&mut self, _apdu: &[u8]) -> Result<Vec<u8>, TransportError> {
        self.0.next().map(<[u8]>::to_vec).ok_or(TransportError::Removed)
    }
}

fuzz_target!(|data: &[u8]| {
    let _ = Response::parse(data);
    let _ = BasicFour::parse(data);
    if let Ok(pin) = Pin::parse("1234") {
        let mut card = Scripted(data.chunks(37));
        let _ = CardSession::new(&mut card).linkage_read(&pin, b"challenge", LastTry::Refuse);
    }
});
