//! The installed configuration, deploy/newshound.toml: it is the repository's
//! config/newshound.toml with only its paths changed, and the real binary
//! accepts it laid out as /etc/newshound.

mod common;

use std::fs;
use std::path::Path;

use common::process::{newshound, stderr, stdout};

/// The lines deploy/make-config.sh changes, as whole lines: (repository,
/// installed). Keep this table and the script's in step.
const CHANGES: [(&str, &str); 4] = [
    (r#"path = "../data""#, r#"path = "/var/lib/newshound""#),
    (r#"file = "../feeds.toml""#, r#"file = "feeds.toml""#),
    // Already the installed value; listed so that a change to the
    // repository's line stops the script and this test alike.
    (r#"dir = "topics""#, r#"dir = "topics""#),
    (
        r#"socket = "../data/api.sock""#,
        r#"socket = "/run/newshound/api.sock""#,
    ),
];

/// The store path the unit's StateDirectory= creates.
const STATE_DIR: &str = "/var/lib/newshound";

#[test]
fn installed_config_is_the_repository_config_with_only_its_paths_changed() {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    let source = read(&repo.join("config/newshound.toml"));
    let committed = read(&repo.join("deploy/newshound.toml"));

    let expected = installed_config(&source);

    if committed != expected {
        let line = first_difference(&committed, &expected);
        panic!(
            "deploy/newshound.toml differs from config/newshound.toml with its paths \
             changed (first at line {line}); run deploy/make-config.sh and commit the result"
        );
    }
}

#[test]
fn installed_layout_passes_check_without_touching_the_store() {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    let etc = tempfile::tempdir().unwrap();
    let etc = etc.path();
    fs::copy(
        repo.join("deploy/newshound.toml"),
        etc.join("newshound.toml"),
    )
    .unwrap();
    fs::copy(repo.join("feeds.toml"), etc.join("feeds.toml")).unwrap();
    fs::create_dir(etc.join("topics")).unwrap();
    for pack in fs::read_dir(repo.join("config/topics")).unwrap() {
        let pack = pack.unwrap().path();
        fs::copy(&pack, etc.join("topics").join(pack.file_name().unwrap())).unwrap();
    }
    // `check` validates the configuration only; it must not create the store
    // it names. Where the machine has no /var/lib/newshound, prove it.
    let store_existed = Path::new(STATE_DIR).exists();

    let out = newshound(&etc.join("newshound.toml"), &["check"]);

    assert!(
        out.status.success(),
        "check of the installed layout failed:\n{}",
        stderr(&out)
    );
    assert!(
        stdout(&out)
            .lines()
            .any(|l| l.trim() == format!("store: {STATE_DIR}")),
        "check should report the store at {STATE_DIR}:\n{}",
        stdout(&out)
    );
    if !store_existed {
        assert!(
            !Path::new(STATE_DIR).exists(),
            "check created the store directory {STATE_DIR}"
        );
    }
}

/// config/newshound.toml with each line of [`CHANGES`] replaced. Every line
/// to change must occur exactly once, as deploy/make-config.sh requires.
fn installed_config(source: &str) -> String {
    for (old, _) in CHANGES {
        let count = source
            .split_inclusive('\n')
            .filter(|l| without_newline(l) == old)
            .count();
        assert_eq!(
            count, 1,
            "config/newshound.toml has the line `{old}` {count} times, expected once; \
             update deploy/make-config.sh and tests/deploy.rs"
        );
    }
    source
        .split_inclusive('\n')
        .map(|line| {
            let text = without_newline(line);
            match CHANGES.iter().find(|(old, _)| *old == text) {
                Some((_, new)) => format!("{new}{}", &line[text.len()..]),
                None => line.to_string(),
            }
        })
        .collect()
}

/// A line as sed and `grep -x` see it: without its final newline.
fn without_newline(line: &str) -> &str {
    line.strip_suffix('\n').unwrap_or(line)
}

/// The 1-based number of the first line where `a` and `b` differ, counting a
/// missing final newline as a difference.
fn first_difference(a: &str, b: &str) -> usize {
    let same = a
        .split_inclusive('\n')
        .zip(b.split_inclusive('\n'))
        .take_while(|(x, y)| x == y)
        .count();
    same + 1
}

fn read(path: &Path) -> String {
    fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}
