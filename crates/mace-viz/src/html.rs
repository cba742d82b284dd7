//! The report of a results folder (a run or a benchmark): one self-contained HTML page with its
//! Markdown tables, a key/value summary of each JSON record, and every PNG picture embedded as a
//! `data:` URI, so the page can be mailed or archived alone. [`build_report`] returns the page;
//! the caller writes it (e.g. with [`mace_core::fs::write_file`]).

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use base64::Engine as _;
use mace_core::fs::{read_file, read_text, FileError, TEXT_LIMIT};

use crate::error::{Error, Result};

/// Folder levels searched below `DIR`.
const MAX_DEPTH: usize = 3;
/// Rows shown per JSON file.
const MAX_ROWS: usize = 80;
/// JSON files larger than this are listed but not summarised, bytes.
const MAX_JSON_BYTES: u64 = 32 << 20;
/// Pictures larger than this are not embedded (an error), bytes.
const MAX_PNG_BYTES: u64 = 256 << 20;

/// What the report found in a folder, paths relative to it, sorted.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Inventory {
    /// Markdown files (`*.md`).
    pub markdown: Vec<PathBuf>,
    /// JSON records (`*.json`).
    pub json: Vec<PathBuf>,
    /// Pictures (`*.png`).
    pub png: Vec<PathBuf>,
}

/// Lists the Markdown, JSON and PNG files under `dir` (up to three levels down; hidden entries
/// and temporary files skipped).
///
/// # Errors
/// [`Error::File`] ([`FileError::NotADir`]) if `dir` is not a folder, [`Error::Folder`] if a
/// folder cannot be listed.
pub fn inventory(dir: &Path) -> Result<Inventory> {
    if !dir.is_dir() {
        return Err(FileError::NotADir {
            path: dir.to_path_buf(),
        }
        .into());
    }
    let mut inv = Inventory::default();
    walk(dir, dir, 0, &mut inv)?;
    inv.markdown.sort();
    inv.json.sort();
    inv.png.sort();
    Ok(inv)
}

fn walk(root: &Path, dir: &Path, depth: usize, inv: &mut Inventory) -> Result<()> {
    let listing = |source| Error::Folder {
        path: dir.to_path_buf(),
        source,
    };
    for entry in std::fs::read_dir(dir).map_err(listing)? {
        let entry = entry.map_err(listing)?;
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if name.starts_with('.') || name.ends_with(".tmp") {
            continue;
        }
        let path = entry.path();
        let ty = entry.file_type().map_err(listing)?;
        if ty.is_dir() {
            if depth < MAX_DEPTH {
                walk(root, &path, depth + 1, inv)?;
            }
            continue;
        }
        let rel = path.strip_prefix(root).unwrap_or(&path).to_path_buf();
        match path
            .extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase)
            .as_deref()
        {
            Some("md") => inv.markdown.push(rel),
            Some("json") => inv.json.push(rel),
            Some("png") => inv.png.push(rel),
            _ => {}
        }
    }
    Ok(())
}

/// Escapes text for HTML.
pub(crate) fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Inline Markdown: `code` and **bold**, the rest escaped.
fn inline(s: &str) -> String {
    let mut out = String::new();
    for (i, part) in s.split('`').enumerate() {
        if i % 2 == 1 {
            let _ = write!(out, "<code>{}</code>", escape(part));
        } else {
            for (j, p) in escape(part).split("**").enumerate() {
                if j % 2 == 1 {
                    let _ = write!(out, "<strong>{p}</strong>");
                } else {
                    out.push_str(p);
                }
            }
        }
    }
    out
}

fn table_cells(line: &str) -> Vec<String> {
    let t = line.trim();
    let t = t.strip_prefix('|').unwrap_or(t);
    let t = t.strip_suffix('|').unwrap_or(t);
    t.split('|').map(|c| c.trim().to_string()).collect()
}

fn is_separator(line: &str) -> bool {
    let cells = table_cells(line);
    !cells.is_empty()
        && cells
            .iter()
            .all(|c| !c.is_empty() && c.chars().all(|ch| matches!(ch, '-' | ':' | ' ')))
}

