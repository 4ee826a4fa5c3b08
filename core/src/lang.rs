//! Display language for labels and messages. Japanese is the default: staff read Japanese.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    #[default]
    Ja,
    En,
}

impl Lang {
    /// Pick the text for this language.
    pub fn pick<'a>(self, ja: &'a str, en: &'a str) -> &'a str {
        match self {
            Lang::Ja => ja,
            Lang::En => en,
        }
    }

    /// This language's half of a core message written `English / 日本語` (the whole message when
    /// it has one language only).
    pub fn part_of(self, message: &str) -> String {
        match message.split_once(" / ") {
            Some((en, ja)) => self.pick(ja, en).to_owned(),
            None => message.to_owned(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Lang;

    #[test]
    fn a_message_splits_into_its_two_languages() {
        let m = "the card was moved away / カードが離れました";
        assert_eq!(Lang::En.part_of(m), "the card was moved away");
        assert_eq!(Lang::Ja.part_of(m), "カードが離れました");
        assert_eq!(Lang::Ja.part_of("only English"), "only English");
    }
}
