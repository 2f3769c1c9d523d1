//! The one HTTP client of the auditor and the command line: HTTPS through
//! rustls with the ring provider and the system's trusted certificates,
//! bounded answers, and patience with a server that says it is busy.

use std::time::Duration;

use super::verify::VerifyError;

/// The HTTP client of the auditor and the command line: HTTPS through
/// rustls with the ring provider and the system's trusted certificates.
pub fn client() -> Result<reqwest::Client, VerifyError> {
    static CLIENT: std::sync::OnceLock<Result<reqwest::Client, String>> =
        std::sync::OnceLock::new();
    CLIENT
        .get_or_init(|| {
            // Fails only when a provider is already installed, which is fine.
            let _ = rustls::crypto::ring::default_provider().install_default();
            reqwest::Client::builder()
                .timeout(Duration::from_secs(120))
                .build()
                .map_err(|e| format!("cannot set up HTTPS: {e}"))
        })
        .clone()
        .map_err(VerifyError::Fetch)
}

/// Largest HTTP answer the auditor reads: a full entry tile of the largest
/// entries (256 × (2 + 65,535) bytes) fits with room to spare.
pub const MAX_RESPONSE_BYTES: usize = 32 * 1024 * 1024;
/// How often a `503` with `Retry-After` is asked again before giving up.
const BUSY_RETRIES: u32 = 30;

/// GETs `url` with the shared client; any status but 2xx is an error. A
/// server that answers `503` with `Retry-After` is asked again after that
/// many seconds (at most 10, up to 30 times); an answer larger than
/// [`MAX_RESPONSE_BYTES`] is refused without reading it all.
pub async fn get(url: &str) -> Result<Vec<u8>, VerifyError> {
    let client = client()?;
    let mut tries = 0;
    let mut response = loop {
        let response = client
            .get(url)
            .send()
            .await
            .map_err(|e| VerifyError::Fetch(format!("{url}: {e}")))?;
        let retry_after = response
            .headers()
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok());
        match retry_after {
            Some(seconds)
                if response.status() == reqwest::StatusCode::SERVICE_UNAVAILABLE
                    && tries < BUSY_RETRIES =>
            {
                tries += 1;
                tokio::time::sleep(Duration::from_secs(seconds.clamp(1, 10))).await;
            }
            _ => break response,
        }
    };
    if !response.status().is_success() {
        return Err(VerifyError::Fetch(format!(
            "{url}: HTTP {}",
            response.status()
        )));
    }
    let too_large = || {
        VerifyError::Fetch(format!(
            "{url}: the answer is larger than {MAX_RESPONSE_BYTES} bytes"
        ))
    };
    if response
        .content_length()
        .is_some_and(|n| n > MAX_RESPONSE_BYTES as u64)
    {
        return Err(too_large());
    }
    let mut body = Vec::new();
    while let Some(chunk) = response
        .chunk()
        .await
        .map_err(|e| VerifyError::Fetch(format!("{url}: {e}")))?
    {
        if body.len() + chunk.len() > MAX_RESPONSE_BYTES {
            return Err(too_large());
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// Largest answer read from a POST (a witness's cosignature lines).
const MAX_POST_ANSWER_BYTES: usize = 64 * 1024;

/// POSTs `body` as text to `url` and waits at most `timeout`; the status,
/// the content type and the answer (at most 64 KiB), whatever the status.
pub async fn post_text(
    url: &str,
    body: String,
    timeout: Duration,
) -> Result<(u16, String, String), VerifyError> {
    let fail = |e: &dyn std::fmt::Display| VerifyError::Fetch(format!("{url}: {e}"));
    let mut response = client()?
        .post(url)
        .timeout(timeout)
        .header(reqwest::header::CONTENT_TYPE, "text/plain; charset=utf-8")
        .body(body)
        .send()
        .await
        .map_err(|e| fail(&e))?;
    let status = response.status().as_u16();
    let content_type = response
        .headers()
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let mut answer = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(|e| fail(&e))? {
        if answer.len() + chunk.len() > MAX_POST_ANSWER_BYTES {
            return Err(fail(&"the answer is too large"));
        }
        answer.extend_from_slice(&chunk);
    }
    Ok((
        status,
        content_type,
        String::from_utf8_lossy(&answer).into_owned(),
    ))
}