/// A small Markdown subset as HTML: headings, pipe tables, bullet lists, code fences, paragraphs.
pub(crate) fn markdown_to_html(md: &str) -> String {
    let mut out = String::new();
    let lines: Vec<&str> = md.lines().collect();
    let mut i = 0;
    let mut para: Vec<&str> = Vec::new();
    let flush = |para: &mut Vec<&str>, out: &mut String| {
        if !para.is_empty() {
            let _ = writeln!(out, "<p>{}</p>", inline(&para.join(" ")));
            para.clear();
        }
    };
    while i < lines.len() {
        let line = lines[i];
        let t = line.trim();
        if t.starts_with("```") {
            flush(&mut para, &mut out);
            i += 1;
            let mut code = Vec::new();
            while i < lines.len() && !lines[i].trim().starts_with("```") {
                code.push(lines[i]);
                i += 1;
            }
            let _ = writeln!(out, "<pre>{}</pre>", escape(&code.join("\n")));
            i += 1;
        } else if t.starts_with('|') {
            flush(&mut para, &mut out);
            let mut rows = Vec::new();
            while i < lines.len() && lines[i].trim().starts_with('|') {
                rows.push(lines[i]);
                i += 1;
            }
            out.push_str("<table>\n");
            let header = rows.len() > 1 && is_separator(rows[1]);
            for (k, row) in rows.iter().enumerate() {
                if header && k == 1 {
                    continue;
                }
                let tag = if header && k == 0 { "th" } else { "td" };
                out.push_str("<tr>");
                for c in table_cells(row) {
                    let _ = write!(out, "<{tag}>{}</{tag}>", inline(&c));
                }
                out.push_str("</tr>\n");
            }
            out.push_str("</table>\n");
        } else if let Some(level) = t
            .strip_prefix('#')
            .map(|_| t.chars().take_while(|&c| c == '#').count())
        {
            flush(&mut para, &mut out);
            let h = (level + 2).min(6);
            let _ = writeln!(out, "<h{h}>{}</h{h}>", inline(t[level..].trim()));
            i += 1;
        } else if t.starts_with("- ") || t.starts_with("* ") {
            flush(&mut para, &mut out);
            out.push_str("<ul>\n");
            while i < lines.len() {
                let l = lines[i].trim();
                let Some(item) = l.strip_prefix("- ").or_else(|| l.strip_prefix("* ")) else {
                    break;
                };
                let _ = writeln!(out, "<li>{}</li>", inline(item));
                i += 1;
            }
            out.push_str("</ul>\n");
        } else if t.is_empty() {
            flush(&mut para, &mut out);
            i += 1;
        } else {
            para.push(t);
            i += 1;
        }
    }
    flush(&mut para, &mut out);
    out
}

fn format_number(n: &serde_json::Number) -> String {
    if n.is_i64() || n.is_u64() {
        return n.to_string();
    }
    let v = n.as_f64().unwrap_or(f64::NAN);
    if v == 0.0 {
        "0".into()
    } else if (1e-3..1e6).contains(&v.abs()) {
        // Five significant digits, trailing zeros dropped.
        let decimals = (4 - v.abs().log10().floor() as i32).clamp(0, 8) as usize;
        let s = format!("{v:.decimals$}");
        let s = s.trim_end_matches('0').trim_end_matches('.');
        s.to_string()
    } else {
        format!("{v:.3e}")
    }
}

fn scalar(v: &serde_json::Value) -> Option<String> {
    match v {
        serde_json::Value::Null => Some("null".into()),
        serde_json::Value::Bool(b) => Some(b.to_string()),
        serde_json::Value::Number(n) => Some(format_number(n)),
        serde_json::Value::String(s) => Some(s.clone()),
        _ => None,
    }
}

/// The key/value rows summarising a JSON value: scalars by dotted path (objects followed three
/// levels deep), short arrays of scalars inline, longer arrays by their length.
pub(crate) fn json_rows(v: &serde_json::Value) -> Vec<(String, String)> {
    let mut rows = Vec::new();
    flatten(v, "", 0, &mut rows);
    rows
}

fn flatten(v: &serde_json::Value, key: &str, depth: usize, rows: &mut Vec<(String, String)>) {
    match v {
        serde_json::Value::Object(o) => {
            if depth >= 3 {
                rows.push((key.to_string(), format!("{{{} keys}}", o.len())));
                return;
            }
            for (k, x) in o {
                let path = if key.is_empty() {
                    k.clone()
                } else {
                    format!("{key}.{k}")
                };
                flatten(x, &path, depth + 1, rows);
            }
        }
        serde_json::Value::Array(a) => {
            let items: Option<Vec<String>> = a.iter().map(scalar).collect();
            let text = match items {
                Some(items) if items.len() <= 8 => format!("[{}]", items.join(", ")),
                _ => format!("[{} items]", a.len()),
            };
            rows.push((key.to_string(), text));
        }
        other => rows.push((
            if key.is_empty() {
                "value".into()
            } else {
                key.to_string()
            },
            scalar(other).unwrap_or_default(),
        )),
    }
}

