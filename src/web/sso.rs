//! Single sign-on with OpenID Connect: the authorization code flow with PKCE, a nonce, and a
//! `state` bound to the browser that began it (a cookie), all checked on return. The provider
//! is discovered once, on first use (`{issuer}/.well-known/openid-configuration`), and its ID
//! tokens are verified against its published keys by the `openidconnect` crate. Who the verified
//! identity is, and whether it may sign in, is `service::sso`'s.
//!
//! The discovery is read again after an hour, so rotated signing keys are found.
//!
//! `GET /sign-in/sso?next=` sends the browser to the provider; `GET /sign-in/sso/callback`
//! takes it back, signs the person in for `sso.session_hours`, and goes on to `next`.

use actix_web::cookie::{Cookie, SameSite, time::Duration as CookieDuration};
use actix_web::{HttpRequest, HttpResponse, web};
use base64::Engine;
use openidconnect::core::{CoreAuthenticationFlow, CoreClient, CoreProviderMetadata};
use openidconnect::{
    AuthorizationCode, ClientId, ClientSecret, CsrfToken, EndpointMaybeSet, EndpointNotSet, EndpointSet, IssuerUrl,
    Nonce, PkceCodeChallenge, PkceCodeVerifier, RedirectUrl, Scope, TokenResponse,
};
use serde::Deserialize;
use tokio::sync::OnceCell;

use super::{PageError, see_other, session, with_cookie};
use crate::auth::generate_secret;
use crate::service::sso::{self, Begun, Identity};
use crate::state::AppState;

const BROWSER_COOKIE: &str = "changedesk_sso";

pub fn config(cfg: &mut web::ServiceConfig) {
    cfg.route("/sign-in/sso", web::get().to(begin)).route("/sign-in/sso/callback", web::get().to(callback));
}

/// The provider as discovered (with its signing keys), and the HTTP client that talks to it
/// (no redirects followed, as the OpenID Connect crate asks). The discovery is kept for an hour,
/// so keys the provider rotates are picked up without a restart.
#[derive(Debug, Default)]
pub struct Provider {
    metadata: tokio::sync::Mutex<Option<(std::time::Instant, CoreProviderMetadata)>>,
    http: OnceCell<openidconnect::reqwest::Client>,
}

/// How long a discovery (and the keys it lists) is used before it is read again.
const DISCOVERY_TTL: std::time::Duration = std::time::Duration::from_secs(3600);

fn refused(message: impl Into<String>) -> PageError {
    PageError::SsoRefused(message.into())
}

impl Provider {
    async fn http(&self) -> Result<&openidconnect::reqwest::Client, PageError> {
        self.http
            .get_or_try_init(|| async {
                openidconnect::reqwest::ClientBuilder::new()
                    .redirect(openidconnect::reqwest::redirect::Policy::none())
                    .timeout(std::time::Duration::from_secs(10))
                    .build()
            })
            .await
            .map_err(|e| refused(format!("no HTTP client for the provider: {e}")))
    }

    async fn metadata(&self, issuer: &str) -> Result<CoreProviderMetadata, PageError> {
        let mut held = self.metadata.lock().await;
        if let Some((_, metadata)) = held.as_ref().filter(|(at, _)| at.elapsed() < DISCOVERY_TTL) {
            return Ok(metadata.clone());
        }
        let http = self.http().await?;
        let discovered = async {
            let issuer = IssuerUrl::new(issuer.to_owned()).map_err(|e| e.to_string())?;
            CoreProviderMetadata::discover_async(issuer, http).await.map_err(|e| e.to_string())
        };
        let metadata = discovered.await.map_err(|e| {
            log::error!("single sign-on: discovering {issuer}: {e}");
            refused("Your organisation's sign-in cannot be reached just now; try again in a moment, or sign in with a password if you may.")
        })?;
        *held = Some((std::time::Instant::now(), metadata.clone()));
        Ok(metadata)
    }
}

/// The client as discovery makes it: authorization set, token and userinfo endpoints as the
/// provider lists them.
type Client =
    CoreClient<EndpointSet, EndpointNotSet, EndpointNotSet, EndpointNotSet, EndpointMaybeSet, EndpointMaybeSet>;

/// Builds the client for this service's redirect URI.
async fn client(state: &AppState) -> Result<Client, PageError> {
    let sso = &state.settings.sso;
    let metadata = state.sso.metadata(&sso.issuer).await?;
    let secret = Some(ClientSecret::new(sso.client_secret.expose().to_owned()));
    let redirect = format!("{}/sign-in/sso/callback", state.settings.server.base_url.trim_end_matches('/'));
    let redirect = RedirectUrl::new(redirect).map_err(|e| refused(format!("server.base_url: {e}")))?;
    Ok(CoreClient::from_provider_metadata(metadata, ClientId::new(sso.client_id.clone()), secret)
        .set_redirect_uri(redirect))
}

