//! How long the holder keeps the card on the phone, modelled from a trace: the bytes each APDU
//! carries over an ISO/IEC 14443 link plus the card's own time for each command. Machines here
//! have no NFC, so the card-held time is modelled, not measured; `techo card trace --reader`
//! prints each APDU's time on a real reader, which is how the card's figures are checked
//! (docs/card.md "Card-held time").

use super::channel::TraceEntry;
use std::time::Duration;

/// The link and the card, as figures.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TapModel {
    /// The NFC bit rate (ISO/IEC 14443 at 424 kbit/s, what phones negotiate with the card).
    pub bits_per_second: f64,
    /// Largest frame either side sends (FSC/FSD); longer APDUs are chained.
    pub frame_bytes: usize,
    /// Per frame: prologue and CRC bytes, plus the frame delay and the acknowledgement of
    /// chained blocks, as a fixed time.
    pub frame_overhead_bytes: usize,
    pub frame_turnaround: Duration,
    /// The phone's own time per APDU (the platform call into the NFC stack and back).
    pub host_per_apdu: Duration,
    /// The card's time per command kind.
    pub select: Duration,
    pub read_binary: Duration,
    pub read_per_byte: Duration,
    pub verify: Duration,
    pub sign: Duration,
    pub other: Duration,
}

impl TapModel {
    /// The figures docs/card.md states: 424 kbit/s, 256-byte frames, 1 ms per frame exchange,
    /// 2 ms per APDU in the phone, and a card that selects in 3 ms, reads in 3 ms + 10 µs a
    /// byte, compares a PIN in 40 ms and makes an RSA-2048 signature in 400 ms. The card's
    /// figures are assumptions chosen on the slow side (no real card was timed for them); a
    /// real card's trace replaces them.
    pub const PHONE_AND_MY_NUMBER_CARD: TapModel = TapModel {
        bits_per_second: 424_000.0,
        frame_bytes: 256,
        frame_overhead_bytes: 4,
        frame_turnaround: Duration::from_millis(1),
        host_per_apdu: Duration::from_millis(2),
        select: Duration::from_millis(3),
        read_binary: Duration::from_millis(3),
        read_per_byte: Duration::from_micros(10),
        verify: Duration::from_millis(40),
        sign: Duration::from_millis(400),
        other: Duration::from_millis(5),
    };

    fn on_air(&self, bytes: usize) -> Duration {
        let frames = bytes.div_ceil(self.frame_bytes.max(1)).max(1);
        let total = bytes + frames * self.frame_overhead_bytes;
        #[allow(clippy::cast_precision_loss)] // an APDU's bytes
        let seconds = total as f64 * 8.0 / self.bits_per_second;
        Duration::from_secs_f64(seconds)
            + self.frame_turnaround * u32::try_from(frames).unwrap_or(u32::MAX)
    }

    fn card_time(&self, entry: &TraceEntry) -> Duration {
        let ins = entry.command.get(2..4).unwrap_or("");
        match ins {
            "A4" => self.select,
            "B0" | "C0" => {
                self.read_binary
                    + self.read_per_byte * u32::try_from(entry.response_len).unwrap_or(u32::MAX)
            }
            "20" => self.verify,
            "2A" => self.sign,
            _ => self.other,
        }
    }

    /// One APDU: command and response on air, the card's time, the phone's time.
    pub fn apdu(&self, entry: &TraceEntry) -> Duration {
        let command_bytes = entry.command.len() / 2;
        self.on_air(command_bytes)
            + self.on_air(entry.response_len)
            + self.card_time(entry)
            + self.host_per_apdu
    }

    /// The card-held time of a whole trace.
    pub fn card_held(&self, trace: &[TraceEntry]) -> Duration {
        trace.iter().map(|e| self.apdu(e)).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(command: &str, response_len: usize) -> TraceEntry {
        TraceEntry {
            what: "test",
            command: command.into(),
            response_len,
            sw: None,
            micros: 0,
        }
    }

    #[test]
    fn a_signature_dominates_and_bytes_cost_what_the_bit_rate_says() {
        let m = TapModel::PHONE_AND_MY_NUMBER_CARD;
        // COMPUTE DIGITAL SIGNATURE: 56 bytes out, 258 back.
        let sign = m.apdu(&entry(&format!("802A0080{}", "00".repeat(52)), 258));
        assert!(sign > Duration::from_millis(400) && sign < Duration::from_millis(420));
        // 2,050 bytes in 9 frames: (2050 + 36) × 8 / 424,000 s ≈ 39.4 ms on air, 9 ms of frames,
        // 3 ms + 20.5 ms reading, 2 ms in the phone, and the 7-byte command.
        let read = m.apdu(&entry("00B08A00000000", 2_050));
        let ms = read.as_secs_f64() * 1000.0;
        assert!((74.0..76.0).contains(&ms), "{ms}");
    }
}