const STYLE: &str = "body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;margin:2em auto;max-width:1400px;padding:0 1em;color:#1e1e23;background:#fff}\
h1{font-size:1.6em}h2{font-size:1.25em;margin-top:2em;border-bottom:1px solid #ddd;padding-bottom:.2em}\
table{border-collapse:collapse;margin:.6em 0;font-size:.92em}th,td{border:1px solid #ccd;padding:.25em .6em;text-align:left}\
th{background:#eef1f6}td.num{text-align:right;font-variant-numeric:tabular-nums}pre{background:#f5f6f8;padding:.6em;overflow:auto}\
figure{margin:1em 0}figure img{max-width:100%;border:1px solid #ddd}figcaption{color:#555;font-size:.9em}\
.note{color:#666}code{background:#f3f3f6;padding:0 .2em}";

/// The self-contained HTML report of `dir` (see the module docs), as the page's text.
///
/// # Errors
/// As [`inventory`]; [`Error::File`] naming the file if a listed file cannot be read (a JSON
/// record too large to summarise or not valid JSON is noted in the page instead).
pub fn build_report(dir: &Path) -> Result<String> {
    let inv = inventory(dir)?;
    let name = dir
        .canonicalize()
        .ok()
        .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
        .unwrap_or_else(|| dir.display().to_string());
    let mut h = String::new();
    let _ = write!(
        h,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>MACE report: {t}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n\
         <h1>MACE report: {t}</h1>\n<p class=\"note\">{} table file(s), {} JSON record(s), {} picture(s); \
         written by <code>mace report</code>.</p>\n",
        inv.markdown.len(),
        inv.json.len(),
        inv.png.len(),
        t = escape(&name),
    );
    if inv.markdown.is_empty() && inv.json.is_empty() && inv.png.is_empty() {
        h.push_str("<p>No tables, records or pictures found in this folder.</p>\n");
    }
    if !inv.markdown.is_empty() {
        h.push_str("<h2>Tables</h2>\n");
        for rel in &inv.markdown {
            let text = read_text(&dir.join(rel), TEXT_LIMIT)?;
            let _ = writeln!(
                h,
                "<section>\n<h3>{}</h3>\n{}</section>",
                escape(&rel.display().to_string()),
                markdown_to_html(&text)
            );
        }
    }
    if !inv.json.is_empty() {
        h.push_str("<h2>Records</h2>\n");
        for rel in &inv.json {
            let path = dir.join(rel);
            let _ = writeln!(h, "<h3>{}</h3>", escape(&rel.display().to_string()));
            let text = match read_file(&path, MAX_JSON_BYTES) {
                Ok(text) => text,
                Err(FileError::TooLarge { size, .. }) => {
                    let _ = writeln!(
                        h,
                        "<p class=\"note\">{size} bytes: too large to summarise.</p>"
                    );
                    continue;
                }
                Err(e) => return Err(e.into()),
            };
            let value: serde_json::Value = match serde_json::from_slice(&text) {
                Ok(v) => v,
                Err(e) => {
                    let _ = writeln!(
                        h,
                        "<p class=\"note\">not valid JSON: {}</p>",
                        escape(&e.to_string())
                    );
                    continue;
                }
            };
            let rows = json_rows(&value);
            h.push_str("<table>\n<tr><th>key</th><th>value</th></tr>\n");
            for (k, v) in rows.iter().take(MAX_ROWS) {
                let num = v.parse::<f64>().is_ok();
                let _ = writeln!(
                    h,
                    "<tr><td><code>{}</code></td><td{}>{}</td></tr>",
                    escape(k),
                    if num { " class=\"num\"" } else { "" },
                    escape(v)
                );
            }
            h.push_str("</table>\n");
            if rows.len() > MAX_ROWS {
                let _ = writeln!(
                    h,
                    "<p class=\"note\">… and {} more entries.</p>",
                    rows.len() - MAX_ROWS
                );
            }
        }
    }
    if !inv.png.is_empty() {
        h.push_str("<h2>Pictures</h2>\n");
        for rel in &inv.png {
            let path = dir.join(rel);
            let bytes = read_file(&path, MAX_PNG_BYTES)?;
            let label = escape(&rel.display().to_string());
            let _ = writeln!(
                h,
                "<figure>\n<img alt=\"{label}\" src=\"data:image/png;base64,{}\">\n<figcaption>{label}</figcaption>\n</figure>",
                base64::engine::general_purpose::STANDARD.encode(&bytes)
            );
        }
    }
    h.push_str("</body>\n</html>\n");
    Ok(h)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markdown_tables_and_escaping() {
        let md = "# Table 1\n\nSome *text* <b>\n\n| model | score |\n|---|---:|\n| prior | 0.42 |\n| `x` | **1** |\n\n- a\n- b\n";
        let h = markdown_to_html(md);
        assert!(h.contains("<h3>Table 1</h3>"), "{h}");
        assert!(h.contains("<th>model</th><th>score</th>"), "{h}");
        assert!(h.contains("<td>prior</td><td>0.42</td>"), "{h}");
        assert!(
            h.contains("<code>x</code>") && h.contains("<strong>1</strong>"),
            "{h}"
        );
        assert!(h.contains("&lt;b&gt;"), "{h}");
        assert!(h.contains("<li>a</li>"), "{h}");
        assert!(!h.contains("---"), "{h}");
    }

    #[test]
    fn json_summary() {
        let v: serde_json::Value = serde_json::from_str(
            r#"{"scene":"wall","target":[0.43,0,0.56],"eval":{"mean_score":0.912345678,"n":1000},"it":[{"a":1},{"a":2}],"x":null}"#,
        )
        .unwrap();
        let rows = json_rows(&v);
        let get = |k: &str| rows.iter().find(|r| r.0 == k).map(|r| r.1.clone());
        assert_eq!(get("scene").as_deref(), Some("wall"));
        assert_eq!(get("target").as_deref(), Some("[0.43, 0, 0.56]"));
        assert_eq!(get("eval.mean_score").as_deref(), Some("0.91235"));
        assert_eq!(get("eval.n").as_deref(), Some("1000"));
        assert_eq!(get("it").as_deref(), Some("[2 items]"));
    }

    #[test]
    fn report_of_a_folder() {
        let dir = std::env::temp_dir().join(format!("mace-viz-report-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("run/.hidden")).unwrap();
        std::fs::write(dir.join("TABLE.md"), "| a | b |\n|---|---|\n| 1 | 2 |\n").unwrap();
        std::fs::write(dir.join("run/report.json"), r#"{"score": 0.5}"#).unwrap();
        std::fs::write(dir.join("run/bad.json"), "{not json").unwrap();
        std::fs::write(dir.join("run/.hidden/x.png"), b"skipped").unwrap();
        let mut pic = tiny_skia::Pixmap::new(3, 2).unwrap();
        pic.fill(tiny_skia::Color::BLACK);
        std::fs::write(dir.join("run/pic.png"), pic.encode_png().unwrap()).unwrap();
        let inv = inventory(&dir).unwrap();
        assert_eq!(inv.markdown, vec![PathBuf::from("TABLE.md")]);
        assert_eq!(
            inv.json,
            vec![
                PathBuf::from("run/bad.json"),
                PathBuf::from("run/report.json")
            ]
        );
        assert_eq!(inv.png, vec![PathBuf::from("run/pic.png")]);
        let page = build_report(&dir).unwrap();
        assert!(page.starts_with("<!DOCTYPE html>"), "{page}");
        assert!(page.contains("<td>1</td><td>2</td>"), "{page}");
        assert!(page.contains("<code>score</code>"), "{page}");
        assert!(page.contains("not valid JSON"), "{page}");
        assert!(page.contains("data:image/png;base64,"), "{page}");
        let e = inventory(&dir.join("TABLE.md")).unwrap_err();
        assert!(matches!(e, Error::File(FileError::NotADir { .. })), "{e}");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    mod props {
        //! The report's readers of what it finds in a folder (Markdown tables, JSON records)
        //! never panic on arbitrary text. `PROPTEST_CASES=1000000` for a long run.
        use super::super::*;
        use proptest::prelude::*;

        fn config() -> ProptestConfig {
            let cases = std::env::var("PROPTEST_CASES")
                .ok()
                .and_then(|v| v.parse().ok())
                .unwrap_or(500);
            ProptestConfig {
                cases,
                failure_persistence: None,
                ..ProptestConfig::default()
            }
        }

        proptest! {
            #![proptest_config(config())]

            #[test]
            fn markdown_of_any_text(text in "(\\PC|\\||\\n|-|`|\\*|#|<|>|&){0,300}") {
                let h = markdown_to_html(&text);
                prop_assert!(!h.contains("<script"));
            }

            #[test]
            fn json_records_of_any_bytes(b in prop::collection::vec(any::<u8>(), 0..300)) {
                if let Ok(v) = serde_json::from_slice::<serde_json::Value>(&b) {
                    let _ = json_rows(&v);
                }
            }

            #[test]
            fn json_records_of_any_shape(text in "[\\[\\]{}:,0-9a-z\"\\-. ]{0,200}") {
                if let Ok(v) = serde_json::from_str::<serde_json::Value>(&text) {
                    let _ = json_rows(&v);
                }
            }
        }
    }
}
