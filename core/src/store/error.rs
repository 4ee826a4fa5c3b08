//! Store errors: each one says what the holder (or support) can do next.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error(
        "record {table}/{key} is damaged or was moved ({why}). Run `techo store check`, export what is readable with `techo store export`, then `techo store check --repair` or `techo store reset` / \
         保存データの一部が壊れています。`techo store check` で確認してください"
    )]
    Corrupt {
        table: &'static str,
        key: String,
        why: String,
    },

    #[error(
        "the store at {path} cannot be opened ({why}); it is damaged or not a Techo store. Move it aside or run `techo store reset` / 保存データを開けません"
    )]
    Unreadable { path: PathBuf, why: String },

    #[error(
        "the data key does not open this store: it belongs to another key (restored from another device?). Restore the matching key file, or `techo store reset` to start empty / 暗号鍵が一致しません"
    )]
    WrongKey,

    #[error(
        "the store was written by a newer Techo (schema {found}, this build reads up to {supported}): update the app / アプリを最新版に更新してください"
    )]
    NewerSchema { found: u32, supported: u32 },

    #[error("the data key is unavailable: {0}")]
    Key(#[from] super::KeyError),

    #[error(
        "the store is in use by another Techo process: close it and try again / 他のプロセスが使用中です"
    )]
    Locked,

    #[error(
        "disk error in the store: {0} (check free space and permissions) / ディスクの読み書きに失敗しました"
    )]
    Io(String),
}

impl StoreError {
    pub(crate) fn io(e: impl std::fmt::Display) -> Self {
        StoreError::Io(e.to_string())
    }
}
