//! The PostgreSQL store (tokio-postgres): several server processes on one database. Every
//! method is one SQL statement, so each step is atomic without holding a transaction open;
//! migrations in `server/migrations/` are applied at start under an advisory lock.
//!
//! The connection is TLS with the server's certificate verified, except to loopback or a Unix
//! socket, where plain TCP stays allowed (`pg_tls`).

use super::api::{IndexReuse, ServerStore, StoreError};
use super::records::{ConsentEntry, Publication, SessionRecord};
use chrono::{DateTime, Duration, Utc};
use techo_core::token::Status;
use tokio_postgres::config::Host;
use tokio_postgres::{Client, NoTls};

/// The schema this binary writes; a database at a newer version is refused.
pub const SCHEMA_VERSION: i32 = 6;
const MIGRATIONS: [(i32, &str); 6] = [
    (1, include_str!("../../../migrations/0001_init.sql")),
    (
        2,
        include_str!("../../../migrations/0002_consent_expiry.sql"),
    ),
    (3, include_str!("../../../migrations/0003_index_reuse.sql")),
    (
        4,
        include_str!("../../../migrations/0004_status_publications.sql"),
    ),
    (5, include_str!("../../../migrations/0005_operators.sql")),
    (6, include_str!("../../../migrations/0006_documents.sql")),
];
/// Serialises migrations between processes starting at once.
const MIGRATION_LOCK: i64 = 0x7465_6368_6f01;

#[derive(Debug)]
pub struct PgStore {
    pub(super) client: Client,
    connection: tokio::task::JoinHandle<()>,
}

impl Drop for PgStore {
    fn drop(&mut self) {
        self.connection.abort();
    }
}

pub(super) fn e(x: impl std::fmt::Display) -> StoreError {
    StoreError::Backend(x.to_string())
}

pub(super) fn json<T: serde::Serialize>(v: &T) -> Result<String, StoreError> {
    serde_json::to_string(v).map_err(e)
}

pub(super) fn decode<T: serde::de::DeserializeOwned>(
    what: &str,
    text: &str,
) -> Result<T, StoreError> {
    serde_json::from_str(text).map_err(|x| StoreError::Corrupt {
        what: what.to_owned(),
        why: x.to_string(),
    })
}

/// The URL without its password, for messages.
fn describe(config: &tokio_postgres::Config) -> String {
    let ports = config.get_ports();
    let hosts: Vec<String> = config
        .get_hosts()
        .iter()
        .enumerate()
        .map(|(i, h)| {
            let port = ports.get(i).or(ports.first()).copied().unwrap_or(5432);
            match h {
                Host::Tcp(name) => format!("{name}:{port}"),
                Host::Unix(path) => format!("{}:{port}", path.display()),
            }
        })
        .collect();
    format!(
        "postgres://{}@{}/{}",
        config.get_user().unwrap_or("?"),
        hosts.join(","),
        config.get_dbname().unwrap_or("?")
    )
}

