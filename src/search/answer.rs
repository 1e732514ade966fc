//! Answering a query: the hits in force on a date, their snippets and counts per manual,
//! with typo tolerance when few are found.

use super::*;
use collect::Pass;

/// Fewer hits than this and typo tolerance is tried.
const FEW_HITS: usize = 3;
/// Longest snippet, in characters.
const SNIPPET_CHARS: usize = 220;
/// Longest passage of one paragraph handed to the snippet generator, in bytes.
const WINDOW_BYTES: usize = SNIPPET_CHARS + 120;
/// How much of a long body is looked through for the passage, in bytes, first.
const SCANNED_BYTES: usize = 16 * 1024;

impl SearchIndex {
    /// Searches the chapters in force on `request.at`.
    pub fn search(&self, request: &SearchRequest) -> Result<SearchResults, SearchError> {
        let user = UserQuery::parse(&request.query);
        if user.is_empty() {
            return Err(SearchError::EmptyQuery);
        }
        let started = std::time::Instant::now();
        let limit = request.limit.clamp(1, MAX_LIMIT);
        let searcher = self.reader.searcher();
        self.follow(&searcher);
        // The same question of the same index has the same answer: practitioners ask the
        // same few things (LADO, MASH, s47 ...) all day.
        let generation = searcher.generation().generation_id();
        let key = (
            user.text.clone(),
            request.manual.as_ref().map(ToString::to_string),
            request.at,
            limit,
        );
        if let Some(cache) = &self.results
            && let Some(hit) = cache
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .get(generation, &key)
        {
            metrics::counter!("chapterhouse_searches_total", "answer" => "cached").increment(1);
            metrics::histogram!("chapterhouse_search_duration_seconds", "answer" => "cached")
                .record(started.elapsed());
            return Ok(hit.clone());
        }
        let results = self.search_uncached(&searcher, user, request, limit)?;
        metrics::counter!("chapterhouse_searches_total", "answer" => "searched").increment(1);
        metrics::histogram!("chapterhouse_search_duration_seconds", "answer" => "searched")
            .record(started.elapsed());
        if let Some(cache) = &self.results {
            cache
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .put(generation, key, results.clone());
        }
        Ok(results)
    }

    fn search_uncached(
        &self,
        searcher: &tantivy::Searcher,
        user: UserQuery,
        request: &SearchRequest,
        limit: usize,
    ) -> Result<SearchResults, SearchError> {
        let builder = QueryBuilder {
            index: &self.index,
            fields: &self.fields,
            glossary: &self.glossary,
            searcher,
        };
        let day = schema::day(request.at);
        let manual = request.manual.as_ref().map(ManualId::as_str);
        let run = |text: &TextQuery| -> Result<Pass, SearchError> {
            Ok(collect::run(
                searcher,
                &self.filters,
                text,
                day,
                manual,
                limit,
            )?)
        };
        let mut text = builder.text_query(&user, &[], false);
        let mut pass = run(&text)?;
        // Too few to fill the page: a glossary form's words found apart count too.
        let mut loose = false;
        if pass.total < limit {
            let apart = builder.loose_clauses(&user);
            if !apart.is_empty() {
                text.others.extend(apart);
                pass = run(&text)?;
                loose = true;
            }
        }
        let mut fuzzy = false;
        if pass.total < FEW_HITS || builder.has_unknown_words(&user) {
            let corrections = builder.corrections(&user)?;
            if !corrections.is_empty() {
                let tolerant = builder.text_query(&user, &corrections, loose);
                let tolerant_pass = run(&tolerant)?;
                if tolerant_pass.total >= pass.total {
                    text = tolerant;
                    pass = tolerant_pass;
                    fuzzy = true;
                }
            }
        }

        let highlighted = builder.highlighted(&user, &text.whole());
        let mut snippets = SnippetGenerator::create(searcher, &*highlighted, self.fields.body)?;
        snippets.set_max_num_chars(SNIPPET_CHARS);
        let mut stems = Vec::new();
        highlighted.query_terms(&mut |term, _| {
            if term.field() == self.fields.body
                && let Some(t) = term.value().as_str()
            {
                stems.push(t.to_owned());
            }
        });
        let finder = Stems::new(&stems);
        let indexed = self
            .indexed
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        let mut hits = Vec::with_capacity(pass.hits.len());
        for (score, address) in pass.hits {
            let doc: TantivyDocument = searcher.doc(address)?;
            let field = |f| {
                doc.get_first(f)
                    .and_then(|v| v.as_str())
                    .unwrap_or_default()
            };
            let body = field(self.fields.body);
            let passage = best_paragraphs(body, &finder);
            let mut snippet = snippets.snippet(&passage);
            snippet.set_snippet_prefix_postfix("<mark>", "</mark>");
            let html = if snippet.fragment().trim().is_empty() {
                opening_words(body)
            } else {
                snippet.to_html()
            };
            hits.push(Hit {
                manual: field(self.fields.manual).to_owned(),
                id: field(self.fields.id).to_owned(),
                title: field(self.fields.title).to_owned(),
                release: indexed
                    .release_at(field(self.fields.manual), request.at)
                    .map(str::to_owned),
                score,
                snippet: html.split_whitespace().collect::<Vec<_>>().join(" "),
            });
        }
        let (total, facets) = (pass.total, pass.facets);
        Ok(SearchResults {
            query: user.text,
            total,
            more: pass.more,
            hits,
            facets,
            fuzzy,
            at: request.at,
        })
    }
}

