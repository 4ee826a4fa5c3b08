//! The operator half of the PostgreSQL store. Each step is one statement: a directory change is
//! a compare and swap on the head row, a redemption inserts its key in the same statement that
//! counts it (a key seen before fails the insert and rolls the count back).

use super::api::StoreError;
use super::operators::{
    CouponCount, CouponUse, DirectoryHead, DirectoryRow, OperatorRecord, OperatorStore,
    answer_again, result_name, result_named,
};
use super::pg_store::{PgStore, decode, e, json};
use techo_core::directory::redemption::RedemptionResult;

fn to_u64(v: i64) -> u64 {
    u64::try_from(v).unwrap_or(0)
}

fn to_i64(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

impl OperatorStore for PgStore {
    async fn directory_head(&self) -> Result<DirectoryHead, StoreError> {
        let row = self
            .client
            .query_one(
                "SELECT version, since FROM directory_head WHERE id = 1",
                &[],
            )
            .await
            .map_err(e)?;
        Ok(DirectoryHead {
            version: to_u64(row.get(0)),
            since: to_u64(row.get(1)),
        })
    }

    async fn directory_rows(&self) -> Result<(DirectoryHead, Vec<DirectoryRow>), StoreError> {
        // One statement, one snapshot: the head and the rows agree.
        let rows = self
            .client
            .query(
                "SELECT h.version, h.since, o.id, o.record::text, o.version
                 FROM directory_head h LEFT JOIN directory_operators o ON true
                 WHERE h.id = 1",
                &[],
            )
            .await
            .map_err(e)?;
        let mut head = DirectoryHead::default();
        let mut out = Vec::with_capacity(rows.len());
        for row in &rows {
            head = DirectoryHead {
                version: to_u64(row.get(0)),
                since: to_u64(row.get(1)),
            };
            let Some(id) = row.get::<_, Option<String>>(2) else {
                continue;
            };
            let record = row
                .get::<_, Option<&str>>(3)
                .map(|text| decode("operator", text))
                .transpose()?;
            out.push(DirectoryRow {
                id,
                record,
                version: to_u64(row.get::<_, Option<i64>>(4).unwrap_or(0)),
            });
        }
        Ok((head, out))
    }

    async fn operator(&self, id: &str) -> Result<Option<OperatorRecord>, StoreError> {
        let row = self
            .client
            .query_opt(
                "SELECT record::text FROM directory_operators WHERE id = $1",
                &[&id],
            )
            .await
            .map_err(e)?;
        row.and_then(|r| r.get::<_, Option<String>>(0))
            .map(|text| decode("operator", &text))
            .transpose()
    }

    async fn write_operator(
        &self,
        id: &str,
        record: Option<&OperatorRecord>,
        seen: u64,
        now_ms: u64,
    ) -> Result<Option<u64>, StoreError> {
        let record = record.map(json).transpose()?;
        let row = self
            .client
            .query_opt(
                "WITH h AS (
                     UPDATE directory_head
                     SET version = GREATEST($4, version + 1),
                         since = CASE WHEN since = 0 THEN GREATEST($4, version + 1) ELSE since END
                     WHERE id = 1 AND version = $3
                     RETURNING version)
                 INSERT INTO directory_operators (id, record, version)
                 SELECT $1, $2::text::jsonb, version FROM h
                 ON CONFLICT (id) DO UPDATE
                     SET record = EXCLUDED.record, version = EXCLUDED.version
                 RETURNING version",
                &[&id, &record, &to_i64(seen), &to_i64(now_ms)],
            )
            .await
            .map_err(e)?;
        Ok(row.map(|r| to_u64(r.get(0))))
    }

    async fn put_operator_token(&self, operator: &str, hash: &str) -> Result<(), StoreError> {
        self.client
            .execute(
                "INSERT INTO operator_tokens (operator, token_hash) VALUES ($1, $2)
                 ON CONFLICT (operator) DO UPDATE SET token_hash = EXCLUDED.token_hash",
                &[&operator, &hash],
            )
            .await
            .map_err(e)?;
        Ok(())
    }

    async fn operator_token_hash(&self, operator: &str) -> Result<Option<String>, StoreError> {
        Ok(self
            .client
            .query_opt(
                "SELECT token_hash FROM operator_tokens WHERE operator = $1",
                &[&operator],
            )
            .await
            .map_err(e)?
            .map(|r| r.get(0)))
    }

    async fn redemption(&self, key: &str) -> Result<Option<RedemptionResult>, StoreError> {
        self.client
            .query_opt("SELECT result FROM redemptions WHERE key = $1", &[&key])
            .await
            .map_err(e)?
            .map(|r| result_named(r.get(0)))
            .transpose()
    }

    async fn redeem(
        &self,
        key: &str,
        what: &CouponUse<'_>,
        per_holder: u32,
    ) -> Result<RedemptionResult, StoreError> {
        let counted = self
            .client
            .query_one(
                "WITH counted AS (
                     INSERT INTO coupon_uses (operator, coupon, holder, count)
                     VALUES ($2, $3, $4, 1)
                     ON CONFLICT (operator, coupon, holder) DO UPDATE
                         SET count = coupon_uses.count + 1
                         WHERE $5::bigint = 0 OR coupon_uses.count < $5::bigint
                     RETURNING count)
                 INSERT INTO redemptions (key, result)
                 VALUES ($1, CASE WHEN EXISTS (SELECT 1 FROM counted)
                                  THEN 'recorded' ELSE 'limit_reached' END)
                 RETURNING result",
                &[
                    &key,
                    &what.operator,
                    &what.coupon,
                    &what.holder,
                    &i64::from(per_holder),
                ],
            )
            .await;
        match counted {
            Ok(row) => result_named(row.get(0)),
            // The key was seen (here or by another process): nothing was counted.
            Err(x) if x.code() == Some(&tokio_postgres::error::SqlState::UNIQUE_VIOLATION) => {
                let earlier = self.redemption(key).await?.ok_or_else(|| {
                    StoreError::Backend("a redemption key vanished while it was read".into())
                })?;
                Ok(answer_again(earlier))
            }
            Err(x) => Err(e(x)),
        }
    }

    async fn note_redemption(&self, key: &str, result: RedemptionResult) -> Result<(), StoreError> {
        self.client
            .execute(
                "INSERT INTO redemptions (key, result) VALUES ($1, $2)
                 ON CONFLICT (key) DO NOTHING",
                &[&key, &result_name(result)],
            )
            .await
            .map_err(e)?;
        Ok(())
    }

    async fn coupon_uses(&self, holder: &str) -> Result<Vec<CouponCount>, StoreError> {
        Ok(self
            .client
            .query(
                "SELECT operator, coupon, count FROM coupon_uses WHERE holder = $1
                 ORDER BY operator, coupon",
                &[&holder],
            )
            .await
            .map_err(e)?
            .iter()
            .map(|r| CouponCount {
                operator: r.get(0),
                coupon: r.get(1),
                count: u32::try_from(r.get::<_, i32>(2)).unwrap_or(0),
            })
            .collect())
    }

    async fn subject_of_session(&self, session: &str) -> Result<Option<String>, StoreError> {
        Ok(self
            .client
            .query_opt(
                "SELECT data->>'subject' FROM consents WHERE session_id = $1 LIMIT 1",
                &[&session],
            )
            .await
            .map_err(e)?
            .and_then(|r| r.get(0)))
    }
}
