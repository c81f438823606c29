//! AWS Signature Version 4 for a PAO server behind an API gateway with IAM authorisation.
//!
//! Credentials come from the usual environment variables (`AWS_ACCESS_KEY_ID`,
//! `AWS_SECRET_ACCESS_KEY`, optional `AWS_SESSION_TOKEN`; region from `AWS_REGION`, else
//! `AWS_DEFAULT_REGION`), the service name is `execute-api` unless given. Signing is done by
//! the `aws-sigv4` crate; this module only adapts the request to it.

use std::time::SystemTime;

use aws_credential_types::Credentials;
use aws_sigv4::http_request::{SignableBody, SignableRequest, SigningSettings, sign};
use aws_sigv4::sign::v4;
use aws_smithy_runtime_api::client::identity::Identity;

/// Why a request cannot be signed.
#[derive(Debug, thiserror::Error)]
pub enum SigV4Error {
    /// A required environment variable is not set.
    #[error("--sigv4 needs {name} in the environment (AWS credentials and region, as the AWS CLI reads them)")]
    MissingVariable {
        /// The variable.
        name: &'static str,
    },
    /// The signer refused the request.
    #[error("cannot sign the request with SigV4: {0}")]
    Signing(String),
}

/// Signing settings: credentials, region and service.
pub struct SigV4 {
    identity: Identity,
    region: String,
    service: String,
}

impl std::fmt::Debug for SigV4 {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the keys.
        f.debug_struct("SigV4").field("region", &self.region).field("service", &self.service).finish_non_exhaustive()
    }
}

impl SigV4 {
    /// Settings from explicit values.
    pub fn new(access_key: &str, secret_key: &str, session_token: Option<String>, region: &str, service: &str) -> Self {
        let credentials = Credentials::from_keys(access_key, secret_key, session_token);
        Self { identity: credentials.into(), region: region.to_owned(), service: service.to_owned() }
    }

    /// Settings from the AWS environment variables, for `service` (`execute-api` for API Gateway).
    ///
    /// # Errors
    /// When a key or the region is missing.
    pub fn from_env(service: &str) -> Result<Self, SigV4Error> {
        let var = |name: &'static str| std::env::var(name).ok().filter(|v| !v.is_empty());
        let access = var("AWS_ACCESS_KEY_ID").ok_or(SigV4Error::MissingVariable { name: "AWS_ACCESS_KEY_ID" })?;
        let secret =
            var("AWS_SECRET_ACCESS_KEY").ok_or(SigV4Error::MissingVariable { name: "AWS_SECRET_ACCESS_KEY" })?;
        let region = var("AWS_REGION")
            .or_else(|| var("AWS_DEFAULT_REGION"))
            .ok_or(SigV4Error::MissingVariable { name: "AWS_REGION" })?;
        Ok(Self::new(&access, &secret, var("AWS_SESSION_TOKEN"), &region, service))
    }

    /// The headers to add to a request (`authorization`, `x-amz-date`, `x-amz-content-sha256`
    /// when asked, `x-amz-security-token` with temporary credentials).
    ///
    /// # Errors
    /// When the signer refuses the request (an unparsable URL, say).
    pub fn sign(
        &self,
        method: &str,
        url: &str,
        headers: &[(String, String)],
        body: &[u8],
    ) -> Result<Vec<(String, String)>, SigV4Error> {
        self.sign_at(method, url, headers, body, SystemTime::now())
    }

    /// As [`SigV4::sign`], at a given time (for tests against AWS's published examples).
    ///
    /// # Errors
    /// As [`SigV4::sign`].
    pub fn sign_at(
        &self,
        method: &str,
        url: &str,
        headers: &[(String, String)],
        body: &[u8],
        time: SystemTime,
    ) -> Result<Vec<(String, String)>, SigV4Error> {
        let params = v4::SigningParams::builder()
            .identity(&self.identity)
            .region(&self.region)
            .name(&self.service)
            .time(time)
            .settings(SigningSettings::default())
            .build()
            .map_err(|err| SigV4Error::Signing(err.to_string()))?
            .into();
        let signable = SignableRequest::new(
            method,
            url,
            headers.iter().map(|(n, v)| (n.as_str(), v.as_str())),
            SignableBody::Bytes(body),
        )
        .map_err(|err| SigV4Error::Signing(err.to_string()))?;
        let (instructions, _signature) =
            sign(signable, &params).map_err(|err| SigV4Error::Signing(err.to_string()))?.into_parts();
        let (headers, _params) = instructions.into_parts();
        Ok(headers.into_iter().map(|header| (header.name().to_owned(), header.value().to_owned())).collect())
    }
}