impl PgStore {
    /// Connects (TLS with the certificate verified, except to loopback: see `pg_tls`), checks
    /// the schema version and applies missing migrations.
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        let target = super::pg_tls::target(url)?;
        let unreachable = |x: tokio_postgres::Error| StoreError::Unreachable {
            url: describe(&target.config),
            why: match std::error::Error::source(&x) {
                Some(cause) => format!("{x}: {cause}"),
                None => x.to_string(),
            },
        };
        let (client, connection) = if let Some(tls) = &target.tls {
            let (client, conn) = target
                .config
                .connect(tokio_postgres_rustls::MakeRustlsConnect::new(tls.clone()))
                .await
                .map_err(unreachable)?;
            (client, tokio::spawn(Self::drive(conn)))
        } else {
            let (client, conn) = target.config.connect(NoTls).await.map_err(unreachable)?;
            (client, tokio::spawn(Self::drive(conn)))
        };
        let store = Self { client, connection };
        store.migrate().await?;
        Ok(store)
    }

    /// Runs the connection until it ends.
    async fn drive<F: std::future::Future<Output = Result<(), tokio_postgres::Error>>>(conn: F) {
        if let Err(x) = conn.await {
            tracing::error!(error = %x, "the database connection ended");
        }
    }

    /// Whether this connection is encrypted (PostgreSQL's own view, `pg_stat_ssl`).
    pub async fn uses_tls(&self) -> Result<bool, StoreError> {
        Ok(self
            .client
            .query_one(
                "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()",
                &[],
            )
            .await
            .map_err(e)?
            .get(0))
    }

    async fn migrate(&self) -> Result<(), StoreError> {
        let c = &self.client;
        c.execute("SELECT pg_advisory_lock($1)", &[&MIGRATION_LOCK])
            .await
            .map_err(e)?;
        let result = self.migrate_locked().await;
        c.execute("SELECT pg_advisory_unlock($1)", &[&MIGRATION_LOCK])
            .await
            .map_err(e)?;
        result
    }

    async fn migrate_locked(&self) -> Result<(), StoreError> {
        let c = &self.client;
        c.batch_execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations (
                 version integer PRIMARY KEY,
                 applied_at timestamptz NOT NULL DEFAULT now())",
        )
        .await
        .map_err(e)?;
        let found: Option<i32> = c
            .query_one("SELECT max(version) FROM schema_migrations", &[])
            .await
            .map_err(e)?
            .get(0);
        let found = found.unwrap_or(0);
        if found > SCHEMA_VERSION {
            return Err(StoreError::SchemaTooNew {
                found,
                supported: SCHEMA_VERSION,
            });
        }
        for (version, sql) in MIGRATIONS.iter().filter(|(v, _)| *v > found) {
            c.batch_execute(&format!(
                "BEGIN;\n{sql}\nINSERT INTO schema_migrations (version) VALUES ({version});\nCOMMIT;"
            ))
            .await
            .map_err(|x| StoreError::Backend(format!("migration {version}: {x}")))?;
            tracing::info!(version, "database migrated");
        }
        Ok(())
    }

    /// Leases up to `limit` rows of `table` that are `due` at `now` (`$1`) and that no worker
    /// holds, to `worker` until `now + lease`, oldest first by `order`; returns their data.
    /// `FOR UPDATE SKIP LOCKED`: two processes never claim the same row.
    async fn claim(
        &self,
        table: &str,
        due: &str,
        order: &str,
        (now, lease, worker, limit): (DateTime<Utc>, Duration, &str, usize),
    ) -> Result<Vec<tokio_postgres::Row>, StoreError> {
        let until = now + lease;
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let sql = format!(
            "UPDATE {table} SET lease_until = $2, lease_owner = $3
             WHERE id IN (
                 SELECT id FROM {table}
                 WHERE {due} AND (lease_until IS NULL OR lease_until < $1)
                 ORDER BY {order}
                 LIMIT $4
                 FOR UPDATE SKIP LOCKED)
             RETURNING data::text"
        );
        self.client
            .query(&sql, &[&now, &until, &worker, &limit])
            .await
            .map_err(e)
    }

    /// Inserts a session row; `conflict` says what happens when one exists. Returns the stored
    /// data when the statement wrote a row.
    async fn insert_session(
        &self,
        s: &SessionRecord,
        conflict: &str,
    ) -> Result<Option<tokio_postgres::Row>, StoreError> {
        let sql = format!(
            "INSERT INTO sessions (id, idempotency_key, state, next_try, data, created_at)
             VALUES ($1, $2, $3, $4, $5::text::jsonb, $6)
             {conflict}
             RETURNING data::text"
        );
        self.client
            .query_opt(
                &sql,
                &[
                    &s.id,
                    &s.idempotency_key,
                    &s.state.name(),
                    &s.state.next_try(),
                    &json(s)?,
                    &s.created_at,
                ],
            )
            .await
            .map_err(e)
    }

    async fn sessions_where(&self, sql: &str) -> Result<Vec<SessionRecord>, StoreError> {
        self.client
            .query(sql, &[])
            .await
            .map_err(e)?
            .iter()
            .map(|row| decode("session", row.get::<_, &str>(0)))
            .collect()
    }
}

