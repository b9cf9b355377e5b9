// `sqlx::migrate!` embeds the migrations at compile time; a new file in the
// folder must rebuild this crate, which cargo only knows if told.
fn main() {
    println!("cargo:rerun-if-changed=../migrations");
}
