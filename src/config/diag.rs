//! Diagnostics for configuration files: every problem with its file, line,
//! column and field, collected rather than stopping at the first.
//!
//! The loaders parse a file once into a spanned TOML tree, substitute
//! `${VAR}` references, then deserialise each section (and each element of an
//! array of tables) on its own, so that one bad section does not hide the
//! problems of the next.

use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};

use serde::de::DeserializeOwned;
use toml::Spanned;
use toml::de::{DeTable, DeValue, ValueDeserializer};

/// One problem in one configuration file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub file: PathBuf,
    /// 1-based; 0 when the problem is about the file as a whole.
    pub line: usize,
    pub column: usize,
    /// Dotted path of the field (`poll.interval`, `feed[3].url`); empty for the whole file.
    pub field: String,
    pub message: String,
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file.display())?;
        if self.line > 0 {
            write!(f, ":{}:{}", self.line, self.column)?;
        }
        if !self.field.is_empty() {
            write!(f, ": {}", self.field)?;
        }
        write!(f, ": {}", self.message)
    }
}

/// A list of diagnostics, displayed one per line.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Diagnostics(pub Vec<Diagnostic>);

impl fmt::Display for Diagnostics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, d) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{d}")?;
        }
        Ok(())
    }
}

impl std::error::Error for Diagnostics {}

impl Diagnostics {
    /// "1 problem", "3 problems": how every message about a refused
    /// configuration counts them.
    pub fn counted(&self) -> String {
        match self.0.len() {
            1 => "1 problem".to_string(),
            n => format!("{n} problems"),
        }
    }
}

/// A configuration file's text, for turning byte offsets into lines and columns.
pub struct SourceFile {
    pub path: PathBuf,
    pub text: String,
}

impl SourceFile {
    pub fn read(path: &Path) -> Result<SourceFile, Diagnostic> {
        match std::fs::read_to_string(path) {
            Ok(text) => Ok(SourceFile {
                path: path.to_path_buf(),
                text,
            }),
            Err(e) => Err(Diagnostic {
                file: path.to_path_buf(),
                line: 0,
                column: 0,
                field: String::new(),
                message: format!("cannot read: {e}"),
            }),
        }
    }

    /// 1-based line and column (in characters) of a byte offset.
    pub fn line_col(&self, offset: usize) -> (usize, usize) {
        let offset = offset.min(self.text.len());
        let before = self.text.get(..offset).unwrap_or(&self.text);
        let line = before.matches('\n').count() + 1;
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        let column = before.get(line_start..).map_or(0, |s| s.chars().count()) + 1;
        (line, column)
    }

    pub fn diag(
        &self,
        span: Option<Range<usize>>,
        field: impl Into<String>,
        message: impl Into<String>,
    ) -> Diagnostic {
        let (line, column) = span.map_or((0, 0), |s| self.line_col(s.start));
        Diagnostic {
            file: self.path.clone(),
            line,
            column,
            field: field.into(),
            message: message.into(),
        }
    }