impl ServerStore for PgStore {
    async fn session(&self, id: &str) -> Result<Option<SessionRecord>, StoreError> {
        self.client
            .query_opt("SELECT data::text FROM sessions WHERE id = $1", &[&id])
            .await
            .map_err(e)?
            .map(|row| decode("session", row.get::<_, &str>(0)))
            .transpose()
    }

    async fn put_session(&self, s: &SessionRecord) -> Result<(), StoreError> {
        self.insert_session(
            s,
            "ON CONFLICT (id) DO UPDATE SET
                 state = EXCLUDED.state, next_try = EXCLUDED.next_try, data = EXCLUDED.data,
                 lease_until = NULL, lease_owner = NULL, updated_at = now()",
        )
        .await?;
        Ok(())
    }

    async fn replace_session(
        &self,
        old: &SessionRecord,
        new: &SessionRecord,
    ) -> Result<bool, StoreError> {
        // jsonb equality compares the documents, not their spelling.
        let n = self
            .client
            .execute(
                "UPDATE sessions SET state = $2, next_try = $3, data = $4::text::jsonb,
                     lease_until = NULL, lease_owner = NULL, updated_at = now()
                 WHERE id = $1 AND data = $5::text::jsonb",
                &[
                    &new.id,
                    &new.state.name(),
                    &new.state.next_try(),
                    &json(new)?,
                    &json(old)?,
                ],
            )
            .await
            .map_err(e)?;
        Ok(n == 1)
    }

    async fn create_session(&self, s: &SessionRecord) -> Result<SessionRecord, StoreError> {
        // One statement: either this session is inserted, or the key's first session is
        // returned (a concurrent insert of the same key waits for the first to commit).
        let inserted = self
            .insert_session(s, "ON CONFLICT (idempotency_key) DO NOTHING")
            .await?;
        let row = match inserted {
            Some(row) => row,
            None => self
                .client
                .query_one(
                    "SELECT data::text FROM sessions WHERE idempotency_key = $1",
                    &[&s.idempotency_key],
                )
                .await
                .map_err(e)?,
        };
        decode("session", row.get::<_, &str>(0))
    }

    async fn sessions(&self) -> Result<Vec<SessionRecord>, StoreError> {
        self.sessions_where("SELECT data::text FROM sessions ORDER BY created_at")
            .await
    }

    async fn claim_due(
        &self,
        now: DateTime<Utc>,
        lease: Duration,
        worker: &str,
        limit: usize,
    ) -> Result<Vec<SessionRecord>, StoreError> {
        self.claim(
            "sessions",
            "state = 'pending' AND next_try <= $1",
            "next_try",
            (now, lease, worker, limit),
        )
        .await?
        .iter()
        .map(|row| decode("session", row.get::<_, &str>(0)))
        .collect()
    }

    async fn put_consent(&self, c: &ConsentEntry) -> Result<(), StoreError> {
        self.client
            .execute(
                "INSERT INTO consents (id, session_id, data, expires_at, purged_at)
                 VALUES ($1, $2, $3::text::jsonb, $4, $5)
                 ON CONFLICT (id) DO UPDATE SET data = EXCLUDED.data,
                     expires_at = EXCLUDED.expires_at, purged_at = EXCLUDED.purged_at,
                     lease_until = NULL, lease_owner = NULL",
                &[&c.id, &c.session_id, &json(c)?, &c.expires_at, &c.purged_at],
            )
            .await
            .map_err(e)?;
        Ok(())
    }

    async fn consent(&self, id: &str) -> Result<Option<ConsentEntry>, StoreError> {
        self.client
            .query_opt("SELECT data::text FROM consents WHERE id = $1", &[&id])
            .await
            .map_err(e)?
            .map(|row| decode("consent", row.get::<_, &str>(0)))
            .transpose()
    }

    async fn claim_expired_consents(
        &self,
        now: DateTime<Utc>,
        lease: Duration,
        worker: &str,
        limit: usize,
    ) -> Result<Vec<ConsentEntry>, StoreError> {
        self.claim(
            "consents",
            "purged_at IS NULL AND expires_at <= $1",
            "expires_at",
            (now, lease, worker, limit),
        )
        .await?
        .iter()
        .map(|row| decode("consent", row.get::<_, &str>(0)))
        .collect()
    }

