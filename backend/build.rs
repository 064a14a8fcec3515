//! Registers Fly.io's GraphQL schema with cynic, so every query in `src/fly_api/` is checked
//! against it when the crate compiles.

fn main() {
    cynic_codegen::register_schema("fly")
        .from_sdl_file("graphql/fly-schema.graphql")
        .expect("graphql/fly-schema.graphql is readable and parses")
        .as_default()
        .expect("the Fly.io schema registers with cynic");
}