/// The query's stems, found in a body in one pass: as substrings, in lower case, capitalised
/// or in capitals.
pub(super) struct Stems(Option<aho_corasick::AhoCorasick>);

impl Stems {
    pub(super) fn new(stems: &[String]) -> Stems {
        // Each stem as written in lower case, capitalised and in capitals: a set of plain
        // patterns, which the searcher scans for with SIMD (ASCII case folding would rule
        // that out, and costs several times more over long bodies).
        let mut patterns: Vec<String> = Vec::new();
        for stem in stems.iter().filter(|s| !s.is_empty()) {
            let mut chars = stem.chars();
            let capitalised: String = chars
                .next()
                .map(|c| c.to_uppercase().chain(chars).collect())
                .unwrap_or_default();
            for form in [stem.clone(), capitalised, stem.to_uppercase()] {
                if !patterns.contains(&form) {
                    patterns.push(form);
                }
            }
        }
        let finder = aho_corasick::AhoCorasick::builder()
            .match_kind(aho_corasick::MatchKind::LeftmostLongest)
            // Built for one query and a few bodies: a DFA would cost more to build than
            // it saves (the patterns are found by the SIMD prefilter either way).
            .kind(Some(aho_corasick::AhoCorasickKind::ContiguousNFA))
            .build(&patterns)
            .ok()
            .filter(|f| f.patterns_len() > 0);
        Stems(finder)
    }
}

/// The paragraphs of a body most likely to hold the best passage: those where the query's
/// stems occur most (as substrings, whatever their case), kept in their order, each cut
/// to a window around its first stem. The snippet generator, which stems every word it
/// reads, then works on one short passage rather than on the whole chapter. Only the
/// first [`SCANNED_BYTES`] of a long body are read, unless they hold no stem.
fn best_paragraphs(body: &str, stems: &Stems) -> String {
    let Some(finder) = &stems.0 else {
        return String::new();
    };
    let mut head = body.len().min(SCANNED_BYTES);
    while !body.is_char_boundary(head) {
        head -= 1;
    }
    let found = best_lines(&body[..head], finder, 1);
    if found.is_empty() && head < body.len() {
        return best_lines(body, finder, 1);
    }
    found
}

