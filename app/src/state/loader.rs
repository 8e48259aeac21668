//! Fetching the shipped weights: the manifest, then each model file with a progress count,
//! checked against the manifest's sha256 and kept in the Cache API so a second visit needs no
//! network. Every failure names the file.

use crate::protocol::MODELS_DIR;
use engine::model::weights::{self, MANIFEST_FILE, Manifest, Role};
use js_sys::Uint8Array;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{Cache, Response};

const CACHE_NAME: &str = "ponder-models-v1";
/// The roles the page runs from the start (the larger verifier loads when chosen).
pub const ROLES: [Role; 3] = [Role::Generator, Role::Prm, Role::Revision];

#[derive(Clone, Debug, PartialEq)]
pub enum LoadError {
    /// No manifest at all: the page runs on randomly initialised models.
    NoManifest(String),
    /// A named file is missing, corrupt or unreadable.
    File { file: String, detail: String },
}

impl std::fmt::Display for LoadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            LoadError::NoManifest(d) => write!(f, "{MODELS_DIR}{MANIFEST_FILE}: {d}"),
            LoadError::File { file, detail } => write!(f, "{MODELS_DIR}{file}: {detail}"),
        }
    }
}

fn js_err(e: JsValue) -> String {
    e.as_string()
        .or_else(|| js_sys::Reflect::get(&e, &"message".into()).ok().and_then(|m| m.as_string()))
        .unwrap_or_else(|| format!("{e:?}"))
}

async fn open_cache() -> Option<Cache> {
    let caches = web_sys::window()?.caches().ok()?;
    JsFuture::from(caches.open(CACHE_NAME)).await.ok()?.dyn_into::<Cache>().ok()
}

async fn cached(cache: &Option<Cache>, key: &str) -> Option<Vec<u8>> {
    let cache = cache.as_ref()?;
    let hit = JsFuture::from(cache.match_with_str(key)).await.ok()?;
    let response: Response = hit.dyn_into().ok()?;
    let buffer = JsFuture::from(response.array_buffer().ok()?).await.ok()?;
    Some(Uint8Array::new(&buffer).to_vec())
}

/// Saves `bytes` under `key`. Full storage is not fatal: the page works and the next visit
/// downloads again; the error says why, for the page to tell the visitor.
async fn store(cache: &Option<Cache>, key: &str, bytes: &[u8]) -> Result<(), String> {
    let Some(cache) = cache else { return Err("this browser offers no cache storage to this page".into()) };
    let body = Uint8Array::from(bytes);
    let response = Response::new_with_opt_buffer_source(Some(&body)).map_err(js_err)?;
    JsFuture::from(cache.put_with_str(key, &response)).await.map_err(|e| {
        let why = js_err(e);
        web_sys::console::warn_1(&format!("could not cache {key}: {why}").into());
        why
    })?;
    Ok(())
}

async fn forget(cache: &Option<Cache>, key: &str) {
    if let Some(cache) = cache {
        let _ = JsFuture::from(cache.delete_with_str(key)).await;
    }
}

/// Downloads `url`, reporting bytes received (and the total when the server says it).
async fn download(url: &str, file: &str, progress: &mut dyn FnMut(u64, Option<u64>)) -> Result<Vec<u8>, LoadError> {
    let err = |detail: String| LoadError::File { file: file.into(), detail };
    let window = web_sys::window().ok_or_else(|| err("no window".into()))?;
    let response: Response = JsFuture::from(window.fetch_with_str(url)).await.map_err(|e| err(format!("download failed: {}", js_err(e))))?.unchecked_into();
    if !response.ok() {
        return Err(err(format!("the server answered {} {}", response.status(), response.status_text())));
    }
    let total = response.headers().get("content-length").ok().flatten().and_then(|v| v.parse::<u64>().ok());
    let Some(body) = response.body() else {
        let buffer = JsFuture::from(response.array_buffer().map_err(|e| err(js_err(e)))?).await.map_err(|e| err(js_err(e)))?;
        return Ok(Uint8Array::new(&buffer).to_vec());
    };
    let reader: web_sys::ReadableStreamDefaultReader = body.get_reader().unchecked_into();
    let mut bytes = Vec::with_capacity(total.unwrap_or(0) as usize);
    loop {
        let chunk = JsFuture::from(reader.read()).await.map_err(|e| err(format!("download interrupted: {}", js_err(e))))?;
        if js_sys::Reflect::get(&chunk, &"done".into()).map(|d| d.is_truthy()).unwrap_or(true) {
            break;
        }
        let value = js_sys::Reflect::get(&chunk, &"value".into()).map_err(|e| err(js_err(e)))?;
        bytes.extend(Uint8Array::new(&value).to_vec());
        progress(bytes.len() as u64, total);
    }
    Ok(bytes)
}

/// Retries a download with backoff (0.5 s, 1 s, 2 s) before giving up.
async fn download_retrying(url: &str, file: &str, progress: &mut dyn FnMut(u64, Option<u64>)) -> Result<Vec<u8>, LoadError> {
    let mut delay = 500;
    let mut attempt = 0;
    loop {
        match download(url, file, progress).await {
            Ok(b) => return Ok(b),
            // A missing file will not appear by retrying.
            Err(e) if attempt >= 3 || e.to_string().contains("answered 404") => return Err(e),
            Err(_) => {
                crate::util::sleep_ms(delay).await;
                delay *= 2;
                attempt += 1;
            }
        }
    }
}

