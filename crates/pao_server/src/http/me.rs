//! `GET /me`: who the caller is, as the server identified them (bearer token or gateway). The
//! portal asks it to greet the user and offer their teams; `pao` in remote mode uses it to check
//! a token. Nothing secret is in it: never the token, only what `[auth]` maps it to.

use axum::Json;

use crate::auth::Identity;
use crate::model::MeDto;

/// `GET /me`.
pub async fn me(who: Identity) -> Json<MeDto> {
    Json(MeDto { user: who.user, email: who.email, teams: who.teams, admin: who.admin })
}
