//! Who is calling: the admin, or a user, by API key.
//!
//! Keys are random (128 bits) and only their BLAKE3 digests are stored: the
//! user's in its `UserCreated` event, the admin's in the data directory.

use std::future::{ready, Ready};
use std::path::Path;

use actix_web::dev::Payload;
use actix_web::{web, FromRequest, HttpRequest};
use leadline_domain::{Actor, UserId};
use rand::RngCore;

use super::error::ApiError;
use super::state::AppState;

/// The caller of a request.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Principal {
    Admin,
    User(UserId),
}

impl Principal {
    /// Whether the caller may see or touch a resource owned by `owner`.
    pub fn owns(&self, owner: &UserId) -> bool {
        match self {
            Principal::Admin => true,
            Principal::User(id) => id == owner,
        }
    }

    pub fn require_admin(&self) -> Result<(), ApiError> {
        match self {
            Principal::Admin => Ok(()),
            Principal::User(_) => Err(ApiError::forbidden("this needs the admin key")),
        }
    }

    pub fn actor(&self) -> Actor {
        match self {
            Principal::Admin => Actor::Admin,
            Principal::User(id) => Actor::User(*id),
        }
    }
}

/// The digest stored for a key.
pub fn key_digest(key: &str) -> String {
    blake3::hash(key.as_bytes()).to_hex().to_string()
}

/// A fresh API key: `ll_` and 32 hex digits from the OS's randomness.
pub fn new_api_key() -> String {
    let mut bytes = [0u8; 16];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    format!("ll_{hex}")
}

/// Compares two digests in time independent of where they differ.
fn digests_equal(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

const ADMIN_DIGEST_FILE: &str = "admin-key.blake3";

/// The admin key's digest: from the given key (stored, so later starts
/// without the flag keep it), else from the data directory, else a new
/// key, printed once and stored as a digest.
pub fn admin_digest(data: &Path, given: Option<&str>) -> Result<String, String> {
    let path = data.join(ADMIN_DIGEST_FILE);
    if let Some(key) = given {
        if key.len() < 16 {
            return Err("the admin key must be at least 16 characters".into());
        }
        let digest = key_digest(key);
        write_private(&path, &digest)
            .map_err(|e| format!("cannot store {}: {e}", path.display()))?;
        return Ok(digest);
    }
    if let Ok(stored) = std::fs::read_to_string(&path) {
        let stored = stored.trim().to_owned();
        if stored.len() == 64 {
            return Ok(stored);
        }
    }
    let key = new_api_key();
    let digest = key_digest(&key);
    write_private(&path, &digest).map_err(|e| format!("cannot store {}: {e}", path.display()))?;
    println!("admin API key (shown once, store it now): {key}");
    Ok(digest)
}

fn write_private(path: &Path, contents: &str) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)?;
    file.write_all(contents.as_bytes())?;
    file.sync_all()
}

impl FromRequest for Principal {
    type Error = ApiError;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(authenticate(req))
    }
}

fn authenticate(req: &HttpRequest) -> Result<Principal, ApiError> {
    let state = req
        .app_data::<web::Data<AppState>>()
        .ok_or_else(|| ApiError::internal("the server state is missing"))?;
    let header = req
        .headers()
        .get(actix_web::http::header::AUTHORIZATION)
        .ok_or_else(|| ApiError::unauthorized("send Authorization: Bearer <api key>"))?;
    let key = header
        .to_str()
        .ok()
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
        .filter(|k| !k.is_empty())
        .ok_or_else(|| {
            ApiError::unauthorized("the Authorization header must be `Bearer <api key>`")
        })?;
    let digest = key_digest(key);
    if digests_equal(&digest, &state.admin_digest) {
        return Ok(Principal::Admin);
    }
    let model = state.projections.read();
    model
        .user_by_key_digest(&digest)
        .map(|entry| Principal::User(entry.user.id))
        .ok_or_else(|| ApiError::unauthorized("this API key is not known"))
}
