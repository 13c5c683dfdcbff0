//! `feeds.toml`: the list of feeds to poll.

use std::path::Path;
use std::time::Duration;

use serde::Deserialize;
use toml::Spanned;

use super::diag::{Diagnostic, SourceFile, array_of_tables, reject_unknown_keys};
use super::units::parse_duration_at_least;

/// The shortest poll interval a feed may have.
const MIN_INTERVAL: Duration = Duration::from_secs(1);

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FeedEntry {
    name: Spanned<String>,
    url: Spanned<String>,
    #[serde(default)]
    interval: Option<Spanned<String>>,
    #[serde(default)]
    language: Option<Spanned<String>>,
    #[serde(default = "default_true")]
    enabled: bool,
}

fn default_true() -> bool {
    true
}

/// One validated feed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeedConfig {
    pub name: String,
    /// Absolute `http(s)://` or `file://` URL; a relative `file:` path in the
    /// file has been resolved against the directory of `feeds.toml`.
    pub url: String,
    /// How often the feed is polled: its own `interval`, else `[poll]
    /// interval`, resolved when the file loads so no one else decides it.
    pub interval: Duration,
    /// Whether feeds.toml gives this feed its own interval (`feeds list`
    /// shows only those).
    pub own_interval: bool,
    /// Declared language, a hint for detection.
    pub language: Option<String>,
    pub enabled: bool,
}

impl FeedConfig {
    /// The feed with `interval` as the default it falls back on (a reload
    /// keeps the running `[poll] interval` until a restart).
    pub fn with_default_interval(mut self, interval: Duration) -> FeedConfig {
        if !self.own_interval {
            self.interval = interval;
        }
        self
    }
}

/// Loads `feeds.toml`; a feed without its own `interval` gets
/// `default_interval` (`[poll] interval`). A missing file is an error: a service with no feeds is
/// certainly a mistake.
pub fn load_feeds(
    path: &Path,
    enabled_languages: &[String],
    default_interval: Duration,
) -> Result<Vec<FeedConfig>, Vec<Diagnostic>> {
    let file = SourceFile::read(path).map_err(|d| vec![d])?;
    let root = file.parse()?;
    let mut diags = Vec::new();
    reject_unknown_keys(&file, &root, &["feed"], &mut diags);
    let base = path.parent().unwrap_or(Path::new("."));
    let mut feeds: Vec<FeedConfig> = Vec::new();
    for (i, value) in array_of_tables(&file, &root, "feed", &mut diags)
        .into_iter()
        .enumerate()
    {
        let (parsed, mut problems) = file.section_all::<FeedEntry>(&format!("feed[{i}]"), value);
        diags.append(&mut problems);
        let Some(entry) = parsed else {
            continue;
        };
        let field = |f: &str| format!("feed[{i}].{f}");
        let name = entry.name.get_ref().trim().to_string();
        if name.is_empty() {
            diags.push(file.diag(Some(entry.name.span()), field("name"), "must not be empty"));
        } else if feeds.iter().any(|f| f.name.eq_ignore_ascii_case(&name)) {
            diags.push(file.diag(
                Some(entry.name.span()),
                field("name"),
                format!("{name:?} is already the name of another feed; names must be unique"),
            ));
        }
        let url = match normalise_url(entry.url.get_ref(), base) {
            Ok(u) => u,
            Err(e) => {
                diags.push(file.diag(Some(entry.url.span()), field("url"), e));
                continue;
            }
        };
        if let Some(other) = feeds.iter().find(|f| f.url == url) {
            diags.push(file.diag(
                Some(entry.url.span()),
                field("url"),
                format!("the same URL is already listed as feed {:?}", other.name),
            ));
        }
        let interval = entry.interval.as_ref().and_then(|iv| {
            parse_duration_at_least(iv.get_ref(), MIN_INTERVAL)
                .map_err(|e| diags.push(file.diag(Some(iv.span()), field("interval"), e)))
                .ok()
        });
        let language = entry.language.as_ref().and_then(|l| {
            let Some(code) = crate::lang::supported(l.get_ref()) else {
                diags.push(file.diag(
                    Some(l.span()),
                    field("language"),
                    format!(
                        "{:?} is not a supported ISO 639-1 language code",
                        l.get_ref().trim()
                    ),
                ));
                return None;
            };
            if !enabled_languages.iter().any(|e| e == code) {
                // A hint outside the enabled set is harmless: detection ignores it.
                tracing::debug!(feed = %name, language = %code, "declared language is not enabled");
            }
            Some(code.to_string())
        });
        feeds.push(FeedConfig {
            name,
            url,
            own_interval: interval.is_some(),
            interval: interval.unwrap_or(default_interval),
            language,
            enabled: entry.enabled,
        });
    }
    if diags.is_empty() {
        Ok(feeds)
    } else {
        Err(diags)
    }
}

/// Checks a feed URL and makes a relative `file:` path absolute.
fn normalise_url(raw: &str, base: &Path) -> Result<String, String> {
    let raw = raw.trim();
    // `file:feeds/x.xml` (no slashes) is a path relative to feeds.toml.
    if let Some(rel) = raw.strip_prefix("file:").filter(|r| !r.starts_with('/')) {
        let abs = std::path::absolute(base.join(rel))
            .map_err(|e| format!("cannot resolve {rel:?}: {e}"))?;
        return url::Url::from_file_path(&abs)
            .map(String::from)
            .map_err(|()| format!("cannot turn {} into a file:// URL", abs.display()));
    }
    let url = url::Url::parse(raw).map_err(|e| format!("{raw:?} is not a URL: {e}"))?;
    match url.scheme() {
        "http" | "https" if url.host().is_some() => Ok(url.into()),
        "http" | "https" => Err(format!("{raw:?} has no host")),
        "file" => Ok(url.into()),
        other => Err(format!(
            "scheme {other:?} is not supported; use http://, https:// or file://"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_file_urls_resolve_against_the_feeds_file() {
        let u = normalise_url("file:feeds/a.xml", Path::new("/srv/nh")).unwrap();
        assert_eq!(u, "file:///srv/nh/feeds/a.xml");
        assert_eq!(
            normalise_url("file:///abs/a.xml", Path::new("/x")).unwrap(),
            "file:///abs/a.xml"
        );
    }

    #[test]
    fn rejects_unsupported_schemes() {
        assert!(
            normalise_url("ftp://x/y", Path::new("/"))
                .unwrap_err()
                .contains("not supported")
        );
        assert!(normalise_url("not a url", Path::new("/")).is_err());
    }
}
