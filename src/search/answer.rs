//! Answering a query: the hits in force on a date, their snippets and counts per manual,
//! with typo tolerance when few are found; recent answers kept per index generation.

use super::*;

/// Fewer hits than this and typo tolerance is tried.
const FEW_HITS: usize = 3;
/// Longest snippet, in characters.
const SNIPPET_CHARS: usize = 220;

impl SearchIndex {
    /// Searches the chapters in force on `request.at`.
    pub fn search(&self, request: &SearchRequest) -> Result<SearchResults, SearchError> {
        let user = UserQuery::parse(&request.query);
        if user.is_empty() {
            return Err(SearchError::EmptyQuery);
        }
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
            return Ok(hit.clone());
        }
        let results = self.search_uncached(&searcher, user, request, limit)?;
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
        let at = schema::day(request.at);
        let in_force: Vec<(Occur, Box<dyn Query>)> = vec![
            (
                Occur::Must,
                Box::new(RangeQuery::new(
                    Bound::Unbounded,
                    Bound::Included(Term::from_field_i64(self.fields.from, at)),
                )),
            ),
            (
                Occur::Must,
                Box::new(RangeQuery::new(
                    Bound::Excluded(Term::from_field_i64(self.fields.to, at)),
                    Bound::Unbounded,
                )),
            ),
        ];
        let filtered = |text: Box<dyn Query>, manual: Option<&ManualId>| -> BooleanQuery {
            let mut clauses: Vec<(Occur, Box<dyn Query>)> = vec![(Occur::Must, text)];
            clauses.extend(in_force.iter().map(|(o, q)| (*o, q.box_clone())));
            if let Some(m) = manual {
                let term = Term::from_field_text(self.fields.manual, m.as_str());
                clauses.push((
                    Occur::Must,
                    Box::new(TermQuery::new(term, IndexRecordOption::Basic)),
                ));
            }
            BooleanQuery::new(clauses)
        };

        // One pass gives the count, the top hits and, without a manual filter, the counts
        // per manual too. Typo tolerance reruns it only when the exact words found little.
        let run = |text: &dyn Query| -> Result<Pass, SearchError> {
            let facets_collector = || {
                let mut c = FacetCollector::for_field("manual_facet");
                c.add_facet("/");
                c
            };
            let top = TopDocs::with_limit(limit).order_by_score();
            let query = filtered(text.box_clone(), request.manual.as_ref());
            let (hits, total, facets) = if request.manual.is_none() {
                searcher.search(&query, &(top, Count, facets_collector()))?
            } else {
                let (hits, total) = searcher.search(&query, &(top, Count))?;
                let facets =
                    searcher.search(&filtered(text.box_clone(), None), &facets_collector())?;
                (hits, total, facets)
            };
            let facets = facets
                .get("/")
                .map(|(facet, count)| (facet.to_path().join("/"), count))
                .collect();
            Ok(Pass {
                hits,
                total,
                facets,
            })
        };
        let mut text = builder.text_query(&user, &[]);
        let mut pass = run(&*text)?;
        let mut fuzzy = false;
        if pass.total < FEW_HITS || builder.has_unknown_words(&user) {
            let corrections = builder.corrections(&user)?;
            if !corrections.is_empty() {
                let tolerant = builder.text_query(&user, &corrections);
                let tolerant_pass = run(&*tolerant)?;
                if tolerant_pass.total >= pass.total {
                    text = tolerant;
                    pass = tolerant_pass;
                    fuzzy = true;
                }
            }
        }

        let highlighted = builder.highlighted(&user, &*text);
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
            let passage = best_paragraphs(body, &stems);
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
            hits,
            facets,
            fuzzy,
            at: request.at,
        })
    }
}

/// One search's raw results.
struct Pass {
    hits: Vec<(f32, tantivy::DocAddress)>,
    total: usize,
    facets: BTreeMap<String, u64>,
}

/// The paragraphs of a body most likely to hold the best passage: those where the query's
/// stems occur most (as substrings of the lower-cased text), kept in their order. The
/// snippet generator, which stems every word it reads, then works on a few paragraphs
/// rather than on the whole chapter.
fn best_paragraphs(body: &str, stems: &[String]) -> String {
    const KEEP: usize = 3;
    if stems.is_empty() {
        return String::new();
    }
    let mut scored: Vec<(usize, usize)> = body
        .lines()
        .enumerate()
        .filter_map(|(i, line)| {
            let lower = line.to_lowercase();
            let hits: usize = stems
                .iter()
                .map(|s| lower.matches(s.as_str()).count())
                .sum();
            (hits > 0).then_some((hits, i))
        })
        .collect();
    scored.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    let mut keep: Vec<usize> = scored.into_iter().take(KEEP).map(|(_, i)| i).collect();
    keep.sort_unstable();
    let lines: Vec<&str> = body.lines().collect();
    keep.into_iter()
        .map(|i| lines[i])
        .collect::<Vec<_>>()
        .join("\n")
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

/// Recent answers of one searcher generation: a commit makes every answer stale, so they
/// all go when a newer generation's first answer is kept.
pub(super) struct Answers {
    generation: u64,
    kept: lru::LruCache<ResultKey, SearchResults>,
}

impl Answers {
    pub(super) fn new(entries: std::num::NonZeroUsize) -> Answers {
        Answers {
            generation: 0,
            kept: lru::LruCache::new(entries),
        }
    }

    fn get(&mut self, generation: u64, key: &ResultKey) -> Option<&SearchResults> {
        if generation != self.generation {
            return None;
        }
        self.kept.get(key)
    }

    /// Keeps an answer; one found by an older searcher than the kept ones is not kept.
    fn put(&mut self, generation: u64, key: ResultKey, results: SearchResults) {
        if generation < self.generation {
            return;
        }
        if generation > self.generation {
            self.kept.clear();
            self.generation = generation;
        }
        self.kept.put(key, results);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(query: &str) -> (ResultKey, SearchResults) {
        let at = NaiveDate::from_ymd_opt(2026, 1, 1).unwrap();
        let results = SearchResults {
            query: query.to_owned(),
            total: 0,
            hits: Vec::new(),
            facets: BTreeMap::new(),
            fuzzy: false,
            at,
        };
        ((query.to_owned(), None, at, 10), results)
    }

    #[test]
    fn answers_of_an_older_generation_are_let_go_and_never_served() {
        let mut answers = Answers::new(std::num::NonZeroUsize::new(8).unwrap());
        let (lado, lado_results) = answer("lado");
        let (mash, mash_results) = answer("mash");
        answers.put(1, lado.clone(), lado_results.clone());
        assert!(answers.get(1, &lado).is_some());
        answers.put(2, mash.clone(), mash_results);
        assert_eq!(
            answers.kept.len(),
            1,
            "the first generation's answer is let go"
        );
        assert!(answers.get(2, &lado).is_none());
        assert!(
            answers.get(1, &mash).is_none(),
            "an older searcher is not served newer answers"
        );
        // A search that began before the commit does not bring its answer back.
        answers.put(1, lado.clone(), lado_results);
        assert!(answers.get(2, &lado).is_none());
        assert_eq!(answers.kept.len(), 1);
    }
}
