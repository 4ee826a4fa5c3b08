//! The display token's payload: what the device key signs for one 30-second step. One type, one
//! encoder ([`DisplayToken::to_cbor_items`]) for the phone and one decoder
//! ([`DisplayToken::from_cbor`]) for every verifier, so a format change is made in one place.
//!
//! ```text
//! [step, disclosure]                                    the counter, nothing else
//! [step, disclosure, challenge]                         a booking site's challenge
//! [step, disclosure, challenge / null, declared, coupon?]  self-declared support, a coupon
//! ```
//! `challenge` is `[nonce (bytes), audience (text)]`; `declared` an array of support codes;
//! `coupon` the text `<operator>/<coupon id>`.

use super::cbor_read::{Malformed, uint};
use super::present::Challenge;
use crate::model::SupportCode;
use ciborium::Value;

/// Longest coupon reference a verifier reads.
pub const MAX_COUPON_LEN: usize = 100;

/// A display token's payload, decoded.
#[derive(Debug, Clone, PartialEq)]
pub struct DisplayToken {
    /// 30-second steps since 00:00 JST of the credential's first day.
    pub step: u64,
    /// The disclosed claims, as the credential's profile lays them out.
    pub disclosure: Value,
    /// A verifier's challenge, answered.
    pub challenge: Option<Challenge>,
    /// Support items the holder declared (device-signed only). Codes this build does not know
    /// (a newer app) are skipped when decoding.
    pub declared: Vec<SupportCode>,
    /// A coupon presented with the code: `<operator>/<coupon id>`.
    pub coupon: Option<String>,
}

impl DisplayToken {
    /// The payload's CBOR array items, in the shortest layout that carries everything.
    pub fn to_cbor_items(&self) -> Vec<Value> {
        let mut items = vec![Value::from(self.step), self.disclosure.clone()];
        let challenge = self.challenge.as_ref().map(|c| {
            Value::Array(vec![
                Value::Bytes(c.nonce.clone()),
                Value::Text(c.audience.clone()),
            ])
        });
        if self.declared.is_empty() && self.coupon.is_none() {
            items.extend(challenge);
            return items;
        }
        items.push(challenge.unwrap_or(Value::Null));
        items.push(Value::Array(
            self.declared
                .iter()
                .map(|d| Value::from(d.wire()))
                .collect(),
        ));
        if let Some(coupon) = &self.coupon {
            items.push(Value::Text(coupon.clone()));
        }
        items
    }

    /// Reads a payload array. `at` is where the token starts in the presentation, for errors.
    pub fn from_cbor(value: &Value, at: usize) -> Result<Self, Malformed> {
        let bad = |what: &'static str| Malformed { at, what };
        let parts = value
            .as_array()
            .ok_or_else(|| bad("display token payload must be an array"))?;
        let (step, disclosure, challenge, declared, coupon) = match parts.as_slice() {
            [s, d] => (s, d, None, None, None),
            [s, d, c] => (s, d, Some(c), None, None),
            [s, d, c, sd, rest @ ..] if rest.len() <= 1 => (
                s,
                d,
                Some(c).filter(|c| !c.is_null()),
                Some(sd),
                rest.first(),
            ),
            _ => return Err(bad("display token payload must have 2 to 5 items")),
        };
        Ok(Self {
            step: uint(step)
                .filter(|s| i64::try_from(*s).is_ok())
                .ok_or_else(|| bad("time step"))?,
            disclosure: disclosure.clone(),
            challenge: challenge.map(|c| read_challenge(c, at)).transpose()?,
            declared: declared
                .map(|v| read_declared(v, at))
                .transpose()?
                .unwrap_or_default(),
            coupon: coupon.map(|v| read_coupon(v, at)).transpose()?,
        })
    }
}

fn read_challenge(v: &Value, at: usize) -> Result<Challenge, Malformed> {
    match v.as_array().map(Vec::as_slice) {
        Some([Value::Bytes(nonce), Value::Text(audience)]) => Ok(Challenge {
            nonce: nonce.clone(),
            audience: audience.clone(),
        }),
        _ => Err(Malformed {
            at,
            what: "challenge must be [nonce, audience]",
        }),
    }
}

/// The self-declared section: support codes, at most one of each known code's worth.
fn read_declared(v: &Value, at: usize) -> Result<Vec<SupportCode>, Malformed> {
    let bad = || Malformed {
        at,
        what: "self-declared section must be an array of numbers",
    };
    let items = v.as_array().ok_or_else(bad)?;
    if items.len() > SupportCode::ALL.len() {
        return Err(bad());
    }
    let mut out = Vec::with_capacity(items.len());
    for item in items {
        if let Some(code) = SupportCode::from_wire(uint(item).ok_or_else(bad)?) {
            out.push(code);
        }
    }
    Ok(out)
}

fn read_coupon(v: &Value, at: usize) -> Result<String, Malformed> {
    v.as_text()
        .filter(|t| t.len() <= MAX_COUPON_LEN && t.contains('/'))
        .map(str::to_owned)
        .ok_or(Malformed {
            at,
            what: "coupon must be operator/id text",
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn token() -> DisplayToken {
        DisplayToken {
            step: 1234,
            disclosure: Value::Array(vec![Value::Bytes(vec![7; 16]), Value::from(1)]),
            challenge: None,
            declared: Vec::new(),
            coupon: None,
        }
    }

    #[test]
    fn every_layout_reads_back_as_written() {
        let challenge = Challenge {
            nonce: vec![1, 2, 3],
            audience: "https://site.example".into(),
        };
        let layouts = [
            (token(), 2),
            (
                DisplayToken {
                    challenge: Some(challenge.clone()),
                    ..token()
                },
                3,
            ),
            (
                DisplayToken {
                    declared: SupportCode::ALL[..2].to_vec(),
                    ..token()
                },
                4,
            ),
            (
                DisplayToken {
                    challenge: Some(challenge),
                    declared: SupportCode::ALL[..1].to_vec(),
                    coupon: Some("museum/winter".into()),
                    ..token()
                },
                5,
            ),
            (
                DisplayToken {
                    coupon: Some("museum/winter".into()),
                    ..token()
                },
                5,
            ),
        ];
        for (t, len) in layouts {
            let items = t.to_cbor_items();
            assert_eq!(items.len(), len, "{t:?}");
            assert_eq!(DisplayToken::from_cbor(&Value::Array(items), 0).unwrap(), t);
        }
    }

    #[test]
    fn malformed_parts_are_named() {
        let what = |items: Vec<Value>| {
            DisplayToken::from_cbor(&Value::Array(items), 9)
                .unwrap_err()
                .what
        };
        let d = token().disclosure;
        assert_eq!(
            what(vec![Value::from(1)]),
            "display token payload must have 2 to 5 items"
        );
        assert_eq!(what(vec![Value::Text("x".into()), d.clone()]), "time step");
        assert_eq!(
            what(vec![Value::from(1), d.clone(), Value::from(3)]),
            "challenge must be [nonce, audience]"
        );
        assert_eq!(
            what(vec![
                Value::from(1),
                d.clone(),
                Value::Null,
                Value::Array(vec![]),
                Value::Text("no-slash".into())
            ]),
            "coupon must be operator/id text"
        );
        assert_eq!(
            what(vec![Value::from(1), d, Value::Null, Value::from(1)]),
            "self-declared section must be an array of numbers"
        );
    }
}
