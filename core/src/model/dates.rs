//! The dates printed on (or recorded for) a handbook, and the rules between them.

use super::error::{Field, Problem, ValidationError};
use chrono::{Datelike, Days, Months, NaiveDate};
use serde::{Deserialize, Serialize};

/// Days before expiry from which the wallet reminds the holder to renew.
pub const RENEWAL_REMINDER_DAYS: u64 = 60;

/// Longest validity of a 精神 handbook: two years, to the end of that month.
const MENTAL_VALIDITY_MONTHS: u32 = 24;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HandbookDates {
    /// 交付年月日
    pub issued: NaiveDate,
    /// 更新年月日 (精神: the validity restarts from here)
    pub renewed: Option<NaiveDate>,
    /// 再交付年月日 (lost or damaged handbook replaced; validity unchanged)
    pub reissued: Option<NaiveDate>,
    /// 返還年月日: the handbook was handed back and is no longer valid from this date.
    pub returned: Option<NaiveDate>,
    /// 有効期限 (精神: mandatory; 療育: where the prefecture sets a re-assessment date)
    pub expires: Option<NaiveDate>,
}

impl HandbookDates {
    /// Checks the order of the dates. `mental` applies the 2-year validity rule.
    pub fn validate(&self, birth: NaiveDate, mental: bool) -> Result<(), ValidationError> {
        not_before(Field::Issued, self.issued, Field::BirthDate, birth)?;
        if let Some(renewed) = self.renewed {
            not_before(Field::Renewed, renewed, Field::Issued, self.issued)?;
        }
        if let Some(reissued) = self.reissued {
            not_before(Field::Reissued, reissued, Field::Issued, self.issued)?;
        }
        if let Some(returned) = self.returned {
            let latest = self.latest_event();
            let which = if latest == self.issued {
                Field::Issued
            } else {
                self.latest_field()
            };
            not_before(Field::Returned, returned, which, latest)?;
        }
        match (self.expires, mental) {
            (None, true) => Err(ValidationError::new(Field::Expires, Problem::Missing)),
            (Some(expires), _) if expires <= self.validity_start() => Err(ValidationError::new(
                Field::Expires,
                Problem::BeforeOther {
                    other: Field::Issued,
                    other_ja: Field::Issued.ja(),
                    date: self.validity_start(),
                },
            )),
            (Some(expires), true) => {
                let limit = mental_validity_limit(self.validity_start());
                if expires > limit {
                    Err(ValidationError::new(
                        Field::Expires,
                        Problem::ValidityTooLong {
                            date: expires,
                            limit,
                        },
                    ))
                } else {
                    Ok(())
                }
            }
            _ => Ok(()),
        }
    }

    /// The date the current validity runs from: the renewal if there was one, else the issue.
    pub fn validity_start(&self) -> NaiveDate {
        self.renewed.map_or(self.issued, |r| r.max(self.issued))
    }

    fn latest_event(&self) -> NaiveDate {
        [Some(self.issued), self.renewed, self.reissued]
            .into_iter()
            .flatten()
            .max()
            .unwrap_or(self.issued)
    }

    fn latest_field(&self) -> Field {
        let latest = self.latest_event();
        if self.reissued == Some(latest) {
            Field::Reissued
        } else {
            Field::Renewed
        }
    }

    /// Valid on `date`: issued by then, not returned, not past expiry (the expiry day itself counts).
    pub fn is_valid_on(&self, date: NaiveDate) -> bool {
        date >= self.issued
            && self.returned.is_none_or(|r| date < r)
            && self.expires.is_none_or(|e| date <= e)
    }

    /// True when the handbook is still valid on `date` but expires within the reminder window.
    pub fn expires_within(&self, date: NaiveDate, days: u64) -> bool {
        match (self.expires, date.checked_add_days(Days::new(days))) {
            (Some(e), Some(horizon)) => self.is_valid_on(date) && e <= horizon,
            _ => false,
        }
    }
}

/// End of the month in which two years from `start` fall.
pub fn mental_validity_limit(start: NaiveDate) -> NaiveDate {
    let two_years = start
        .checked_add_months(Months::new(MENTAL_VALIDITY_MONTHS))
        .unwrap_or(NaiveDate::MAX);
    end_of_month(two_years)
}

fn end_of_month(d: NaiveDate) -> NaiveDate {
    NaiveDate::from_ymd_opt(d.year(), d.month(), 1)
        .and_then(|first| first.checked_add_months(Months::new(1)))
        .and_then(|next| next.pred_opt())
        .unwrap_or(NaiveDate::MAX)
}

