//! Accuracy, speed and memory of language detection on lingua's test sets.
//!
//! Job: run `newshound::lang::LanguageDetector` (the twelve default languages
//! enabled) over every line of `<dir>/<lang>/{sentences,word-pairs,single-words}.txt`
//! and print a Markdown table: accuracy per language and file kind, overall
//! accuracy per kind, single-thread throughput (median of three passes), and
//! the resident memory the detector adds. With `--compare` (or
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

    let data = load(&dir);
    let loaded = Memory::now();
    let total: usize = data.iter().map(|d| d.texts.len()).sum();
    println!(
        "language detection on {} ({total} texts, {} languages enabled)\n",
        dir.display(),
        DEFAULT_LANGUAGES.len()
    );

    let newshound = |text: &str| detector.detect(text, None).code;
    let mut results = vec![run("newshound", &data, PASSES, &newshound)];
    let ran = Memory::now();
    if compare {
        let whatlang = whatlang::Detector::with_allowlist(
            DEFAULT_LANGUAGES.iter().map(|c| whatlang_lang(c)).collect(),
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
        let langs: Vec<lingua::Language> =
            DEFAULT_LANGUAGES.iter().map(|c| lingua_lang(c)).collect();
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

fn load(dir: &Path) -> Vec<TestSet> {
    let mut sets = Vec::new();
    for lang in DEFAULT_LANGUAGES {
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
    right_per_set: Vec<usize>,
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
                        .map(|r| format!("{:.1}", pct(r.right_per_set[i], n)))
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

fn whatlang_lang(code: &str) -> whatlang::Lang {
    WHATLANG
        .iter()
        .find(|(c, _)| *c == code)
        .map(|(_, l)| *l)
        .expect("every default language is in WHATLANG")
}

fn whatlang_code(lang: whatlang::Lang) -> &'static str {
    WHATLANG
        .iter()
        .find(|(_, l)| *l == lang)
        .map(|(c, _)| *c)
        .unwrap_or("")
}

fn lingua_lang(code: &str) -> lingua::Language {
    let iso: lingua::IsoCode639_1 = code
        .parse()
        .expect("every default language has a lingua model (Cargo.toml features)");
    lingua::Language::from_iso_code_639_1(&iso)
}

/// The default languages in whatlang's ISO 639-3 terms.
const WHATLANG: [(&str, whatlang::Lang); 12] = [
    ("en", whatlang::Lang::Eng),
    ("pl", whatlang::Lang::Pol),
    ("de", whatlang::Lang::Deu),
    ("fr", whatlang::Lang::Fra),
    ("es", whatlang::Lang::Spa),
    ("it", whatlang::Lang::Ita),
    ("nl", whatlang::Lang::Nld),
    ("cs", whatlang::Lang::Ces),
    ("ru", whatlang::Lang::Rus),
    ("uk", whatlang::Lang::Ukr),
    ("zh", whatlang::Lang::Cmn),
    ("ja", whatlang::Lang::Jpn),
];
