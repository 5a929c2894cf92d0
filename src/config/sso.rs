//! `[sso]`: single sign-on with an OpenID Connect provider.

use serde::Deserialize;

use super::Secret;

/// Single sign-on with an OpenID Connect provider (authorization code flow with PKCE).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SsoSettings {
    /// The provider's issuer URL (its discovery document is `{issuer}/.well-known/openid-configuration`);
    /// empty: single sign-on is off.
    pub issuer: String,
    pub client_id: String,
    pub client_secret: Secret,
    /// The ID token claim that holds the person's email.
    pub email_claim: String,
    /// Email domains allowed to sign in (`["example.org"]`); empty: any.
    pub allowed_domains: Vec<String>,
    /// The role of a person signing in for the first time: requester, agent, lead or admin; empty:
    /// only people who already have an account may sign in.
    pub new_user_role: String,
    /// Who may still sign in with a password: "everyone", or "admins" (break-glass: an outage of
    /// the provider must not lock the admins out).
    pub password_sign_in: String,
    /// How long a session started by single sign-on lasts before the provider is asked again.
    pub session_hours: i64,
    /// The sign-in page's button.
    pub button_label: String,
}

impl Default for SsoSettings {
    fn default() -> Self {
        Self {
            issuer: String::new(),
            client_id: String::new(),
            client_secret: Secret::new(""),
            email_claim: "email".into(),
            allowed_domains: Vec::new(),
            new_user_role: "requester".into(),
            password_sign_in: "everyone".into(),
            session_hours: 8,
            button_label: "Sign in with your organisation's account".into(),
        }
    }
}

impl SsoSettings {
    pub fn enabled(&self) -> bool {
        !self.issuer.is_empty()
    }

    /// Whether password sign-in is kept for admins only.
    pub fn passwords_for_admins_only(&self) -> bool {
        self.enabled() && self.password_sign_in == "admins"
    }
}