fn not_before(
    field: Field,
    date: NaiveDate,
    other: Field,
    other_date: NaiveDate,
) -> Result<(), ValidationError> {
    if date < other_date {
        Err(ValidationError::new(
            field,
            Problem::BeforeOther {
                other,
                other_ja: other.ja(),
                date: other_date,
            },
        ))
    } else {
        Ok(())
    }
}

/// Parses `YYYY-MM-DD` (also `YYYY/MM/DD`) for the given field.
pub fn parse_date(field: Field, input: &str) -> Result<NaiveDate, ValidationError> {
    let s = input.trim().replace('/', "-");
    NaiveDate::parse_from_str(&s, "%Y-%m-%d")
        .map_err(|_| ValidationError::malformed(field, input, "a date as YYYY-MM-DD"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    fn dates(issued: NaiveDate, expires: Option<NaiveDate>) -> HandbookDates {
        HandbookDates {
            issued,
            renewed: None,
            reissued: None,
            returned: None,
            expires,
        }
    }

    const BIRTH: fn() -> NaiveDate = || d(1980, 1, 1);

    #[test]
    fn mental_validity_runs_to_the_end_of_the_month_two_years_on() {
        assert_eq!(mental_validity_limit(d(2024, 4, 10)), d(2026, 4, 30));
        assert_eq!(mental_validity_limit(d(2024, 2, 29)), d(2026, 2, 28));
        assert_eq!(mental_validity_limit(d(2023, 12, 31)), d(2025, 12, 31));
        assert!(
            dates(d(2024, 4, 10), Some(d(2026, 4, 30)))
                .validate(BIRTH(), true)
                .is_ok()
        );
        let err = dates(d(2024, 4, 10), Some(d(2026, 5, 1)))
            .validate(BIRTH(), true)
            .unwrap_err();
        assert!(matches!(err.problem, Problem::ValidityTooLong { .. }));
        let err = dates(d(2024, 4, 10), None)
            .validate(BIRTH(), true)
            .unwrap_err();
        assert_eq!((err.field, err.problem), (Field::Expires, Problem::Missing));
    }

    #[test]
    fn renewal_restarts_the_two_years() {
        let mut hd = dates(d(2020, 1, 15), Some(d(2025, 1, 31)));
        assert!(hd.validate(BIRTH(), true).is_err());
        hd.renewed = Some(d(2023, 1, 15));
        assert!(hd.validate(BIRTH(), true).is_ok());
    }

    #[test]
    fn order_of_dates() {
        let err = dates(d(1979, 1, 1), None)
            .validate(BIRTH(), false)
            .unwrap_err();
        assert_eq!(err.field, Field::Issued);
        let mut hd = dates(d(2020, 1, 1), None);
        hd.reissued = Some(d(2019, 12, 31));
        assert_eq!(
            hd.validate(BIRTH(), false).unwrap_err().field,
            Field::Reissued
        );
        hd.reissued = Some(d(2021, 6, 1));
        hd.returned = Some(d(2021, 5, 31));
        let err = hd.validate(BIRTH(), false).unwrap_err();
        assert_eq!(err.field, Field::Returned);
        assert!(matches!(
            err.problem,
            Problem::BeforeOther {
                other: Field::Reissued,
                ..
            }
        ));
        let err = dates(d(2020, 1, 1), Some(d(2020, 1, 1)))
            .validate(BIRTH(), false)
            .unwrap_err();
        assert_eq!(err.field, Field::Expires);
    }

    #[test]
    fn validity_edges() {
        let mut hd = dates(d(2024, 4, 10), Some(d(2026, 4, 30)));
        assert!(!hd.is_valid_on(d(2024, 4, 9)));
        assert!(hd.is_valid_on(d(2024, 4, 10)));
        assert!(hd.is_valid_on(d(2026, 4, 30)));
        assert!(!hd.is_valid_on(d(2026, 5, 1)));
        assert!(hd.expires_within(d(2026, 3, 1), 60));
        assert!(!hd.expires_within(d(2026, 2, 28), 60));
        assert!(
            !hd.expires_within(d(2026, 5, 1), 60),
            "expired is not 'expiring soon'"
        );
        hd.returned = Some(d(2025, 1, 1));
        assert!(!hd.is_valid_on(d(2025, 1, 1)));
        assert!(hd.is_valid_on(d(2024, 12, 31)));
    }

    #[test]
    fn date_parsing_names_the_field() {
        assert_eq!(
            parse_date(Field::Issued, "2024/04/01").unwrap(),
            d(2024, 4, 1)
        );
        let err = parse_date(Field::Expires, "2024-02-30").unwrap_err();
        assert_eq!(err.field, Field::Expires);
    }
}
