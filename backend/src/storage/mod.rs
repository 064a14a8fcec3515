//! Storage below the features: versioned records, the world rebuilt from them, and the
//! outboxes of messages still to deliver.

pub mod cache;
pub mod outbox;
pub mod period;
pub mod records;
pub mod world;
