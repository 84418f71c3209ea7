//! The JSON of `termin_service::users` as the API sends and takes it, with its OpenAPI
//! schema. Conversions to and from the service's own types are field for field.

use serde::Serialize;
use termin_domain::tenancy::{Role, UserType};
use termin_domain::{CompanyId, UserId};
use termin_service::users as svc;
use utoipa::ToSchema;

/// The user object of the API.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct UserView {
    #[schema(value_type = String, format = Uuid)]
    pub id: UserId,
    pub email: String,
    pub given_name: String,
    pub family_name: String,
    pub full_name: String,
    pub slug: String,
    pub timezone: String,
    pub language: String,
    #[schema(value_type = String, example = "member")]
    pub role: Role,
    pub is_admin: bool,
    #[schema(value_type = String, example = "standard")]
    pub user_type: UserType,
    #[schema(value_type = String, format = Uuid)]
    pub company_id: CompanyId,
    #[schema(value_type = String)]
    #[serde(serialize_with = "termin_service::wire_time::serialize")]
    pub created_at: jiff::Timestamp,
    #[schema(value_type = String)]
    #[serde(serialize_with = "termin_service::wire_time::serialize")]
    pub updated_at: jiff::Timestamp,
}

impl From<svc::UserView> for UserView {
    fn from(v: svc::UserView) -> Self {
        Self {
            id: v.id,
            email: v.email,
            given_name: v.given_name,
            family_name: v.family_name,
            full_name: v.full_name,
            slug: v.slug,
            timezone: v.timezone,
            language: v.language,
            role: v.role,
            is_admin: v.is_admin,
            user_type: v.user_type,
            company_id: v.company_id,
            created_at: v.created_at,
            updated_at: v.updated_at,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The API's user is the `new_employee` event's user.
    #[test]
    fn the_api_writes_what_webhook_events_write() {
        let view = svc::UserView {
            id: UserId::new(),
            email: "ada@example.com".into(),
            given_name: "Ada".into(),
            family_name: "Lovelace".into(),
            full_name: "Ada Lovelace".into(),
            slug: "ada-lovelace".into(),
            timezone: "Europe/London".into(),
            language: "en".into(),
            role: Role::Admin,
            is_admin: true,
            user_type: UserType::ApiPlatform,
            company_id: CompanyId::new(),
            created_at: "2030-01-01T00:00:00Z".parse().unwrap(),
            updated_at: "2030-01-02T03:04:05.06Z".parse().unwrap(),
            deactivated: false,
        };
        let service = serde_json::to_value(&view).unwrap();
        assert_eq!(serde_json::to_value(UserView::from(view)).unwrap(), service);
    }
}
