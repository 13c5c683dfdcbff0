//! `config/topics/*.toml`: the topic packs, read, validated and compiled into
//! one matcher.

use std::path::{Path, PathBuf};

use toml::Spanned;
use toml::de::DeValue;

use super::diag::{Diagnostic, SourceFile, span_of_path};
use crate::topic::{TopicError, TopicMatcher, TopicPack};

/// The loaded packs and the matcher compiled from all of them.
pub struct TopicSet {
    pub packs: Vec<TopicPack>,
    pub files: Vec<PathBuf>,
    pub matcher: TopicMatcher,
    /// Coverage gaps and other soft problems, for `check`.
    pub warnings: Vec<String>,
}

/// Loads every `*.toml` file of `dir` (in name order) and compiles them.
pub fn load_topics(dir: &Path, enabled_languages: &[String]) -> Result<TopicSet, Vec<Diagnostic>> {
    let whole_dir = |message: String| {
        vec![Diagnostic {
            file: dir.to_path_buf(),
            line: 0,
            column: 0,
            field: String::new(),
            message,
        }]
    };
    let entries = std::fs::read_dir(dir)
        .map_err(|e| whole_dir(format!("cannot read topic directory: {e}")))?;
    let mut paths: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "toml") && p.is_file())
        .collect();
    paths.sort();
    if paths.is_empty() {
        return Err(whole_dir(
            "no topic packs (*.toml) here; copy config/topics/tech-espionage.toml or point [topics] dir elsewhere".into(),
        ));
    }

    let mut diags = Vec::new();
    let mut files = Vec::new();
    for path in &paths {
        match SourceFile::read(path) {
            Ok(f) => files.push(f),
            Err(d) => diags.push(d),
        }
    }
    let mut packs: Vec<TopicPack> = Vec::new();
    let mut trees: Vec<(&SourceFile, Spanned<DeValue<'_>>)> = Vec::new();
    for file in &files {
        let root = match file.parse() {
            Ok(r) => r,
            Err(mut d) => {
                diags.append(&mut d);
                continue;
            }
        };
        let value = Spanned::new(0..file.text.len(), DeValue::Table(root));
        let pack: TopicPack = match file.section("", &value) {
            Ok(p) => p,
            Err(d) => {
                diags.push(d);
                continue;
            }
        };
        if let Some(earlier) = packs.iter().position(|p| p.name == pack.name) {
            diags.push(file.diag(
                span_of_path(&value, "name"),
                "name",
                format!(
                    "topic {:?} is already defined in {}",
                    pack.name,
                    trees[earlier].0.path.display()
                ),
            ));
        }
        packs.push(pack);
        trees.push((file, value));
    }
    if !diags.is_empty() {
        // Every problem at once: the packs that did parse are checked too.
        // Otherwise compiling checks them, and validation runs once.
        for (pack, (file, value)) in packs.iter().zip(&trees) {
            for e in pack.validate() {
                diags.push(topic_diag(file, value, &e));
            }
        }
        return Err(diags);
    }
    let matcher = TopicMatcher::compile(&packs, enabled_languages).map_err(|errors| {
        errors
            .iter()
            .map(|e| match packs.iter().position(|p| p.name == e.topic) {
                Some(i) => topic_diag(trees[i].0, &trees[i].1, e),
                None => whole_dir(e.to_string()).remove(0),
            })
            .collect::<Vec<_>>()
    })?;
    let warnings = matcher.coverage_warnings();
    Ok(TopicSet {
        packs,
        files: files.into_iter().map(|f| f.path).collect(),
        matcher,
        warnings,
    })
}

fn topic_diag(file: &SourceFile, root: &Spanned<DeValue<'_>>, e: &TopicError) -> Diagnostic {
    file.diag(
        span_of_path(root, &e.field),
        e.field.clone(),
        e.message.clone(),
    )
}
