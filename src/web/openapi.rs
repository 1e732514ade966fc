//! `GET /api/v1/openapi.json`: the OpenAPI 3.1 description of the JSON API, made from the
//! handlers' own annotations and the types they answer with.

use axum::Json;
use axum::response::IntoResponse;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use super::shapes::ErrorJson;
use super::{api, editors, subscriptions};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "chapterhouse",
        description = "Multi-agency safeguarding procedure manuals: chapters, releases and the differences between them, search, subscriptions, and the editors' API. Every error answers JSON {\"error\": \"...\"} with a fitting status.",
    ),
    paths(
        api::manuals,
        api::chapters,
        api::chapter,
        api::releases,
        api::release,
        api::diff,
        api::search,
        subscriptions::subscribe_api,
        editors::draft,
        editors::draft_chapter,
        editors::put_chapter,
        editors::delete_chapter,
        editors::publish,
    ),
    components(schemas(ErrorJson)),
    modifiers(&BearerToken),
    tags(
        (name = "read", description = "The manuals as practitioners read them: no sign-in"),
        (name = "subscriptions", description = "The monthly digest and release notices by email"),
        (name = "editors", description = "An editor's API token (`chapterhouse editors add`) as a bearer token"),
    )
)]
struct ApiDoc;

/// The editors' API token, as `Authorization: Bearer <token>`.
struct BearerToken;

impl Modify for BearerToken {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some(
                        "An editor's API token, printed once by `chapterhouse editors add`",
                    ))
                    .build(),
            ),
        );
    }
}

/// The description, as JSON.
pub fn document() -> utoipa::openapi::OpenApi {
    let mut doc = ApiDoc::openapi();
    doc.info.version = env!("CARGO_PKG_VERSION").to_owned();
    doc
}

pub async fn openapi_json() -> impl IntoResponse {
    Json(document())
}
