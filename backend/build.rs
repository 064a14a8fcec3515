// `sqlx::migrate!` embeds the SQL: rebuild when a migration changes.
fn main() {
    println!("cargo:rerun-if-changed=../migrations");
}
