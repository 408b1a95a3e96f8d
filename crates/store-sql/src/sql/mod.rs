//! The queries both backends share, written once over `Conn` (a connection of the backend
//! this module is compiled in) and `Db` (its diesel backend, for boxed queries). `pg.rs` and
//! `sqlite.rs` each include this module; what differs between them — row locks (`lock!`),
//! id allocation, the feed's horizon, the migrations table — they define before including it.

pub(crate) mod activities;
pub(crate) mod directory;
pub(crate) mod events;
pub(crate) mod learners;
pub(crate) mod lists;
pub(crate) mod paths;
pub(crate) mod revisions;

pub(crate) use super::{
    Conn, Db, FEED_HORIZON, HAS_SCHEMA, NEXT_RECORD_IDS, fresh_ids, insert_all, inserting, load, lock, shared,
    skip_locked,
};
