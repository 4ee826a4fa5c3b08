//! Issuing municipality: a JIS X 0402 code (5 digits and a modulus-11 check digit) and its name.

use super::error::{Field, Problem, ValidationError};
use serde::{Deserialize, Serialize};
use std::fmt;

/// A validated JIS X 0402 local government code, six digits including the check digit.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct MunicipalityCode(String);

impl MunicipalityCode {
    pub fn parse(input: &str) -> Result<Self, ValidationError> {
        let code = input.trim();
        if code.len() != 6 || !code.bytes().all(|b| b.is_ascii_digit()) {
            return Err(ValidationError::malformed(
                Field::MunicipalityCode,
                code,
                "6 digits including the check digit, e.g. 131016",
            ));
        }
        let digits: Vec<u8> = code.bytes().map(|b| b - b'0').collect();
        let expected = check_digit(&digits[..5]);
        if digits[5] != expected {
            return Err(ValidationError::new(
                Field::MunicipalityCode,
                Problem::CheckDigit {
                    found: digits[5],
                    expected,
                },
            ));
        }
        Ok(Self(code.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The two-digit prefecture number (01 Hokkaido … 47 Okinawa).
    pub fn prefecture(&self) -> u8 {
        self.0[..2].parse().unwrap_or(0)
    }
}

/// JIS X 0402 check digit: weights 6,5,4,3,2; the last digit of 11 minus the sum modulo 11.
pub fn check_digit(first_five: &[u8]) -> u8 {
    let sum: u32 = first_five
        .iter()
        .zip([6u32, 5, 4, 3, 2])
        .map(|(&d, w)| u32::from(d) * w)
        .sum();
    u8::try_from((11 - sum % 11) % 10).unwrap_or(0)
}

impl TryFrom<String> for MunicipalityCode {
    type Error = ValidationError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<MunicipalityCode> for String {
    fn from(value: MunicipalityCode) -> Self {
        value.0
    }
}

impl fmt::Display for MunicipalityCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_codes_pass() {
        // Sapporo, Chiyoda, Tokyo prefecture, Osaka city, Naha, Yokohama.
        for code in ["011002", "131016", "130001", "271004", "472018", "141003"] {
            assert!(MunicipalityCode::parse(code).is_ok(), "{code}");
        }
    }

    #[test]
    fn remainder_zero_and_one_cases() {
        // 1*6 + 1*5 = 11: remainder 0 gives check digit 1.
        assert_eq!(check_digit(&[1, 1, 0, 0, 0]), 1);
        // 6*2 = 12: remainder 1 gives check digit 0.
        assert_eq!(check_digit(&[0, 0, 0, 0, 6]), 0);
        // 2*6 + 1*2 = 14: remainder 3 gives check digit 8.
        assert_eq!(check_digit(&[2, 0, 0, 0, 1]), 8);
    }

    #[test]
    fn bad_check_digit_names_expected() {
        let err = MunicipalityCode::parse("131017").unwrap_err();
        assert_eq!(err.field, Field::MunicipalityCode);
        assert_eq!(
            err.problem,
            Problem::CheckDigit {
                found: 7,
                expected: 6
            }
        );
        assert!(err.to_string().contains("municipality_code"));
    }

    #[test]
    fn malformed_codes_rejected() {
        for code in ["", "13101", "1310166", "13101a", "１３１０１６"] {
            let err = MunicipalityCode::parse(code).unwrap_err();
            assert!(matches!(err.problem, Problem::Malformed { .. }), "{code}");
        }
    }

    #[test]
    fn prefecture_number() {
        assert_eq!(MunicipalityCode::parse("472018").unwrap().prefecture(), 47);
    }
}