#[derive(Deserialize)]
pub struct BeginQuery {
    #[serde(default)]
    next: String,
}

async fn begin(
    state: web::Data<AppState>,
    req: HttpRequest,
    query: web::Query<BeginQuery>,
) -> Result<HttpResponse, PageError> {
    if !state.settings.sso.enabled() {
        return Err(refused("Single sign-on is not set up here."));
    }
    let client = client(&state).await?;
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let (url, csrf_state, nonce) = client
        .authorize_url(CoreAuthenticationFlow::AuthorizationCode, CsrfToken::new_random, Nonce::new_random)
        .add_scope(Scope::new("email".into()))
        .add_scope(Scope::new("profile".into()))
        .set_pkce_challenge(challenge)
        .url();
    let browser = generate_secret();
    let next = super::local_path(&query.next).unwrap_or_else(|| "/".into());
    let (now, browser_copy) = (state.clock.now(), browser.clone());
    let (state_secret, nonce, verifier) =
        (csrf_state.secret().clone(), nonce.secret().clone(), verifier.secret().clone());
    state
        .run(move |c| {
            let begun = Begun {
                state: &state_secret,
                browser: &browser_copy,
                nonce: &nonce,
                pkce_verifier: &verifier,
                next: &next,
            };
            sso::begin(c, &begun, now)
        })
        .await?;
    let cookie = Cookie::build(BROWSER_COOKIE, browser)
        .path("/sign-in/sso")
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(session::over_https(&req, &state.settings.server))
        .max_age(CookieDuration::minutes(sso::LOGIN_MINUTES))
        .finish();
    with_cookie(see_other(url.as_str()), Some(cookie))
}

#[derive(Deserialize)]
pub struct CallbackQuery {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
}

async fn callback(
    state: web::Data<AppState>,
    req: HttpRequest,
    query: web::Query<CallbackQuery>,
) -> Result<HttpResponse, PageError> {
    let sso = &state.settings.sso;
    if !sso.enabled() {
        return Err(refused("Single sign-on is not set up here."));
    }
    if let Some(error) = &query.error {
        return Err(refused(format!("Your organisation's sign-in said no ({error}).")));
    }
    let (Some(code), Some(login_state)) = (query.code.clone(), query.state.clone()) else {
        return Err(refused("The answer from your organisation's sign-in is incomplete; start again."));
    };
    let browser = req.cookie(BROWSER_COOKIE).map(|c| c.value().to_owned()).unwrap_or_default();
    let now = state.clock.now();
    let login = state.run(move |c| sso::take(c, &login_state, &browser, now)).await?.ok_or_else(|| {
        refused("This sign-in was not started in this browser, was used already, or took too long; start again.")
    })?;
    let client = client(&state).await?;
    let http = state.sso.http().await?;
    let exchange =
        client.exchange_code(AuthorizationCode::new(code)).map_err(|e| refused(format!("no token endpoint: {e}")))?;
    let tokens = exchange
        .set_pkce_verifier(PkceCodeVerifier::new(login.pkce_verifier.clone()))
        .request_async(http)
        .await
        .map_err(|e| refused(format!("Your organisation's sign-in refused the code: {e}")))?;
    let id_token = tokens.id_token().ok_or_else(|| refused("No ID token came back."))?;
    let claims = id_token
        .claims(&client.id_token_verifier(), &Nonce::new(login.nonce.clone()))
        .map_err(|e| refused(format!("The ID token does not verify: {e}")))?;
    let email = match sso.email_claim.as_str() {
        "email" => claims.email().map(|e| e.to_string()),
        other => claim_of(&id_token.to_string(), other),
    };
    let identity = Identity {
        issuer: claims.issuer().to_string(),
        subject: claims.subject().to_string(),
        email,
        email_verified: claims.email_verified().unwrap_or(false),
        name: claims.name().and_then(|n| n.get(None)).map(|n| n.to_string()),
    };
    let (settings, address) = (state.settings.clone(), session::address_of(&state, &req));
    let user_id = state
        .run(move |c| sso::sign_in(c, &settings.sso, &identity, address.as_deref(), now))
        .await?
        .map_err(|refusal| refused(refusal.message()))?;
    let cookie = session::start_for(&state, &req, user_id, sso.session_hours).await?;
    with_cookie(see_other(&login.next_path), Some(cookie))
}

/// A text claim of an ID token that has been verified already, by name: for a provider whose
/// email is not in the standard `email` claim.
fn claim_of(jwt: &str, name: &str) -> Option<String> {
    let payload = jwt.split('.').nth(1)?;
    let json = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(payload).ok()?;
    let claims: serde_json::Value = serde_json::from_slice(&json).ok()?;
    claims.get(name)?.as_str().map(str::to_owned)
}
