//! Generates the policy parser from `src/parse/grammar.lalrpop`.
fn main() {
    if let Err(err) = lalrpop::process_src() {
        eprintln!("lalrpop failed: {err}");
        std::process::exit(1);
    }
}