    /// Parses the whole file into a spanned tree, with `${VAR}` substituted in
    /// every string value. Syntax errors and unset variables are all reported.
    pub fn parse(&self) -> Result<DeTable<'_>, Vec<Diagnostic>> {
        self.parse_without(&[])
    }

    /// Like [`SourceFile::parse`], with the top-level keys in `skip` left
    /// out of the tree altogether (their `${VAR}`s are not looked up).
    pub fn parse_without(&self, skip: &[&str]) -> Result<DeTable<'_>, Vec<Diagnostic>> {
        let (mut root, errors) = DeTable::parse_recoverable(&self.text);
        if !errors.is_empty() {
            return Err(errors
                .iter()
                .map(|e| self.diag(e.span(), "", e.message().to_string()))
                .collect());
        }
        for key in skip {
            root.get_mut().remove(*key);
        }
        let mut diags = Vec::new();
        for (key, value) in root.get_mut().iter_mut() {
            substitute_env(self, key.get_ref(), value, &mut diags);
        }
        if diags.is_empty() {
            Ok(root.into_inner())
        } else {
            Err(diags)
        }
    }

    /// Like [`SourceFile::section`], but reports every bad key of a table,
    /// not only the first: when the whole table fails, each key is tried on
    /// its own, the bad ones are reported and dropped, and the rest is
    /// deserialised, so that its values can still be validated. Returns the
    /// value when one could be built, and every problem found.
    pub fn section_all<T: DeserializeOwned>(
        &self,
        field: &str,
        value: &Spanned<DeValue<'_>>,
    ) -> (Option<T>, Vec<Diagnostic>) {
        let first = match self.section::<T>(field, value) {
            Ok(v) => return (Some(v), Vec::new()),
            Err(d) => d,
        };
        let DeValue::Table(table) = value.get_ref() else {
            return (None, vec![first]);
        };
        let mut diags = Vec::new();
        let mut pruned = table.clone();
        for (key, item) in table.iter() {
            let mut alone = DeTable::new();
            alone.insert(key.clone(), item.clone());
            let alone = Spanned::new(value.span(), DeValue::Table(alone));
            if let Err(d) = self.section::<T>(field, &alone) {
                // A key alone lacks the table's required fields; only its own faults count.
                if !d.message.starts_with("missing field") {
                    pruned.remove(key.get_ref().as_ref());
                    diags.push(d);
                }
            }
        }
        if diags.is_empty() {
            return (None, vec![first]);
        }
        let pruned = Spanned::new(value.span(), DeValue::Table(pruned));
        match self.section::<T>(field, &pruned) {
            Ok(v) => (Some(v), diags),
            Err(d) => {
                if !diags.contains(&d) {
                    diags.push(d);
                }
                (None, diags)
            }
        }
    }

    /// Deserialises one spanned value (a section or an array element) into `T`.
    /// `field` is the dotted path of the value, used to name the failing field.
    pub fn section<T: DeserializeOwned>(
        &self,
        field: &str,
        value: &Spanned<DeValue<'_>>,
    ) -> Result<T, Diagnostic> {
        T::deserialize(ValueDeserializer::from(value.clone())).map_err(|e| {
            let path = e
                .span()
                .and_then(|span| field_at(value, &span))
                .map_or_else(|| field.to_string(), |sub| join(field, &sub));
            self.diag(
                e.span().or_else(|| Some(value.span())),
                path,
                e.message().to_string(),
            )
        })
    }
}

/// Deserialises every top-level key that `known` accepts, reports the rest as unknown.
pub fn reject_unknown_keys(
    file: &SourceFile,
    root: &DeTable<'_>,
    known: &[&str],
    diags: &mut Vec<Diagnostic>,
) {
    for (key, _) in root.iter() {
        if !known.contains(&key.get_ref().as_ref()) {
            diags.push(file.diag(
                Some(key.span()),
                key.get_ref().to_string(),
                format!("unknown key, expected one of: {}", known.join(", ")),
            ));
        }
    }
}

/// The elements of an array of tables (`[[feed]]`), or a diagnostic when the key holds something else.
pub fn array_of_tables<'a, 'i>(
    file: &SourceFile,
    root: &'a DeTable<'i>,
    key: &str,
    diags: &mut Vec<Diagnostic>,
) -> Vec<&'a Spanned<DeValue<'i>>> {
    let Some(value) = root.get(key) else {
        return Vec::new();
    };
    match value.get_ref() {
        DeValue::Array(items) => items.iter().collect(),
        other => {
            diags.push(file.diag(
                Some(value.span()),
                key,
                format!(
                    "expected an array of tables ([[{key}]]), found a {}",
                    other.type_str()
                ),
            ));
            Vec::new()
        }
    }
}

/// The span of the value at a dotted path such as `group[2].terms.pl[0]`, or
/// of the deepest part of the path that exists.
pub fn span_of_path(root: &Spanned<DeValue<'_>>, path: &str) -> Option<Range<usize>> {
    let mut node = root;
    let mut best = None;
    for part in path.split('.').filter(|p| !p.is_empty()) {
        let (key, indexes) = match part.find('[') {
            Some(i) => (&part[..i], &part[i..]),
            None => (part, ""),
        };
        if !key.is_empty() {
            match node.get_ref() {
                DeValue::Table(t) => match t.get(key) {
                    Some(child) => node = child,
                    None => return best,
                },
                _ => return best,
            }
            best = Some(node.span());
        }
        for index in indexes.split(['[', ']']).filter(|s| !s.is_empty()) {
            let Ok(i) = index.parse::<usize>() else {
                return best;
            };
            match node.get_ref() {
                DeValue::Array(a) => match a.get(i) {
                    Some(child) => node = child,
                    None => return best,
                },
                _ => return best,
            }
            best = Some(node.span());
        }
    }
    best
}

fn join(parent: &str, child: &str) -> String {
    match (parent.is_empty(), child.is_empty()) {
        (true, _) => child.to_string(),
        (_, true) => parent.to_string(),
        _ if child.starts_with('[') => format!("{parent}{child}"),
        _ => format!("{parent}.{child}"),
    }
}

