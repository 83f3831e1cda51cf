//! Golden diagnostics: every bad policy under `tests/diagnostics` is
//! rejected with located, helpful errors whose exact text is snapshotted.

#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;

use engine::{check_policy, SourceFile};

#[test]
fn bad_policies_have_golden_diagnostics() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/diagnostics");
    let mut paths: Vec<_> = std::fs::read_dir(&dir)
        .expect("tests/diagnostics exists")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "polar"))
        .collect();
    paths.sort();
    assert!(paths.len() >= 12);
    for path in paths {
        let name = path
            .file_stem()
            .unwrap_or_default()
            .to_string_lossy()
            .into_owned();
        let text = std::fs::read_to_string(&path).expect("readable");
        let file = SourceFile::new(format!("{name}.polar"), text);
        let rendered = match check_policy(&file) {
            Ok(_) => panic!("{name}.polar was accepted but must be rejected"),
            Err(diagnostics) => {
                for d in &diagnostics.0 {
                    assert!(d.help.is_some(), "{name}: diagnostic without help: {d}");
                }
                diagnostics.render()
            }
        };
        insta::assert_snapshot!(name, rendered);
    }
}
