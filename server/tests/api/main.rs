//! Integration tests: one binary, one harness (see `helpers`), the real app over HTTP.
//! Run on SQLite by default, on PostgreSQL with `BAA_TEST_POSTGRES=postgres://...`.

mod access;
mod accounts;
mod api_v1;
mod audit;
mod check;
mod cli;
mod coverage;
mod documents;
mod forms;
mod helpers;
mod hostile;
mod import;
mod integrations;
mod journeys;
mod lists;
mod mail;
mod notifications;
mod packets;
mod period;
mod read_path;
mod route_matrix;
mod s3;
mod safeguards;
mod security;
mod seed;
mod sessions;
mod smtp;
mod trust;
mod twofactor;
mod verdicts;
