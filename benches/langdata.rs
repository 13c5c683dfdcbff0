//! Accuracy, speed and memory of language detection on lingua's test sets.
//!
//! Job: run `newshound::lang::LanguageDetector` (the default languages
//! enabled) over every line of `<dir>/<lang>/{sentences,word-pairs,single-words}.txt`
//! and print Markdown tables: accuracy per language and file kind (an answer
//! inside a group the detectors cannot separate, nb/nn or hr/sr/bs, counts
//! as right, and each language's exact-code accuracy is shown beside it),
//! overall accuracy per kind and for the original twelve languages, how
//! often each language that is not enabled got an enabled code (a wrong
//! answer: `unknown` or its group is right), single-thread throughput
//! (median of three passes) and the resident memory the detector adds. With `--compare` (or
//! `NEWSHOUND_LANGDATA_COMPARE=1`) it also shows whatlang alone and lingua
//! alone, as the reference the combination is judged against.
//!
//! `<dir>` is `$NEWSHOUND_LANGDATA`, default `$CARGO_MANIFEST_DIR/../shared/langdata`;
//! when it is absent the bench says so and exits 0, so `cargo bench` works on
//! a checkout without the shared data.
//!
//! Run: `cargo bench --bench langdata [-- --compare]` (always in release: lingua
//! is 15-20 times slower in a debug build).

use std::path::{Path, PathBuf};
use std::time::Instant;

use newshound::lang::{DEFAULT_LANGUAGES, LanguageDetector};

const KINDS: [(&str, &str); 3] = [
    ("sentences", "sentences"),
    ("word-pairs", "word pairs"),
    ("single-words", "single words"),
];

/// Timed passes per file kind; the median is reported because the machine is
/// a shared VM whose speed varies from one second to the next.
const PASSES: usize = 3;

fn main() {
    let dir = std::env::var_os("NEWSHOUND_LANGDATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/langdata"));
    if !dir.is_dir() {
        println!(
            "note: no language test data at {} (set NEWSHOUND_LANGDATA); nothing measured",
            dir.display()
        );
        return;
    }
    let compare = std::env::args().any(|a| a == "--compare")
        || std::env::var("NEWSHOUND_LANGDATA_COMPARE").is_ok_and(|v| !v.is_empty() && v != "0");

    // Memory first, before anything else is allocated. lingua's models are
    // finite-state machines read in place from the binary, so most of what
    // the detector adds is file-backed pages (RssFile), touched as texts are
    // detected: the figure after the run is the one that counts.
    let before = Memory::now();
    let start = Instant::now();
    let codes: Vec<String> = DEFAULT_LANGUAGES.iter().map(|c| c.to_string()).collect();
    let detector = LanguageDetector::new(&codes).expect("the default languages are supported");
    let build_time = start.elapsed();
    let built = Memory::now();

    let data = load(&dir, &languages(&dir));
    let loaded = Memory::now();
    let total: usize = data.iter().map(|d| d.texts.len()).sum();
    let (enabled_data, other_data): (Vec<TestSet>, Vec<TestSet>) =
        data.into_iter().partition(|s| is_enabled(s.lang));
    let data = enabled_data;
    println!(
        "language detection on {} ({total} texts, {} languages enabled)\n",
        dir.display(),
        DEFAULT_LANGUAGES.len()
    );

    let newshound = |text: &str| detector.detect(text, None).code;
    let mut results = vec![run("newshound", &data, PASSES, &newshound)];
    let others = run("newshound", &other_data, 1, &newshound);
    let ran = Memory::now();
    if compare {
        let whatlang = whatlang::Detector::with_allowlist(
            DEFAULT_LANGUAGES
                .iter()
                .filter_map(|c| whatlang_lang(c))
                .collect(),
        );
        let whatlang_alone = |text: &str| {
            whatlang
                .detect(text)
                .map(|i| whatlang_code(i.lang()).to_string())
                .unwrap_or_default()
        };
        results.push(run("whatlang", &data, 1, &whatlang_alone));
        let reliable = |text: &str| {
            whatlang
                .detect(text)
                .filter(|i| i.is_reliable())
                .map(|i| whatlang_code(i.lang()).to_string())
                .unwrap_or_default()
        };
        let share = run("reliable", &data, 1, &reliable);
        let langs: Vec<lingua::Language> = DEFAULT_LANGUAGES
            .iter()
            .filter_map(|c| lingua_lang(c))
            .collect();
        let lingua = lingua::LanguageDetectorBuilder::from_languages(&langs)
            .with_preloaded_language_models()
            .build();
        let lingua_alone = |text: &str| {
            lingua
                .detect_language_of(text)
                .map(|l| l.iso_code_639_1().to_string())
                .unwrap_or_default()
        };
        results.push(run("lingua", &data, 1, &lingua_alone));
        print_tables(&data, &results);
        println!(
            "\nwhatlang called itself reliable on {} of sentences, {} of word pairs, \
             {} of single words, and was then right {}, {}, {} of the time",
            percent(share.answered[0], share.texts[0]),
            percent(share.answered[1], share.texts[1]),
            percent(share.answered[2], share.texts[2]),
            percent(share.right[0], share.answered[0]),
            percent(share.right[1], share.answered[1]),
            percent(share.right[2], share.answered[2]),
        );
    } else {
        print_tables(&data, &results);
    }
    print_others(&other_data, &others);

    println!("\nmemory, KiB (VmRSS = RssAnon + RssFile + RssShmem)\n");
    println!("| when | VmRSS | RssAnon | RssFile |");
    println!("|---|---:|---:|---:|");
    for (when, m) in [
        ("before building the detector", before),
        (
            &format!(
                "detector built and warmed up ({:.0} ms)",
                build_time.as_secs_f64() * 1000.0
            ),
            built,
        ),
        ("test texts loaded", loaded),
        ("after the newshound run", ran),
    ] {
        println!("| {when} | {} | {} | {} |", m.rss, m.anon, m.file);
    }
    println!(
        "\ndetector: +{:.1} MiB built, +{:.1} MiB after detecting every text; process peak (VmHWM) {:.1} MiB",
        mib(built.rss.saturating_sub(before.rss)),
        mib(built.rss.saturating_sub(before.rss) + ran.rss.saturating_sub(loaded.rss)),
        mib(proc_status_kib("VmHWM:")),
    );
}