    async fn consents(&self) -> Result<Vec<ConsentEntry>, StoreError> {
        self.client
            .query("SELECT data::text FROM consents ORDER BY id", &[])
            .await
            .map_err(e)?
            .iter()
            .map(|row| decode("consent", row.get::<_, &str>(0)))
            .collect()
    }

    async fn allocate_indices(
        &self,
        holder: &str,
        n: usize,
        now: DateTime<Utc>,
        space: u32,
    ) -> Result<Vec<u32>, StoreError> {
        // One statement per round: `n` random candidates offered at once; the primary key
        // decides, so an index another process took is simply not inserted, and the next round
        // offers new candidates for what is missing. The lists are kept at most three quarters
        // full, so a round rarely misses; only after many misses is the space counted.
        let mut out: Vec<u32> = Vec::with_capacity(n);
        let mut misses = 0usize;
        while out.len() < n {
            if misses >= 64 {
                if self.indices_in_use().await? >= space as usize {
                    return Err(StoreError::StatusListFull);
                }
                misses = 0;
            }
            // Never more distinct candidates than the space has.
            let want = (n - out.len()).min(space.max(1) as usize);
            let mut candidates: Vec<i32> = Vec::with_capacity(want);
            while candidates.len() < want {
                let idx = i32::try_from(super::api::random_index(space)).map_err(e)?;
                if !candidates.contains(&idx) {
                    candidates.push(idx);
                }
            }
            let rows = self
                .client
                .query(
                    "INSERT INTO status_entries (idx, holder, allocated_at)
                     SELECT unnest($1::int4[]), $2, $3
                     ON CONFLICT DO NOTHING
                     RETURNING idx",
                    &[&candidates, &holder, &now],
                )
                .await
                .map_err(e)?;
            misses += candidates.len().saturating_sub(rows.len());
            for row in rows {
                out.push(u32::try_from(row.get::<_, i32>(0)).map_err(e)?);
            }
        }
        Ok(out)
    }

    async fn release_indices(
        &self,
        now: DateTime<Utc>,
        reuse: IndexReuse,
    ) -> Result<usize, StoreError> {
        let cutoff = now - reuse.kept_for;
        let quiet = now - reuse.quiet_for;
        // Valid and quiet long enough: back to the pool. Then the ones still marked revoked or
        // suspended are set valid now, and wait their quiet period before a later pass.
        let n = self
            .client
            .execute(
                "DELETE FROM status_entries WHERE allocated_at < $1 AND status = 0 \
                 AND (changed_at IS NULL OR changed_at < $2)",
                &[&cutoff, &quiet],
            )
            .await
            .map_err(e)?;
        self.client
            .execute(
                "UPDATE status_entries SET status = 0, changed_at = $2 \
                 WHERE allocated_at < $1 AND status <> 0",
                &[&cutoff, &now],
            )
            .await
            .map_err(e)?;
        usize::try_from(n).map_err(e)
    }

    async fn set_status(
        &self,
        holder: &str,
        status: Status,
        now: DateTime<Utc>,
    ) -> Result<usize, StoreError> {
        let code = status as i16;
        let n = self
            .client
            .execute(
                "UPDATE status_entries SET status = $2, changed_at = $3 WHERE holder = $1",
                &[&holder, &code, &now],
            )
            .await
            .map_err(e)?;
        usize::try_from(n).map_err(e)
    }

    async fn status_entries(&self) -> Result<Vec<(u32, Status)>, StoreError> {
        self.client
            .query(
                "SELECT idx, status FROM status_entries WHERE status <> 0 ORDER BY idx",
                &[],
            )
            .await
            .map_err(e)?
            .iter()
            .map(|row| {
                let idx: i32 = row.get(0);
                let status: i16 = row.get(1);
                Ok((
                    u32::try_from(idx).map_err(e)?,
                    Status::from_code(u8::try_from(status).map_err(e)?),
                ))
            })
            .collect()
    }

