//! `GET|PATCH /v4/personal-page/me`: the acting user's personal page settings.

use axum::extract::State;
use axum::Json;
use serde::Serialize;
use termin_domain::MeetingTypeId;
use termin_service::personal_pages::{self, CustomLink, OnlineProfiles, PersonalPage};
use utoipa::openapi::{RefOr, Schema};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::http::auth::Caller;
use crate::http::error::ApiResult;
use crate::http::extract::ApiJson;
use crate::http::schemas;
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(get_personal_page, update_personal_page))
}

/// The settings as the API shows them.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PersonalPageView {
    /// The colours apply only when this is on.
    use_custom_colors: bool,
    primary_color: Option<String>,
    secondary_color: Option<String>,
    header_image: Option<String>,
    description: Option<String>,
    /// Every enabled meeting type shows (the ordered ones first), or only the ordered ones.
    show_all_meeting_types: bool,
    #[schema(value_type = Vec<String>)]
    meeting_type_order: Vec<MeetingTypeId>,
    online_profiles: OnlineProfilesView,
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
struct OnlineProfilesView {
    linked_in: Option<String>,
    facebook: Option<String>,
    twitter: Option<String>,
    instagram: Option<String>,
    xing: Option<String>,
    phone: Option<String>,
    email: Option<String>,
    street: Option<String>,
    zip: Option<String>,
    city: Option<String>,
    country: Option<String>,
    custom_links: Vec<CustomLinkView>,
}

#[derive(Serialize, ToSchema)]
struct CustomLinkView {
    name: String,
    url: String,
    icon: Option<String>,
}

impl From<PersonalPage> for PersonalPageView {
    fn from(p: PersonalPage) -> Self {
        let o: OnlineProfiles = p.online_profiles;
        Self {
            use_custom_colors: p.use_custom_colors,
            primary_color: p.primary_color,
            secondary_color: p.secondary_color,
            header_image: p.header_image,
            description: p.description,
            show_all_meeting_types: p.show_all_meeting_types,
            meeting_type_order: p.meeting_type_order,
            online_profiles: OnlineProfilesView {
                linked_in: o.linked_in,
                facebook: o.facebook,
                twitter: o.twitter,
                instagram: o.instagram,
                xing: o.xing,
                phone: o.phone,
                email: o.email,
                street: o.street,
                zip: o.zip,
                city: o.city,
                country: o.country,
                custom_links: o
                    .custom_links
                    .into_iter()
                    .map(|CustomLink { name, url, icon }| CustomLinkView { name, url, icon })
                    .collect(),
            },
        }
    }
}

/// The body of `PATCH /v4/personal-page/me`: only the fields sent change; `null` clears a text
/// field (for a flag, a list or `onlineProfiles` it changes nothing); a list sent
/// (`meetingTypeOrder`, `customLinks`) is the new list.
#[allow(dead_code)] // a schema only: the handler reads `personal_pages::PersonalPageInput`
#[derive(ToSchema)]
#[serde(rename_all = "camelCase")]
struct PersonalPageInput {
    use_custom_colors: Option<bool>,
    #[schema(schema_with = color)]
    primary_color: Option<String>,
    #[schema(schema_with = color)]
    secondary_color: Option<String>,
    /// An absolute http or https URL.
    #[schema(schema_with = url)]
    header_image: Option<String>,
    /// At most 2000 characters.
    #[schema(max_length = 2000)]
    description: Option<String>,
    show_all_meeting_types: Option<bool>,
    /// Up to 100 of the acting user's meeting types, each once (else 400; one already in the
    /// stored order stays acceptable after its meeting type is deleted).
    #[schema(schema_with = order)]
    meeting_type_order: Option<Vec<String>>,
    online_profiles: Option<OnlineProfilesInput>,
}

