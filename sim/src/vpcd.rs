//! The card side of the vpcd protocol (vsmartcard's virtual PC/SC reader): every message is a
//! two-byte big-endian length and its bytes. A one-byte message is a reader command (power off,
//! power on, reset, ask for the ATR); anything longer is a command APDU, answered with the
//! response APDU. The same framing lets a test's own transport (Kotlin, Python) reach the
//! software card over a loopback socket, and lets pcscd's vpcd driver present it as a reader.

use crate::SoftCard;
use std::io::{self, Read, Write};
use techo_core::card::{CardTransport, TransportError};

pub const POWER_OFF: u8 = 0x00;
pub const POWER_ON: u8 = 0x01;
pub const RESET: u8 = 0x02;
pub const GET_ATR: u8 = 0x04;

/// The answer-to-reset this card reports, built as a PC/SC reader builds it for a contactless
/// ISO/IEC 14443 Type B card like the My Number card (PC/SC part 3): `3B 88 80 01`, the ATQB's
/// application data (4 bytes; zeros here, the real card's are not reproduced), its protocol info
/// (`B3 81 71`: 106–848 kbit/s, 256-byte frames, ISO/IEC 14443-4), the MBLI/CID byte, and TCK.
pub const ATR: [u8; 13] = [
    0x3B, 0x88, 0x80, 0x01, 0x00, 0x00, 0x00, 0x00, 0xB3, 0x81, 0x71, 0x00, 0x4A,
];

/// Reads one message; `None` when the other side closed the connection between messages.
pub fn read_frame(r: &mut impl Read) -> io::Result<Option<Vec<u8>>> {
    let mut len = [0u8; 2];
    match r.read_exact(&mut len) {
        Ok(()) => {}
        Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => return Ok(None),
        Err(e) => return Err(e),
    }
    let mut data = vec![0u8; usize::from(u16::from_be_bytes(len))];
    r.read_exact(&mut data)?;
    Ok(Some(data))
}

pub fn write_frame(w: &mut impl Write, data: &[u8]) -> io::Result<()> {
    let len = u16::try_from(data.len())
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "a message over 65535 bytes"))?;
    w.write_all(&len.to_be_bytes())?;
    w.write_all(data)?;
    w.flush()
}

/// Serves `card` on one connection until the reader closes it. A card that "leaves the field"
/// (a test fault) closes the connection, as a real card taken away ends the exchange.
pub fn serve(card: &mut SoftCard, stream: &mut (impl Read + Write)) -> io::Result<()> {
    while let Some(message) = read_frame(stream)? {
        match message.as_slice() {
            [POWER_ON | RESET] => card.power_up(),
            [GET_ATR] => write_frame(stream, &ATR)?,
            // Power off, and reader commands this card does not know: nothing to answer.
            [_] => {}
            apdu => match card.transmit(apdu) {
                Ok(response) => write_frame(stream, &response)?,
                Err(TransportError::Removed | TransportError::Timeout) => return Ok(()),
                Err(TransportError::Io(why)) => return Err(io::Error::other(why)),
            },
        }
    }
    Ok(())
}

/// A reader's side of one connection: a [`CardTransport`] that sends APDUs over the framing (to
/// `techo-card-sim --listen`). A closed connection is the card leaving the field.
#[derive(Debug)]
pub struct SocketReader {
    stream: std::net::TcpStream,
    extended: bool,
}

impl SocketReader {
    /// Connects (loopback only) and powers the card up.
    pub fn connect(addr: std::net::SocketAddr, extended: bool) -> io::Result<Self> {
        if !addr.ip().is_loopback() {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "the software card is reached on loopback only",
            ));
        }
        let mut stream = std::net::TcpStream::connect(addr)?;
        stream.set_read_timeout(Some(std::time::Duration::from_secs(10)))?;
        write_frame(&mut stream, &[POWER_ON])?;
        Ok(Self { stream, extended })
    }
}

impl CardTransport for SocketReader {
    fn capabilities(&self) -> techo_core::card::Capabilities {
        techo_core::card::Capabilities::with_extended_length(self.extended)
    }

    fn transmit(&mut self, apdu: &[u8]) -> Result<Vec<u8>, TransportError> {
        let io = |e: io::Error| match e.kind() {
            io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut => TransportError::Timeout,
            io::ErrorKind::UnexpectedEof | io::ErrorKind::ConnectionReset => {
                TransportError::Removed
            }
            _ => TransportError::Io(e.to_string()),
        };
        write_frame(&mut self.stream, apdu).map_err(io)?;
        read_frame(&mut self.stream)
            .map_err(io)?
            .ok_or(TransportError::Removed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_round_trip_and_a_clean_close_is_none() {
        let mut buf = Vec::new();
        write_frame(&mut buf, &[0x00, 0xA4, 0x04, 0x0C]).unwrap();
        write_frame(&mut buf, &[POWER_ON]).unwrap();
        let mut r = io::Cursor::new(buf);
        assert_eq!(
            read_frame(&mut r).unwrap(),
            Some(vec![0x00, 0xA4, 0x04, 0x0C])
        );
        assert_eq!(read_frame(&mut r).unwrap(), Some(vec![POWER_ON]));
        assert_eq!(read_frame(&mut r).unwrap(), None);
        // A message cut short is an error, not a silent end.
        let mut cut = io::Cursor::new(vec![0x00, 0x05, 0x01]);
        assert!(read_frame(&mut cut).is_err());
    }

    #[test]
    fn the_atr_checksum_is_right() {
        // TCK makes the XOR of T0 through TCK zero.
        assert_eq!(ATR[1..].iter().fold(0u8, |a, b| a ^ b), 0);
        assert_eq!(
            usize::from(ATR[1] & 0x0F),
            ATR.len() - 5,
            "eight historical bytes"
        );
    }
}