    async fn holder_of(&self, idx: u32) -> Result<Option<String>, StoreError> {
        let idx = i32::try_from(idx).map_err(e)?;
        Ok(self
            .client
            .query_opt("SELECT holder FROM status_entries WHERE idx = $1", &[&idx])
            .await
            .map_err(e)?
            .map(|row| row.get::<_, String>(0)))
    }

    async fn indices_in_use(&self) -> Result<usize, StoreError> {
        let n: i64 = self
            .client
            .query_one("SELECT count(*) FROM status_entries", &[])
            .await
            .map_err(e)?
            .get(0);
        usize::try_from(n).map_err(e)
    }

    async fn publish(&self, p: &Publication) -> Result<bool, StoreError> {
        let list = i32::try_from(p.list).map_err(e)?;
        let version = i64::try_from(p.version).map_err(e)?;
        // One statement: the new version goes in unless it exists, and only then does the one
        // before it give up its entries.
        let inserted = self
            .client
            .query_one(
                "WITH added AS (
                     INSERT INTO status_publications (list, version, issued_at, undo, entries)
                     VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING RETURNING version
                 ), older AS (
                     UPDATE status_publications SET entries = NULL
                     WHERE list = $1 AND version = $2 - 1 AND EXISTS (SELECT 1 FROM added)
                 )
                 SELECT count(*) FROM added",
                &[&list, &version, &p.issued_at, &p.undo, &p.entries],
            )
            .await
            .map_err(e)?
            .get::<_, i64>(0);
        Ok(inserted == 1)
    }

    async fn newest_publication(&self, list: u32) -> Result<Option<Publication>, StoreError> {
        let list = i32::try_from(list).map_err(e)?;
        self.client
            .query_opt(
                "SELECT list, version, issued_at, undo, entries FROM status_publications \
                 WHERE list = $1 ORDER BY version DESC LIMIT 1",
                &[&list],
            )
            .await
            .map_err(e)?
            .map(|row| publication(&row))
            .transpose()
    }

    async fn publications_after(
        &self,
        list: u32,
        from: u64,
    ) -> Result<Vec<Publication>, StoreError> {
        let list = i32::try_from(list).map_err(e)?;
        let from = i64::try_from(from).map_err(e)?;
        self.client
            .query(
                "SELECT list, version, issued_at, undo, NULL::bytea FROM status_publications \
                 WHERE list = $1 AND version > $2 ORDER BY version",
                &[&list, &from],
            )
            .await
            .map_err(e)?
            .iter()
            .map(publication)
            .collect()
    }

    async fn list_heads(&self) -> Result<Vec<(u32, u64, DateTime<Utc>)>, StoreError> {
        self.client
            .query(
                // One primary-key lookup per list (there are at most 255), not a scan of
                // every version kept.
                "SELECT l.list, p.version, p.issued_at \
                 FROM generate_series(1, (SELECT coalesce(max(list), 0) FROM status_publications)) \
                      AS l(list) \
                 CROSS JOIN LATERAL (SELECT version, issued_at FROM status_publications s \
                      WHERE s.list = l.list ORDER BY version DESC LIMIT 1) p \
                 ORDER BY l.list",
                &[],
            )
            .await
            .map_err(e)?
            .iter()
            .map(|row| {
                Ok((
                    u32::try_from(row.get::<_, i32>(0)).map_err(e)?,
                    u64::try_from(row.get::<_, i64>(1)).map_err(e)?,
                    row.get(2),
                ))
            })
            .collect()
    }

    async fn trim_publications(&self, before: DateTime<Utc>) -> Result<usize, StoreError> {
        let n = self
            .client
            .execute(
                "DELETE FROM status_publications p WHERE issued_at < $1 AND version < \
                 (SELECT max(version) FROM status_publications q WHERE q.list = p.list)",
                &[&before],
            )
            .await
            .map_err(e)?;
        usize::try_from(n).map_err(e)
    }
}

fn publication(row: &tokio_postgres::Row) -> Result<Publication, StoreError> {
    Ok(Publication {
        list: u32::try_from(row.get::<_, i32>(0)).map_err(e)?,
        version: u64::try_from(row.get::<_, i64>(1)).map_err(e)?,
        issued_at: row.get(2),
        undo: row.get(3),
        entries: row.get(4),
    })
}
