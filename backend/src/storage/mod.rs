//! Storage below the features: versioned records, the world rebuilt from them, and the
//! outboxes of messages still to deliver.

pub mod cache;
pub mod catalog_edits;
pub mod outbox;
pub mod period;
pub mod platform_facts;
pub mod records;
pub mod world;
