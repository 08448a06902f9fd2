//! The black-box tests' HTTP client: every call checks that an error
//! answer is `application/problem+json` with `title`, `detail` and the
//! same `status`, as the API promises.

use reqwest::blocking::{Client, RequestBuilder};
use reqwest::StatusCode;
use serde_json::Value;

pub struct Http {
    pub client: Client,
    /// The server's origin, e.g. `http://127.0.0.1:41234`.
    pub base: String,
}

impl Http {
    pub fn new(base: &str) -> Self {
        Http {
            client: Client::new(),
            base: base.to_owned(),
        }
    }

    /// `path` on this server.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Sends `request`; the answer's status and JSON body (`null` when
    /// empty, a string when not JSON).
    pub fn call(&self, request: RequestBuilder) -> (StatusCode, Value) {
        let response = request.send().expect("request");
        let status = response.status();
        let content_type = response
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_owned();
        let text = response.text().expect("body");
        let body = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or(Value::String(text))
        };
        if status.is_client_error() || status.is_server_error() {
            assert_eq!(content_type, "application/problem+json", "{status}: {body}");
            assert!(
                body["title"].is_string()
                    && body["detail"].is_string()
                    && body["status"] == status.as_u16(),
                "{body}"
            );
        }
        (status, body)
    }

    pub fn get(&self, key: &str, path: &str) -> (StatusCode, Value) {
        self.call(self.client.get(self.url(path)).bearer_auth(key))
    }

    pub fn post(&self, key: &str, path: &str, body: Value) -> (StatusCode, Value) {
        self.call(
            self.client
                .post(self.url(path))
                .bearer_auth(key)
                .json(&body),
        )
    }

    pub fn patch(&self, key: &str, path: &str, body: Value) -> (StatusCode, Value) {
        self.call(
            self.client
                .patch(self.url(path))
                .bearer_auth(key)
                .json(&body),
        )
    }

    pub fn put(&self, key: &str, path: &str, body: Value) -> (StatusCode, Value) {
        self.call(self.client.put(self.url(path)).bearer_auth(key).json(&body))
    }

    pub fn delete(&self, key: &str, path: &str) -> (StatusCode, Value) {
        self.call(self.client.delete(self.url(path)).bearer_auth(key))
    }

    /// A POST of `body` as `content_type`.
    pub fn raw(
        &self,
        key: &str,
        path: &str,
        content_type: &str,
        body: Vec<u8>,
    ) -> (StatusCode, Value) {
        self.call(
            self.client
                .post(self.url(path))
                .bearer_auth(key)
                .header("content-type", content_type)
                .body(body),
        )
    }

    /// A POST of a CSV body.
    pub fn csv(&self, key: &str, path: &str, body: &str) -> (StatusCode, Value) {
        self.raw(key, path, "text/csv", body.as_bytes().to_vec())
    }
}

/// Declares `struct Api`: the shared client (through `Deref`), made with
/// `Api::new(&server)`, to which a test file adds shortcuts of its own.
#[allow(unused_macros)]
macro_rules! api_client {
    () => {
        /// The shared client, with this file's shortcuts.
        struct Api(common::http::Http);

        impl std::ops::Deref for Api {
            type Target = common::http::Http;

            fn deref(&self) -> &common::http::Http {
                &self.0
            }
        }

        impl Api {
            fn new(server: &common::Server) -> Self {
                Api(common::http::Http::new(&server.url))
            }
        }
    };
}
#[allow(unused_imports)]
pub(crate) use api_client;