/// Resident memory of this process, in KiB, from /proc/self/status
/// (zeros where there is no /proc).
#[derive(Clone, Copy)]
struct Memory {
    rss: u64,
    anon: u64,
    file: u64,
}

impl Memory {
    fn now() -> Memory {
        Memory {
            rss: proc_status_kib("VmRSS:"),
            anon: proc_status_kib("RssAnon:"),
            file: proc_status_kib("RssFile:"),
        }
    }
}

fn mib(kib: u64) -> f64 {
    kib as f64 / 1024.0
}

/// The lines of one file: its language, its kind (index into [`KINDS`]).
struct TestSet {
    lang: &'static str,
    kind: usize,
    texts: Vec<String>,
}

/// Every language folder under `dir`, sorted, enabled ones first.
fn languages(dir: &Path) -> Vec<&'static str> {
    let mut others: Vec<String> = std::fs::read_dir(dir)
        .map(|d| {
            d.filter_map(Result::ok)
                .filter(|e| e.path().is_dir())
                .filter_map(|e| e.file_name().into_string().ok())
                .filter(|l| !is_enabled(l))
                .collect()
        })
        .unwrap_or_default();
    others.sort();
    DEFAULT_LANGUAGES
        .iter()
        .copied()
        .chain(others.into_iter().map(|l| &*Box::leak(l.into_boxed_str())))
        .collect()
}

fn is_enabled(lang: &str) -> bool {
    DEFAULT_LANGUAGES.contains(&lang)
}

/// Groups of languages the detectors cannot tell apart reliably: an answer
/// inside the group counts as right (and is shown apart).
const GROUPS: [&[&str]; 2] = [&["nb", "nn"], &["hr", "sr", "bs"]];

fn same_group(a: &str, b: &str) -> bool {
    a == b || GROUPS.iter().any(|g| g.contains(&a) && g.contains(&b))
}

