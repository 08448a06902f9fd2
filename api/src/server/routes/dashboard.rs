//! The dashboard: a browser client of the same JSON API, served from assets
//! embedded in the binary (nothing is fetched from anywhere else).

use std::sync::OnceLock;

use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};

use crate::server::error::ApiError;

/// One embedded file.
pub struct Asset {
    /// Its name under `/assets/`.
    pub name: &'static str,
    pub content_type: &'static str,
    pub body: &'static [u8],
    /// Offered as a download (`Content-Disposition: attachment`).
    pub download: bool,
}

const JS: &str = "text/javascript; charset=utf-8";
const CSV: &str = "text/csv; charset=utf-8";

macro_rules! asset {
    ($name:literal, $type:expr, $download:literal) => {
        Asset {
            name: $name,
            content_type: $type,
            body: include_bytes!(concat!("../../../assets/", $name)),
            download: $download,
        }
    };
}

/// Every file the dashboard uses.
pub const ASSETS: &[Asset] = &[
    asset!("dashboard/index.html", "text/html; charset=utf-8", false),
    asset!("dashboard/app.css", "text/css; charset=utf-8", false),
    asset!("dashboard/app.js", JS, false),
    asset!("dashboard/api.js", JS, false),
    asset!("dashboard/dom.js", JS, false),
    asset!("dashboard/campaigns.js", JS, false),
    asset!("dashboard/campaign.js", JS, false),
    asset!("dashboard/forecast.js", JS, false),
    asset!("dashboard/timeline.js", JS, false),
    asset!("dashboard/new-campaign.js", JS, false),
    asset!("dashboard/recycle.js", JS, false),
    asset!("dashboard/lead.js", JS, false),
    asset!("dashboard/exports.js", JS, false),
    asset!("dashboard/dnc.js", JS, false),
    asset!("dashboard/users.js", JS, false),
    asset!("dashboard/contact-policy.js", JS, false),
    asset!("dashboard/favicon.svg", "image/svg+xml", false),
    asset!("templates/leads-basic.csv", CSV, true),
    asset!("templates/leads-advanced.csv", CSV, true),
];

/// Only this origin's scripts, styles and connections; no framing.
const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
    img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'self'; \
    frame-ancestors 'none'";

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/", web::get().to(index))
        .route("/assets/{name:.+}", web::get().to(asset));
}

/// An asset's entity tag: its BLAKE3 digest, computed once.
fn etag(index: usize) -> &'static str {
    static TAGS: OnceLock<Vec<String>> = OnceLock::new();
    let tags = TAGS.get_or_init(|| {
        ASSETS
            .iter()
            .map(|a| format!("\"{}\"", &blake3::hash(a.body).to_hex()[..32]))
            .collect()
    });
    tags.get(index).map_or("\"\"", String::as_str)
}

fn serve(req: &HttpRequest, index: usize) -> HttpResponse {
    let Some(asset) = ASSETS.get(index) else {
        return HttpResponse::NotFound().finish();
    };
    let tag = etag(index);
    let fresh = req
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == tag));
    let mut response = if fresh {
        HttpResponse::NotModified()
    } else {
        HttpResponse::Ok()
    };
    response
        .insert_header((header::ETAG, tag))
        .insert_header((header::CACHE_CONTROL, "no-cache"))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .insert_header((header::CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY))
        .insert_header((header::REFERRER_POLICY, "no-referrer"));
    if asset.download {
        let file = asset.name.rsplit('/').next().unwrap_or(asset.name);
        response.insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{file}\""),
        ));
    }
    if fresh {
        return response.finish();
    }
    response.content_type(asset.content_type).body(asset.body)
}

/// The dashboard.
pub async fn index(req: HttpRequest) -> HttpResponse {
    match ASSETS.iter().position(|a| a.name == "dashboard/index.html") {
        Some(index) => serve(&req, index),
        None => HttpResponse::NotFound().finish(),
    }
}

/// A file of the dashboard, or a lead-list template.
pub async fn asset(req: HttpRequest, path: web::Path<String>) -> Result<HttpResponse, ApiError> {
    let name = path.into_inner();
    // `/assets/app.js` is `dashboard/app.js`; templates keep their folder.
    ASSETS
        .iter()
        .position(|a| {
            a.name.strip_prefix("dashboard/") == Some(name.as_str())
                || (a.name.starts_with("templates/") && a.name == name)
        })
        .map(|i| serve(&req, i))
        .ok_or_else(|| {
            ApiError::not_found(&format!("asset {}", leadline_domain::text::echo(&name)))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_module_the_pages_import_is_served() {
        let mut imports = 0;
        for asset in ASSETS.iter().filter(|a| a.content_type == JS) {
            let text = std::str::from_utf8(asset.body).expect("utf-8");
            for (_, rest) in text
                .match_indices("from \"./")
                .map(|(i, _)| text.split_at(i + 8))
            {
                let target = rest.split('"').next().expect("a closing quote");
                let name = format!("dashboard/{target}");
                assert!(
                    ASSETS.iter().any(|a| a.name == name),
                    "{} imports {target}, which is not embedded",
                    asset.name
                );
                imports += 1;
            }
        }
        assert!(imports >= 6, "the modules import each other");
    }

    #[test]
    fn every_file_in_the_assets_folder_is_embedded() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("assets");
        for folder in ["dashboard", "templates"] {
            for entry in std::fs::read_dir(root.join(folder)).expect("assets folder") {
                let file = entry.expect("entry").file_name();
                let name = format!("{folder}/{}", file.to_string_lossy());
                assert!(
                    ASSETS.iter().any(|a| a.name == name),
                    "{name} is not embedded"
                );
            }
        }
    }
}
