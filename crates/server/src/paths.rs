//! Routes match case-insensitively on their literal segments, as ASP.NET's do: Keepnet's UI calls
//! `/api/roleswithAvailable` and a client may call `/api/Companies/my` (CONTRACT.md, rulings of
//! 2026-12-05). Resource ids in paths stay case-sensitive.
//!
//! axum's router is case-sensitive and a layer on it runs after routing, so [`Canonical`]
//! rewrites the path before the router sees it: each literal segment takes the spelling of the
//! route template it matches, and parameter segments are left as sent.

use axum::extract::Request;
use axum::http::uri::{PathAndQuery, Uri};

/// One segment of a route template.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Segment {
    Literal(String),
    Param,
}

/// The route templates of the service, for spelling request paths the way the router expects.
#[derive(Debug, Clone, Default)]
pub struct Canonical {
    templates: Vec<Vec<Segment>>,
}

impl Canonical {
    /// From route templates such as `/api/companies/{resourceId}`.
    pub fn new<'a>(templates: impl IntoIterator<Item = &'a str>) -> Self {
        let templates = templates
            .into_iter()
            .map(|t| {
                segments(t)
                    .map(|s| {
                        if s.starts_with('{') && s.ends_with('}') {
                            Segment::Param
                        } else {
                            Segment::Literal(s.to_owned())
                        }
                    })
                    .collect()
            })
            .collect();
        Canonical { templates }
    }

    /// The path spelled as the best-matching template spells it, or `None` when it needs no
    /// change (already exact, or no template matches: the router's fallback answers then).
    ///
    /// Where several templates match, the one with the most literal segments wins, as literals
    /// outrank parameters in ASP.NET's routing: `/api/Companies/MY` is `companies/my`, not a
    /// company whose id is `MY` (resource ids are 12 letters and digits, never such a word).
    pub fn rewrite(&self, path: &str) -> Option<String> {
        let sent: Vec<&str> = segments(path).collect();
        let mut best: Option<(&[Segment], usize)> = None;
        for template in &self.templates {
            if template.len() != sent.len() {
                continue;
            }
            let mut literals = 0;
            let matches = template.iter().zip(&sent).all(|(t, s)| match t {
                Segment::Param => true,
                Segment::Literal(l) => {
                    literals += 1;
                    l.eq_ignore_ascii_case(s)
                }
            });
            if matches && best.is_none_or(|(_, n)| literals > n) {
                best = Some((template, literals));
            }
        }
        let (template, _) = best?;
        let mut out = String::with_capacity(path.len());
        for (t, s) in template.iter().zip(&sent) {
            out.push('/');
            out.push_str(match t {
                Segment::Literal(l) => l,
                Segment::Param => s,
            });
        }
        if path.ends_with('/') && !out.ends_with('/') {
            out.push('/');
        }
        (out != path).then_some(out)
    }

    /// Rewrites `request`'s path in place (query string kept).
    pub fn apply(&self, mut request: Request) -> Request {
        let Some(path) = self.rewrite(request.uri().path()) else {
            return request;
        };
        let with_query = match request.uri().query() {
            Some(q) => format!("{path}?{q}"),
            None => path,
        };
        // The new path is made of the old one's segments and the templates' ASCII literals,
        // so it always parses; should it not, the request goes on unchanged.
        if let Ok(pq) = with_query.parse::<PathAndQuery>() {
            let mut parts = request.uri().clone().into_parts();
            parts.path_and_query = Some(pq);
            if let Ok(uri) = Uri::from_parts(parts) {
                *request.uri_mut() = uri;
            }
        }
        request
    }
}

/// The non-empty segments of a path.
fn segments(path: &str) -> impl Iterator<Item = &str> {
    path.split('/').filter(|s| !s.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table() -> Canonical {
        Canonical::new([
            "/api/companies/my",
            "/api/companies/{resourceId}",
            "/api/roleswithavailable",
            "/api/target-users/{resourceId}",
            "/connect/token",
        ])
    }

    #[test]
    fn literal_segments_take_the_templates_spelling_and_ids_keep_their_case() {
        let t = table();
        for (sent, want) in [
            ("/api/roleswithAvailable", Some("/api/roleswithavailable")),
            ("/API/Companies/MY", Some("/api/companies/my")),
            ("/Connect/Token", Some("/connect/token")),
            (
                "/API/Target-Users/AbCdEf012345",
                Some("/api/target-users/AbCdEf012345"),
            ),
            // literals outrank parameters, as in ASP.NET
            ("/api/companies/My", Some("/api/companies/my")),
            // already spelled as the route: no change
            ("/api/companies/AbCdEf012345", None),
            // no route: left to the fallback
            ("/api/nothing-here", None),
            ("/api/companies/my/extra", None),
            ("/", None),
        ] {
            assert_eq!(t.rewrite(sent).as_deref(), want, "{sent}");
        }
    }
}