/// Loading progress: the file in flight, bytes so far and the total of all files.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Progress {
    pub file: String,
    pub done: u64,
    pub total: u64,
    pub from_cache: bool,
}

/// What [`load`] got: the manifest, the bytes of every model file the page runs (each checked
/// by sha256), and why they could not be kept for the next visit, if they could not.
pub struct Loaded {
    pub manifest: Manifest,
    pub files: Vec<(Role, Vec<u8>)>,
    pub not_cached: Option<String>,
}

pub async fn load(progress: &mut dyn FnMut(Progress)) -> Result<Loaded, LoadError> {
    let cache = open_cache().await;
    let manifest_url = format!("{MODELS_DIR}{MANIFEST_FILE}");
    // The manifest is fetched fresh (it names the current weights); offline, the cached one.
    let text = match download(&manifest_url, MANIFEST_FILE, &mut |_, _| {}).await {
        Ok(bytes) => {
            // The manifest alone is not worth a message: the weights' own failure says it.
            let _ = store(&cache, &manifest_url, &bytes).await;
            bytes
        }
        Err(e) => match cached(&cache, &manifest_url).await {
            Some(bytes) => bytes,
            None if e.to_string().contains("answered 404") => return Err(LoadError::NoManifest("not found".into())),
            None => return Err(e),
        },
    };
    let text = String::from_utf8(text).map_err(|_| LoadError::File { file: MANIFEST_FILE.into(), detail: "not UTF-8 text".into() })?;
    let manifest = Manifest::parse(MANIFEST_FILE, &text).map_err(|e| LoadError::File { file: MANIFEST_FILE.into(), detail: e.to_string() })?;
    let (files, not_cached) = fetch_roles(&cache, &manifest, &ROLES, progress).await?;
    Ok(Loaded { manifest, files, not_cached })
}

/// The roles the larger verifier needs: the model whose body it reads (when it has one), then
/// its own head.
pub fn large_verifier_roles(manifest: &Manifest) -> Result<Vec<Role>, LoadError> {
    let entry = manifest.entry(Role::PrmLarge).map_err(|e| LoadError::File { file: MANIFEST_FILE.into(), detail: e.to_string() })?;
    Ok(entry.body.into_iter().chain([Role::PrmLarge]).collect())
}

/// Fetches the larger verifier's files (its body's weights and its head), only when a visitor
/// chooses it: the same checks, cache and retries as the page's first download.
pub async fn load_large_verifier(manifest: &Manifest, progress: &mut dyn FnMut(Progress)) -> Result<(Vec<(Role, Vec<u8>)>, Option<String>), LoadError> {
    let roles = large_verifier_roles(manifest)?;
    fetch_roles(&open_cache().await, manifest, &roles, progress).await
}

/// The bytes of each role's file (from the cache when it holds them, else downloaded), each
/// checked by sha256, and why they could not be cached, if they could not.
async fn fetch_roles(cache: &Option<Cache>, manifest: &Manifest, roles: &[Role], progress: &mut dyn FnMut(Progress)) -> Result<(Vec<(Role, Vec<u8>)>, Option<String>), LoadError> {
    let mut entries = Vec::new();
    for &role in roles {
        let entry = manifest.entry(role).map_err(|e| LoadError::File { file: MANIFEST_FILE.into(), detail: e.to_string() })?;
        entries.push((role, entry.clone()));
    }
    // A file serving two roles (the generator is its own revision model) is fetched once.
    let total: u64 = entries.iter().map(|(_, e)| (e.file.as_str(), e.bytes.unwrap_or(0))).collect::<std::collections::BTreeMap<_, _>>().values().sum();
    if let Some((_, first)) = entries.first() {
        progress(Progress { file: first.file.clone(), done: 0, total, from_cache: false });
    }
    let mut done = 0u64;
    let mut files: Vec<(Role, Vec<u8>)> = Vec::new();
    let mut not_cached = None;
    let mut fetched: std::collections::HashMap<String, Vec<u8>> = std::collections::HashMap::new();
    for (role, entry) in entries {
        if let Some(bytes) = fetched.get(&entry.file).filter(|b| weights::verify_sha256(&entry, b).is_ok()) {
            files.push((role, bytes.clone()));
            continue;
        }
        // The key carries the hash, so new weights never meet stale cached ones.
        let key = format!("{MODELS_DIR}{}?sha256={}", entry.file, entry.sha256);
        if let Some(bytes) = cached(cache, &key).await {
            if weights::verify_sha256(&entry, &bytes).is_ok() {
                done += bytes.len() as u64;
                progress(Progress { file: entry.file.clone(), done, total, from_cache: true });
                fetched.insert(entry.file.clone(), bytes.clone());
                files.push((role, bytes));
                continue;
            }
            forget(cache, &key).await;
        }
        let base = done;
        let file = entry.file.clone();
        let bytes = download_retrying(&format!("{MODELS_DIR}{}", entry.file), &entry.file, &mut |got, _| {
            progress(Progress { file: file.clone(), done: base + got, total, from_cache: false })
        })
        .await?;
        weights::verify_sha256(&entry, &bytes).map_err(|e| LoadError::File { file: entry.file.clone(), detail: e.to_string() })?;
        if let Err(why) = store(cache, &key, &bytes).await {
            not_cached.get_or_insert(why);
        }
        done = base + bytes.len() as u64;
        fetched.insert(entry.file.clone(), bytes.clone());
        files.push((role, bytes));
    }
    Ok((files, not_cached))
}
