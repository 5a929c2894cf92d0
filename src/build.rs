// Migrations are embedded with `embed_migrations!`; make cargo notice new ones.
fn main() {
    println!("cargo:rerun-if-changed=migrations");
}