fn load(dir: &Path, langs: &[&'static str]) -> Vec<TestSet> {
    let mut sets = Vec::new();
    for &lang in langs {
        for (kind, (file, _)) in KINDS.iter().enumerate() {
            let path = dir.join(lang).join(format!("{file}.txt"));
            match std::fs::read_to_string(&path) {
                Ok(text) => sets.push(TestSet {
                    lang,
                    kind,
                    texts: text
                        .lines()
                        .map(str::trim)
                        .filter(|l| !l.is_empty())
                        .map(str::to_string)
                        .collect(),
                }),
                Err(e) => println!("note: {}: {e}; skipped", path.display()),
            }
        }
    }
    sets
}

/// One detector's results: per test set the number right, and per kind the
/// totals and the median throughput.
struct Results {
    name: &'static str,
    /// Right within its group, for an enabled language's set; an enabled
    /// code outside its group (a wrong answer), for another language's set.
    right_per_set: Vec<usize>,
    /// Exactly the set's code.
    exact_per_set: Vec<usize>,
    /// Per kind: texts, texts with a non-empty answer, right answers.
    texts: [usize; 3],
    answered: [usize; 3],
    right: [usize; 3],
    texts_per_s: [f64; 3],
}

/// Runs `detect` over every set, `passes` times per kind; the first pass
/// counts the answers (detection is deterministic), every pass is timed.
fn run(
    name: &'static str,
    data: &[TestSet],
    passes: usize,
    detect: &dyn Fn(&str) -> String,
) -> Results {
    let mut r = Results {
        name,
        right_per_set: vec![0; data.len()],
        exact_per_set: vec![0; data.len()],
        texts: [0; 3],
        answered: [0; 3],
        right: [0; 3],
        texts_per_s: [0.0; 3],
    };
    for kind in 0..KINDS.len() {
        let mut rates = Vec::with_capacity(passes);
        for pass in 0..passes {
            let start = Instant::now();
            let mut n = 0usize;
            for (i, set) in data.iter().enumerate().filter(|(_, s)| s.kind == kind) {
                for text in &set.texts {
                    let got = detect(text);
                    n += 1;
                    if pass == 0 {
                        r.texts[kind] += 1;
                        if !got.is_empty() && got != "unknown" {
                            r.answered[kind] += 1;
                        }
                        if got == set.lang {
                            r.exact_per_set[i] += 1;
                        }
                        let right = if is_enabled(set.lang) {
                            same_group(&got, set.lang)
                        } else {
                            // Wrong: an enabled code that is not the
                            // language's own group.
                            is_enabled(&got) && !same_group(&got, set.lang)
                        };
                        if right {
                            r.right[kind] += 1;
                            r.right_per_set[i] += 1;
                        }
                    }
                }
            }
            rates.push(n as f64 / start.elapsed().as_secs_f64());
        }
        rates.sort_by(f64::total_cmp);
        r.texts_per_s[kind] = rates[rates.len() / 2];
    }
    r
}

fn print_tables(data: &[TestSet], results: &[Results]) {
    let names: Vec<&str> = results.iter().map(|r| r.name).collect();
    println!("accuracy, {} (per cent right)\n", names.join(" / "));
    print!("| lang |");
    for (_, title) in KINDS {
        print!(" {title} |");
    }
    println!("\n|------|{}", "---:|".repeat(KINDS.len()));
    for lang in DEFAULT_LANGUAGES {
        print!("| {lang:<4} |");
        for kind in 0..KINDS.len() {
            let cell = data
                .iter()
                .position(|s| s.lang == lang && s.kind == kind)
                .map(|i| {
                    let n = data[i].texts.len();
                    results
                        .iter()
                        .map(|r| {
                            let right = pct(r.right_per_set[i], n);
                            if GROUPS.iter().any(|g| g.contains(&lang)) {
                                let exact = pct(r.exact_per_set[i], n);
                                format!("{right:.1} ({exact:.1} exact)")
                            } else {
                                format!("{right:.1}")
                            }
                        })
                        .collect::<Vec<_>>()
                        .join(" / ")
                })
                .unwrap_or_else(|| "-".into());
            print!(" {cell} |");
        }
        println!();
    }
    print!("| **all** |");
    for kind in 0..KINDS.len() {
        let cell = results
            .iter()
            .map(|r| format!("**{:.2}**", pct(r.right[kind], r.texts[kind])))
            .collect::<Vec<_>>()
            .join(" / ");
        print!(" {cell} |");
    }
    println!();
    print!("| **first twelve** |");
    for kind in 0..KINDS.len() {
        let cell = results
            .iter()
            .map(|r| {
                let (right, n) = data
                    .iter()
                    .enumerate()
                    .filter(|(_, s)| s.kind == kind && FIRST_TWELVE.contains(&s.lang))
                    .fold((0, 0), |(right, n), (i, s)| {
                        (right + r.right_per_set[i], n + s.texts.len())
                    });
                format!("{:.2}", pct(right, n))
            })
            .collect::<Vec<_>>()
            .join(" / ");
        print!(" {cell} |");
    }
    println!();

    println!("\nthroughput, one thread, texts/s (median of the timed passes)\n");
    println!("| detector | passes | sentences | word pairs | single words |");
    println!("|---|---:|---:|---:|---:|");
    for r in results {
        let passes = if r.name == "newshound" { PASSES } else { 1 };
        println!(
            "| {} | {passes} | {:.0} | {:.0} | {:.0} |",
            r.name, r.texts_per_s[0], r.texts_per_s[1], r.texts_per_s[2]
        );
    }
}

/// Languages that are not enabled: how often each got an enabled code that
/// is not its own group (it should get `unknown`).
fn print_others(data: &[TestSet], r: &Results) {
    if data.is_empty() {
        return;
    }
    println!("\nlanguages not enabled: per cent given a wrong enabled code\n");
    println!("| lang | sentences | word pairs | single words |");
    println!("|------|---:|---:|---:|");
    let mut langs: Vec<&str> = data.iter().map(|s| s.lang).collect();
    langs.dedup();
    for lang in langs {
        print!("| {lang:<4} |");
        for kind in 0..KINDS.len() {
            match data.iter().position(|s| s.lang == lang && s.kind == kind) {
                Some(i) => print!(" {:.1} |", pct(r.right_per_set[i], data[i].texts.len())),
                None => print!(" - |"),
            }
        }
        println!();
    }
    print!("| **all** |");
    for kind in 0..KINDS.len() {
        print!(" **{:.2}** |", pct(r.right[kind], r.texts[kind]));
    }
    println!();
}

/// The languages of the first release, whose figures must not regress.
const FIRST_TWELVE: [&str; 12] = [
    "en", "pl", "de", "fr", "es", "it", "nl", "cs", "ru", "uk", "zh", "ja",
];

fn pct(part: usize, whole: usize) -> f64 {
    if whole == 0 {
        0.0
    } else {
        100.0 * part as f64 / whole as f64
    }
}

fn percent(part: usize, whole: usize) -> String {
    format!("{:.1} %", pct(part, whole))
}

/// A `Vm*:` or `Rss*:` line of /proc/self/status, in KiB (0 where there is no /proc).
fn proc_status_kib(field: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix(field))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        })
        .unwrap_or(0)
}

/// The whatlang language for an ISO 639-1 code, through lingua's ISO 639-3
/// code (whatlang names Persian and Chinese by their main variety);
/// `None` for a language whatlang lacks (nn, bs).
fn whatlang_lang(code: &str) -> Option<whatlang::Lang> {
    let iso3 = match code {
        "fa" => "pes".to_string(),
        "zh" => "cmn".to_string(),
        _ => lingua_lang(code)?.iso_code_639_3().to_string(),
    };
    whatlang::Lang::from_code(iso3)
}

fn whatlang_code(lang: whatlang::Lang) -> &'static str {
    DEFAULT_LANGUAGES
        .iter()
        .copied()
        .find(|c| whatlang_lang(c) == Some(lang))
        .unwrap_or("")
}

fn lingua_lang(code: &str) -> Option<lingua::Language> {
    let iso: lingua::IsoCode639_1 = code.parse().ok()?;
    Some(lingua::Language::from_iso_code_639_1(&iso))
}
