//! Storage below the features: versioned records and the world rebuilt from them.

pub mod cache;
pub mod period;
pub mod records;
pub mod world;
