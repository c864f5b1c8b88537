#![allow(dead_code, clippy::unwrap_used)]

use std::time::Duration;

use reqwest::{Client, RequestBuilder, Response};
use skyport_sim::{SimConfig, SimHandle};

pub const TOKEN: &str = "test-token-alice";
pub const BOB_TOKEN: &str = "test-token-bob";
pub const PUBLIC_IMAGE: &str = "images.canfar.net/skaha/astroml:latest";

/// A config with fixed tokens and no pending delay, for API tests.
pub fn fast_config() -> SimConfig {
    SimConfig {
        tokens: vec![
            (TOKEN.to_string(), "alice".to_string()),
            (BOB_TOKEN.to_string(), "bob".to_string()),
        ],
        pending_delay: Duration::ZERO,
        ..SimConfig::default()
    }
}

pub async fn start() -> Sim {
    start_with(fast_config()).await
}

pub async fn start_with(cfg: SimConfig) -> Sim {
    let handle = skyport_sim::start(cfg).await.unwrap();
    let client = Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    Sim { handle, client }
}

pub struct Sim {
    pub handle: SimHandle,
    pub client: Client,
}

impl Sim {
    pub fn api(&self, path: &str) -> String {
        format!("{}skaha/v1/{}", self.handle.base_url(), path)
    }
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.handle.base_url(), path.trim_start_matches('/'))
    }
    pub fn get(&self, path: &str) -> RequestBuilder {
        self.client.get(self.api(path)).bearer_auth(TOKEN)
    }
    pub fn post(&self, path: &str) -> RequestBuilder {
        self.client.post(self.api(path)).bearer_auth(TOKEN)
    }
    pub fn delete(&self, path: &str) -> RequestBuilder {
        self.client.delete(self.api(path)).bearer_auth(TOKEN)
    }
    /// The same under API v0 (`/skaha/v0/…`).
    pub fn get_v0(&self, path: &str) -> RequestBuilder {
        self.client
            .get(self.url(&format!("skaha/v0/{path}")))
            .bearer_auth(TOKEN)
    }
    pub fn post_v0(&self, path: &str) -> RequestBuilder {
        self.client
            .post(self.url(&format!("skaha/v0/{path}")))
            .bearer_auth(TOKEN)
    }

    /// Creates a session with query parameters (as the Python client does); returns the id.
    pub async fn create(&self, params: &[(&str, &str)]) -> String {
        let resp = self
            .post("session")
            .header("content-type", "application/x-www-form-urlencoded")
            .query(params)
            .send()
            .await
            .unwrap();
        let status = resp.status();
        let body = resp.text().await.unwrap();
        assert_eq!(status, 200, "create failed: {body}");
        assert!(body.ends_with('\n'));
        body.trim().to_string()
    }

    pub async fn create_kind(&self, kind: &str, name: &str) -> String {
        let image = match kind {
            "desktop" => "images.canfar.net/skaha/desktop:latest",
            "carta" => "images.canfar.net/skaha/carta:4.1",
            "firefly" => "images.canfar.net/skaha/firefly:2024.3",
            "contributed" => "images.canfar.net/skaha/marimo:latest",
            _ => PUBLIC_IMAGE,
        };
        self.create(&[("name", name), ("image", image), ("type", kind)])
            .await
    }

    pub async fn session(&self, id: &str) -> serde_json::Value {
        let r = self.get(&format!("session/{id}")).send().await.unwrap();
        assert_eq!(r.status(), 200);
        r.json().await.unwrap()
    }

    pub async fn status_of(&self, id: &str) -> Option<String> {
        let r = self.get(&format!("session/{id}")).send().await.unwrap();
        if r.status() == 404 {
            return None;
        }
        let v: serde_json::Value = r.json().await.unwrap();
        Some(v["status"].as_str().unwrap().to_string())
    }
}

/// Status and body of a response.
pub async fn text(r: Response) -> (u16, String) {
    let s = r.status().as_u16();
    (s, r.text().await.unwrap())
}

/// The body cadc-rest sends for an `IllegalArgumentException`.
pub fn iae(msg: &str) -> String {
    format!("{msg}java.lang.IllegalArgumentException: {msg}\n")
}

pub fn is_session_id(id: &str) -> bool {
    id.len() == 8
        && id.chars().next().unwrap().is_ascii_lowercase()
        && id
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
}