/// The `keep` lines of `body` with the most stems, in their order, each cut to a window.
fn best_lines(body: &str, finder: &aho_corasick::AhoCorasick, keep: usize) -> String {
    // Where each line starts, and per line its count of stems and its first one.
    let starts: Vec<usize> = std::iter::once(0)
        .chain(body.match_indices('\n').map(|(i, _)| i + 1))
        .collect();
    let mut per_line: Vec<(usize, usize, usize)> = Vec::new(); // (line, hits, first)
    for found in finder.find_iter(body) {
        let line = starts.partition_point(|&s| s <= found.start()) - 1;
        match per_line.last_mut() {
            Some((l, hits, _)) if *l == line => *hits += 1,
            _ => per_line.push((line, 1, found.start())),
        }
    }
    per_line.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    per_line.truncate(keep);
    per_line.sort_unstable();
    per_line
        .into_iter()
        .map(|(line, _, first)| {
            let end = starts.get(line + 1).map_or(body.len(), |&s| s - 1);
            window(body, starts[line], end, first)
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// At most [`WINDOW_BYTES`] of `body[start..end]` around `first`, cut at char boundaries
/// and, where it can be, at spaces.
fn window(body: &str, start: usize, end: usize, first: usize) -> &str {
    let line = body[start..end].trim_end_matches('\r');
    if line.len() <= WINDOW_BYTES {
        return line;
    }
    let at = first - start;
    let mut from = at.saturating_sub(WINDOW_BYTES / 4);
    while !line.is_char_boundary(from) {
        from -= 1;
    }
    if let Some(space) = line[..from].rfind(' ').filter(|s| from - s < 40) {
        from = space + 1;
    }
    let mut to = (from + WINDOW_BYTES).min(line.len());
    while !line.is_char_boundary(to) {
        to -= 1;
    }
    if let Some(space) = line[from..to].rfind(' ').filter(|s| to - (from + s) < 40) {
        to = from + space;
    }
    &line[from..to]
}

/// The first words of a text, HTML-escaped, for a hit matched only by its title.
fn opening_words(text: &str) -> String {
    let mut out = String::new();
    for word in text.split_whitespace() {
        if out.len() + word.len() > SNIPPET_CHARS {
            out.push_str(" …");
            break;
        }
        if !out.is_empty() {
            out.push(' ');
        }
        for c in word.chars() {
            match c {
                '<' => out.push_str("&lt;"),
                '>' => out.push_str("&gt;"),
                '&' => out.push_str("&amp;"),
                '"' => out.push_str("&quot;"),
                '\'' => out.push_str("&#39;"),
                c => out.push(c),
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_line_with_most_stems_is_kept_and_a_long_one_cut_around_its_first_stem() {
        let stems = Stems::new(&["bruis".to_owned(), "child".to_owned()]);
        let body = "Nothing here.\nA child with BRUISES, a child.\nOne child.";
        assert_eq!(
            best_paragraphs(body, &stems),
            "A child with BRUISES, a child."
        );
        let long = format!(
            "{} Bruising on a baby, a child, a child. {}",
            "word ".repeat(400),
            "more ".repeat(400)
        );
        let body = format!("One child.\n{long}\nAnother child.");
        let passage = best_paragraphs(&body, &stems);
        assert!(passage.contains("Bruising on a baby"), "{passage}");
        assert!(passage.len() <= WINDOW_BYTES, "{}", passage.len());
        assert!(!passage.starts_with(' ') && !passage.ends_with(' '));
        assert_eq!(best_paragraphs(&body, &Stems::new(&[])), "");
        // Past the bytes read first, a stem is still found when the start has none.
        let late = format!("{}\nThe child.", "word ".repeat(SCANNED_BYTES / 4));
        assert_eq!(best_paragraphs(&late, &stems), "The child.");
        // Cutting never splits a character.
        let accents = format!("{}child{}", "é".repeat(800), "ü".repeat(800));
        assert!(best_paragraphs(&accents, &stems).contains("child"));
    }
}
