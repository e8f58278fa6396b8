//! The repository stands alone: every link of the README, the changelog and `docs/` leads to a
//! file of the repository (or the web), and every `#anchor` to a heading of its page; the guides'
//! example webhook bodies are what the document describes.

use std::path::{Path, PathBuf};

use relais_domain::Coded;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the repository")
        .canonicalize()
        .expect("a readable repository")
}

/// The targets of the Markdown links `[text](target)` of `text`, outside code blocks.
fn links(text: &str) -> Vec<String> {
    let mut found = Vec::new();
    let mut in_code = false;
    for line in text.lines() {
        if line.trim_start().starts_with("```") {
            in_code = !in_code;
            continue;
        }
        if in_code {
            continue;
        }
        let mut rest = line;
        while let Some(start) = rest.find("](") {
            let after = &rest[start + 2..];
            let Some(end) = after.find(')') else { break };
            found.push(after[..end].to_owned());
            rest = &after[end..];
        }
    }
    found
}

/// GitHub's anchor of a heading: lower case, spaces to `-`, punctuation dropped.
fn anchor(heading: &str) -> String {
    heading
        .trim()
        .to_lowercase()
        .chars()
        .filter_map(|c| match c {
            ' ' => Some('-'),
            c if c.is_alphanumeric() || c == '-' || c == '_' => Some(c),
            _ => None,
        })
        .collect()
}

fn anchors(text: &str) -> Vec<String> {
    text.lines()
        .filter(|line| line.starts_with('#'))
        .map(|line| anchor(line.trim_start_matches('#')))
        .collect()
}

#[test]
fn every_link_of_the_documentation_stays_in_the_repository_and_resolves() {
    let root = root();
    let mut pages = vec![root.join("README.md"), root.join("CHANGELOG.md")];
    for entry in std::fs::read_dir(root.join("docs")).expect("docs/") {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "md") {
            pages.push(path);
        }
    }
    assert!(pages.len() >= 8, "{pages:?}");
    let mut broken = Vec::new();
    for page in &pages {
        let text = std::fs::read_to_string(page).expect("a readable page");
        let shown = page.strip_prefix(&root).unwrap().display().to_string();
        for link in links(&text) {
            if link.starts_with("http://")
                || link.starts_with("https://")
                || link.starts_with("mailto:")
            {
                continue;
            }
            let (file, fragment) = link.split_once('#').unwrap_or((&link, ""));
            let target = if file.is_empty() {
                page.clone()
            } else {
                match page.parent().unwrap().join(file).canonicalize() {
                    Ok(target) if target.starts_with(&root) => target,
                    Ok(_) => {
                        broken.push(format!("{shown}: {link} leaves the repository"));
                        continue;
                    }
                    Err(_) => {
                        broken.push(format!("{shown}: {link} does not exist"));
                        continue;
                    }
                }
            };
            if !fragment.is_empty() && target.extension().is_some_and(|e| e == "md") {
                let headings = anchors(&std::fs::read_to_string(&target).unwrap());
                if !headings.iter().any(|h| h == fragment) {
                    broken.push(format!("{shown}: {link}: no such heading"));
                }
            }
        }
    }
    assert!(broken.is_empty(), "{broken:#?}");
}

#[test]
fn the_link_finder_sees_links_and_skips_code() {
    let text = "See [a](docs/a.md#x) and [b](../outside.md).\n```sh\n[c](ignored)\n```\n";
    assert_eq!(links(text), ["docs/a.md#x", "../outside.md"]);
    assert_eq!(
        anchor(" Run it: the `relais` command!"),
        "run-it-the-relais-command"
    );
}

/// The examples of a guide: each `#### \`name\`` heading and the JSON block under it.
fn examples(text: &str) -> Vec<(String, serde_json::Value)> {
    let mut found = Vec::new();
    let mut name: Option<String> = None;
    let mut block: Option<String> = None;
    for line in text.lines() {
        if let Some(body) = block.as_mut() {
            if line.trim_start().starts_with("```") {
                let value = serde_json::from_str(body)
                    .unwrap_or_else(|e| panic!("the example of {name:?} is not JSON: {e}"));
                found.push((name.take().unwrap_or_default(), value));
                block = None;
            } else {
                body.push_str(line);
                body.push('\n');
            }
        } else if let Some(heading) = line.strip_prefix("#### `") {
            name = heading.strip_suffix('`').map(str::to_owned);
        } else if name.is_some() && line.trim() == "```json" {
            block = Some(String::new());
        }
    }
    found
}

#[test]
fn every_event_has_an_example_body_the_document_accepts() {
    let guide = std::fs::read_to_string(root().join("docs/integrator-guide.md")).unwrap();
    let found = examples(&guide);
    let names: Vec<&str> = found.iter().map(|(name, _)| name.as_str()).collect();
    let types: Vec<&str> = relais_domain::EventType::ALL
        .iter()
        .map(|t| t.code())
        .collect();
    assert_eq!(
        names, types,
        "one example per event type, in the list's order"
    );
    for (name, body) in &found {
        assert_eq!(body["type"], name.as_str());
        relais_tests::assert_conforms("EventWebhook", body);
    }
    // The partners' webhooks, the same way.
    let guide = std::fs::read_to_string(root().join("docs/partner-guide.md")).unwrap();
    let found = examples(&guide);
    let names: Vec<&str> = found.iter().map(|(name, _)| name.as_str()).collect();
    let types: Vec<&str> = relais_domain::WebhookEvent::ALL
        .iter()
        .map(|t| t.code())
        .collect();
    assert_eq!(names, types, "one example per partner webhook");
    for (name, body) in &found {
        assert_eq!(body["type"], name.as_str());
        relais_tests::assert_conforms("WebhookPayload", body);
    }
}

/// The README shows a sample of every document Relais prints, drawn by
/// `scripts/document-samples.sh`: each image is there and is a PNG.
#[test]
fn the_readme_shows_a_sample_of_each_document() {
    let root = root();
    let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
    for name in [
        "written-plan",
        "social-report",
        "letter",
        "liaison-sheet",
        "access-record",
    ] {
        let path = format!("docs/documents/{name}.png");
        assert!(
            readme.contains(&format!("![{}]({path})", name.replace('-', " "))),
            "the README shows no {path}"
        );
        let image = std::fs::read(root.join(&path)).unwrap();
        assert!(
            image.starts_with(b"\x89PNG\r\n\x1a\n"),
            "{path} is not a PNG"
        );
    }
}
