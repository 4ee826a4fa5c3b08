//! Free-text fields (names, the municipality's name): short, printable, one line. Anything that
//! can steer a terminal or reorder what staff read — control characters, escape sequences,
//! bidirectional overrides — is refused, and so is text longer than any real value.

use super::error::{Field, ValidationError};

/// Whitespace runs (ASCII, ideographic, tabs) become one space; the ends are trimmed.
pub(crate) fn collapse_spaces(s: &str) -> String {
    s.split([' ', '\u{3000}', '\t'])
        .filter(|p| !p.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// Characters that change how text is laid out or shown without being seen themselves.
pub fn is_invisible_control(c: char) -> bool {
    c.is_control()
        || matches!(c,
            '\u{200B}'..='\u{200F}' // zero-width spaces and joiners, LRM/RLM
            | '\u{202A}'..='\u{202E}' // bidi embeddings and overrides
            | '\u{2060}'..='\u{2064}'
            | '\u{2066}'..='\u{2069}' // bidi isolates
            | '\u{FEFF}'
            | '\u{FFF9}'..='\u{FFFB}')
}

/// `value` with spaces collapsed, when it is 1..=`max_chars` printable characters.
pub(crate) fn printable_line(
    field: Field,
    value: &str,
    max_chars: usize,
    expected: &'static str,
) -> Result<String, ValidationError> {
    let text = collapse_spaces(value);
    if text.is_empty() {
        return Err(ValidationError::new(field, super::Problem::Missing));
    }
    if text.chars().count() > max_chars || text.chars().any(is_invisible_control) {
        return Err(ValidationError::malformed(field, text, expected));
    }
    Ok(text)
}

/// For showing stored text that predates these checks: every invisible control becomes U+FFFD.
pub fn shown(text: &str) -> String {
    text.chars()
        .map(|c| {
            if is_invisible_control(c) {
                '\u{FFFD}'
            } else {
                c
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn escapes_overrides_and_megabytes_are_refused() {
        for bad in [
            "千代田区\u{1b}[2J",
            "\u{1b}]0;title\u{7}",
            "区\u{202E}役所",
            "a\nb",
            &"区".repeat(1_000_000),
        ] {
            let e = printable_line(Field::MunicipalityName, bad, 40, "x").unwrap_err();
            // The error never echoes the whole value.
            assert!(e.to_string().len() < 400, "{}", e.to_string().len());
        }
        assert_eq!(
            printable_line(Field::MunicipalityName, " 東京都　千代田区 ", 40, "x").unwrap(),
            "東京都 千代田区"
        );
    }

    proptest! {
        #[test]
        fn what_is_accepted_prints_as_itself(s in "\\PC{0,60}|[\\x00-\\x1f\\u{202a}-\\u{202e}a-z]{0,20}") {
            if let Ok(t) = printable_line(Field::MunicipalityName, &s, 40, "x") {
                prop_assert!(!t.chars().any(is_invisible_control));
                prop_assert!(t.chars().count() <= 40);
                prop_assert_eq!(shown(&t), t);
            }
        }
    }
}
