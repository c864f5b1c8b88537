//! Request parameters as cadc-rest `SyncInput` sees them: the query string plus an
//! `application/x-www-form-urlencoded` body, repeatable, first value wins for single reads.

use axum::body::Body;
use axum::extract::Request;
use axum::http::header;
use http_body_util::BodyExt;

#[derive(Debug, Default, Clone)]
pub struct Params {
    pairs: Vec<(String, String)>,
}

impl Params {
    /// Reads the query and, for form posts, the body (up to `max_body`; like Tomcat's
    /// `maxPostSize`, a larger body is ignored rather than failing the request).
    pub async fn read(req: Request, max_body: usize) -> (Params, axum::http::request::Parts) {
        let (parts, body) = req.into_parts();
        let mut pairs = Vec::new();
        if let Some(q) = parts.uri.query() {
            pairs.extend(form_urlencoded::parse(q.as_bytes()).into_owned());
        }
        let is_form = parts
            .headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| {
                v.trim_start()
                    .to_ascii_lowercase()
                    .starts_with("application/x-www-form-urlencoded")
            });
        if is_form {
            if let Some(bytes) = read_limited(body, max_body).await {
                pairs.extend(form_urlencoded::parse(&bytes).into_owned());
            }
        }
        (Params { pairs }, parts)
    }

    pub fn from_pairs(pairs: Vec<(String, String)>) -> Self {
        Self { pairs }
    }

    /// First value of `name` (`getParameter`).
    pub fn get(&self, name: &str) -> Option<&str> {
        self.pairs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// First value with text (`StringUtil.hasText`).
    pub fn text(&self, name: &str) -> Option<&str> {
        self.get(name).filter(|v| !v.trim().is_empty())
    }

    /// All values of `name` (`getParameters`).
    pub fn all(&self, name: &str) -> Vec<&str> {
        self.pairs
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .collect()
    }
}

async fn read_limited(body: Body, max: usize) -> Option<bytes::Bytes> {
    let limited = http_body_util::Limited::new(body, max);
    limited.collect().await.ok().map(|c| c.to_bytes())
}