/// Profile links; each field as in the page's body (absent stays, null clears).
#[allow(dead_code)]
#[derive(ToSchema)]
#[serde(rename_all = "camelCase")]
struct OnlineProfilesInput {
    #[schema(schema_with = url)]
    linked_in: Option<String>,
    #[schema(schema_with = url)]
    facebook: Option<String>,
    #[schema(schema_with = url)]
    twitter: Option<String>,
    #[schema(schema_with = url)]
    instagram: Option<String>,
    #[schema(schema_with = url)]
    xing: Option<String>,
    /// Up to 40 digits, spaces and `+ - ( ) . /`.
    #[schema(schema_with = phone)]
    phone: Option<String>,
    #[schema(schema_with = schemas::email_or_null)]
    email: Option<String>,
    #[schema(max_length = 100)]
    street: Option<String>,
    #[schema(max_length = 100)]
    zip: Option<String>,
    #[schema(max_length = 100)]
    city: Option<String>,
    #[schema(max_length = 100)]
    country: Option<String>,
    /// Up to 10 links.
    #[schema(schema_with = custom_links)]
    custom_links: Option<Vec<CustomLinkInput>>,
}

#[allow(dead_code)]
#[derive(ToSchema)]
struct CustomLinkInput {
    #[schema(schema_with = link_name)]
    name: String,
    #[schema(schema_with = url_required)]
    url: String,
    /// At most 50 characters.
    #[schema(max_length = 50)]
    icon: Option<String>,
}

fn color() -> RefOr<Schema> {
    schemas::pattern_or_null("^#[0-9A-Fa-f]{6}$", Some(7))
}

fn url_schema(nullable: bool) -> RefOr<Schema> {
    use utoipa::openapi::schema::{ObjectBuilder, SchemaFormat, SchemaType, Type};
    RefOr::T(Schema::Object(
        ObjectBuilder::new()
            .schema_type(if nullable {
                SchemaType::from_iter([Type::String, Type::Null])
            } else {
                SchemaType::new(Type::String)
            })
            .format(Some(SchemaFormat::Custom("uri".into())))
            .pattern(Some(
                "^[hH][tT][tT][pP][sS]?://[^/?#\\s\\\\]+([/?#][^\\s\\\\]*)?$",
            ))
            .max_length(Some(termin_domain::limits::MAX_URL_CHARS))
            .build(),
    ))
}

fn url() -> RefOr<Schema> {
    url_schema(true)
}

fn url_required() -> RefOr<Schema> {
    url_schema(false)
}

fn phone() -> RefOr<Schema> {
    let max = termin_domain::validate::MAX_PHONE_CHARS;
    schemas::pattern_or_null(&format!("^{}$", schemas::PHONE), Some(max))
}

fn link_name() -> RefOr<Schema> {
    RefOr::T(Schema::Object(schemas::text(100, false).build()))
}

fn order() -> RefOr<Schema> {
    schemas::array(schemas::uuid(), 0, 100, true)
}

fn custom_links() -> RefOr<Schema> {
    schemas::array(
        RefOr::Ref(utoipa::openapi::Ref::from_schema_name("CustomLinkInput")),
        0,
        10,
        true,
    )
}

/// The acting user's personal page settings (defaults until first changed).
#[utoipa::path(get, path = "/v4/personal-page/me", tag = "users",
    security(("bearer" = []), ("session" = [])),
    responses((status = 200, body = PersonalPageView)))]
async fn get_personal_page(
    State(state): State<AppState>,
    Caller(caller): Caller,
) -> ApiResult<Json<PersonalPageView>> {
    Ok(Json(
        personal_pages::get(&state.service, &caller).await?.into(),
    ))
}

/// Changes the acting user's personal page settings; only the fields sent change.
#[utoipa::path(patch, path = "/v4/personal-page/me", tag = "users",
    request_body = PersonalPageInput, security(("bearer" = []), ("session" = [])),
    responses((status = 200, body = PersonalPageView), (status = 400, body = crate::http::error::ErrorBody)))]
async fn update_personal_page(
    State(state): State<AppState>,
    Caller(caller): Caller,
    ApiJson(input): ApiJson<personal_pages::PersonalPageInput>,
) -> ApiResult<Json<PersonalPageView>> {
    Ok(Json(
        personal_pages::update(&state.service, &caller, &input)
            .await?
            .into(),
    ))
}