/// The dotted path, below `value`, of the innermost key whose key or value
/// covers `span`. serde's messages name a missing or unknown field but not the
/// field whose value had the wrong type; the span tells which one it was.
fn field_at(value: &Spanned<DeValue<'_>>, span: &Range<usize>) -> Option<String> {
    match value.get_ref() {
        DeValue::Table(table) => {
            for (key, child) in table.iter() {
                let k = key.span();
                let v = child.span();
                let covers =
                    |r: &Range<usize>| r.start <= span.start && span.end <= r.end.max(r.start + 1);
                if covers(&k) {
                    return Some(key.get_ref().to_string());
                }
                if covers(&v) {
                    let name = key.get_ref().to_string();
                    return Some(match field_at(child, span) {
                        Some(sub) => join(&name, &sub),
                        None => name,
                    });
                }
            }
            None
        }
        DeValue::Array(items) => items.iter().enumerate().find_map(|(i, child)| {
            let v = child.span();
            (v.start <= span.start && span.end <= v.end).then(|| match field_at(child, span) {
                Some(sub) => join(&format!("[{i}]"), &sub),
                None => format!("[{i}]"),
            })
        }),
        _ => None,
    }
}

/// Replaces `${VAR}` in every string below `value` with the environment
/// variable's value; `$${` stands for a literal `${`. An unset or non-UTF-8
/// variable is a diagnostic naming it.
fn substitute_env(
    file: &SourceFile,
    field: &str,
    value: &mut Spanned<DeValue<'_>>,
    diags: &mut Vec<Diagnostic>,
) {
    let span = value.span();
    match value.get_mut() {
        DeValue::String(s) if s.contains("${") => match expand_env(s, |name| {
            std::env::var(name).ok()
        }) {
            Ok(expanded) => *s = expanded.into(),
            Err(missing) => diags.push(file.diag(
                Some(span),
                field,
                format!(
                    "environment variable {missing} is not set; set it or write the value directly"
                ),
            )),
        },
        DeValue::Array(items) => {
            for (i, item) in items.iter_mut().enumerate() {
                substitute_env(file, &format!("{field}[{i}]"), item, diags);
            }
        }
        DeValue::Table(table) => {
            for (key, item) in table.iter_mut() {
                substitute_env(file, &join(field, key.get_ref()), item, diags);
            }
        }
        _ => {}
    }
}

/// Expands `${NAME}` references; returns the first unset name as the error.
pub fn expand_env(text: &str, lookup: impl Fn(&str) -> Option<String>) -> Result<String, String> {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(pos) = rest.find('$') {
        out.push_str(&rest[..pos]);
        let after = &rest[pos..];
        if let Some(tail) = after.strip_prefix("$${") {
            out.push_str("${");
            rest = tail;
        } else if let Some(tail) = after.strip_prefix("${") {
            let Some(end) = tail.find('}') else {
                return Err(format!("${{{tail} (no closing brace)"));
            };
            let name = &tail[..end];
            match lookup(name) {
                Some(v) => out.push_str(&v),
                None => return Err(name.to_string()),
            }
            rest = &tail[end + 1..];
        } else {
            out.push('$');
            rest = &after[1..];
        }
    }
    out.push_str(rest);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lookup(name: &str) -> Option<String> {
        (name == "TOKEN").then(|| "s3cret".to_string())
    }

    #[test]
    fn expands_known_variables() {
        assert_eq!(expand_env("a ${TOKEN} b", lookup).unwrap(), "a s3cret b");
        assert_eq!(
            expand_env("${TOKEN}${TOKEN}", lookup).unwrap(),
            "s3crets3cret"
        );
        assert_eq!(expand_env("cost $5", lookup).unwrap(), "cost $5");
        assert_eq!(expand_env("$${TOKEN}", lookup).unwrap(), "${TOKEN}");
    }

    #[test]
    fn names_the_unset_variable() {
        assert_eq!(expand_env("x ${NOPE} y", lookup).unwrap_err(), "NOPE");
        assert!(
            expand_env("${OPEN", lookup)
                .unwrap_err()
                .contains("no closing brace")
        );
    }

    #[test]
    fn line_and_column_are_one_based() {
        let f = SourceFile {
            path: "x.toml".into(),
            text: "a = 1\nbé = 2\n".into(),
        };
        assert_eq!(f.line_col(0), (1, 1));
        assert_eq!(f.line_col(6), (2, 1));
        // after the two-byte é
        assert_eq!(f.line_col(9), (2, 3));
    }
}
