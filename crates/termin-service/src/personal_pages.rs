//! A user's personal page settings (meetergo's `GET|PATCH /v4/personal-page/me`): colours, a
//! header image, a description, which meeting types show and in what order, and profile links.
//! The public page at `/{userSlug}` is drawn from these.

use serde::{Deserialize, Serialize};
use termin_domain::credential::ScopeGroup;
use termin_domain::principal::Principal;
use termin_domain::validate::{check_color, check_phone, Email};
use termin_domain::MeetingTypeId;
use termin_storage::{meeting_types, personal_pages};

use crate::contacts::present;
use crate::error::{ServiceError, ServiceResult, Validator};
use crate::Service;

pub const MAX_DESCRIPTION_CHARS: usize = 2000;
pub const MAX_ORDERED_MEETING_TYPES: usize = 100;
pub const MAX_CUSTOM_LINKS: usize = 10;
pub const MAX_LINK_NAME_CHARS: usize = 100;
pub const MAX_ICON_CHARS: usize = 50;
pub const MAX_ADDRESS_CHARS: usize = 100;

/// The settings as stored and shown.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct PersonalPage {
    /// The colours below apply only when this is on.
    pub use_custom_colors: bool,
    pub primary_color: Option<String>,
    pub secondary_color: Option<String>,
    pub header_image: Option<String>,
    pub description: Option<String>,
    /// Show every enabled meeting type (those not in `meetingTypeOrder` after the ordered ones),
    /// or only the ordered ones.
    pub show_all_meeting_types: bool,
    pub meeting_type_order: Vec<MeetingTypeId>,
    pub online_profiles: OnlineProfiles,
}

impl Default for PersonalPage {
    fn default() -> Self {
        Self {
            use_custom_colors: false,
            primary_color: None,
            secondary_color: None,
            header_image: None,
            description: None,
            show_all_meeting_types: true,
            meeting_type_order: Vec::new(),
            online_profiles: OnlineProfiles::default(),
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct OnlineProfiles {
    pub linked_in: Option<String>,
    pub facebook: Option<String>,
    pub twitter: Option<String>,
    pub instagram: Option<String>,
    pub xing: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub street: Option<String>,
    pub zip: Option<String>,
    pub city: Option<String>,
    pub country: Option<String>,
    pub custom_links: Vec<CustomLink>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CustomLink {
    pub name: String,
    pub url: String,
    #[serde(default)]
    pub icon: Option<String>,
}

/// A change: an absent field stays; `null` clears a text field (for a flag, a list or
/// `onlineProfiles` it changes nothing); a list sent is the new list.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PersonalPageInput {
    pub use_custom_colors: Option<bool>,
    #[serde(default, deserialize_with = "present")]
    pub primary_color: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    pub secondary_color: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    pub header_image: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    pub description: Option<Option<String>>,
    pub show_all_meeting_types: Option<bool>,
    pub meeting_type_order: Option<Vec<MeetingTypeId>>,
    pub online_profiles: Option<OnlineProfilesInput>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OnlineProfilesInput {
    #[serde(default, deserialize_with = "present")]
    pub linked_in: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    pub facebook: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    pub twitter: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    pub instagram: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    pub xing: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    pub phone: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    pub email: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    pub street: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    pub zip: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    pub city: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    pub country: Option<Option<String>>,
    pub custom_links: Option<Vec<CustomLink>>,
}

/// The acting user's settings (the defaults when never changed).
pub async fn get(svc: &Service, caller: &Principal) -> ServiceResult<PersonalPage> {
    caller.require_scope(ScopeGroup::Account)?;
    let mut conn = svc.db.conn().await?;
    read(&mut conn, caller).await
}

async fn read(
    conn: &mut termin_storage::PooledConnection,
    caller: &Principal,
) -> ServiceResult<PersonalPage> {
    of_user(conn, caller.user_id).await
}

/// A user's settings (the defaults when never changed), for their public page.
pub async fn of_user(
    conn: &mut termin_storage::Connection,
    user: termin_domain::UserId,
) -> ServiceResult<PersonalPage> {
    match personal_pages::find(conn, user).await? {
        Some(json) => serde_json::from_str(&json).map_err(ServiceError::internal),
        None => Ok(PersonalPage::default()),
    }
}

/// Changes the acting user's settings: only what is sent changes; every problem is named.
pub async fn update(
    svc: &Service,
    caller: &Principal,
    input: &PersonalPageInput,
) -> ServiceResult<PersonalPage> {
    caller.require_scope(ScopeGroup::Account)?;
    let mut v = Validator::new();
    let color = |v: &mut Validator, field: &str, value: &Option<Option<String>>| {
        if let Some(Some(c)) = value {
            if let Err(m) = check_color(c) {
                v.fail(field, m);
            }
        }
    };
    color(&mut v, "primaryColor", &input.primary_color);
    color(&mut v, "secondaryColor", &input.secondary_color);
    if let Some(Some(url)) = &input.header_image {
        check_url(&mut v, "headerImage", url);
    }
    if let Some(Some(d)) = &input.description {
        if d.chars().count() > MAX_DESCRIPTION_CHARS {
            v.fail(
                "description",
                format!("must be at most {MAX_DESCRIPTION_CHARS} characters"),
            );
        }
    }
    if let Some(p) = &input.online_profiles {
        check_profiles(&mut v, p);
    }
    let mut tx = svc.db.begin_write().await?;
    // Two changes at once on PostgreSQL would each read the other's old document and write it
    // back: the user's row lock makes them take turns.
    termin_storage::users::lock(&mut tx, caller.user_id).await?;
    let mut page = match personal_pages::find(&mut tx, caller.user_id).await? {
        Some(json) => serde_json::from_str(&json).map_err(ServiceError::internal)?,
        None => PersonalPage::default(),
    };
    if let Some(order) = &input.meeting_type_order {
        if order.len() > MAX_ORDERED_MEETING_TYPES {
            v.fail(
                "meetingTypeOrder",
                format!("must have at most {MAX_ORDERED_MEETING_TYPES} entries"),
            );
        } else {
            let mine: Vec<MeetingTypeId> = meeting_types::list_for_user(&mut tx, caller.user_id)
                .await?
                .into_iter()
                .map(|m| m.id)
                .collect();
            for (i, id) in order.iter().enumerate() {
                // An id already in the order stays acceptable after its meeting type is
                // deleted, so that a page read and sent back whole is taken.
                if !mine.contains(id) && !page.meeting_type_order.contains(id) {
                    v.fail(
                        &format!("meetingTypeOrder[{i}]"),
                        "is not one of your meeting types",
                    );
                } else if order[..i].contains(id) {
                    v.fail(&format!("meetingTypeOrder[{i}]"), "is listed twice");
                }
            }
        }
    }
    v.finish()?;
    apply(&mut page, input);
    let json = serde_json::to_string(&page).map_err(ServiceError::internal)?;
    personal_pages::store(&mut tx, caller.user_id, &json, svc.now()).await?;
    tx.commit().await?;
    Ok(page)
}

fn set<T: Clone>(target: &mut Option<T>, value: &Option<Option<T>>) {
    if let Some(value) = value {
        *target = value.clone();
    }
}

fn apply(page: &mut PersonalPage, input: &PersonalPageInput) {
    if let Some(on) = input.use_custom_colors {
        page.use_custom_colors = on;
    }
    set(&mut page.primary_color, &input.primary_color);
    set(&mut page.secondary_color, &input.secondary_color);
    set(&mut page.header_image, &input.header_image);
    set(&mut page.description, &input.description);
    if let Some(all) = input.show_all_meeting_types {
        page.show_all_meeting_types = all;
    }
    if let Some(order) = &input.meeting_type_order {
        page.meeting_type_order = order.clone();
    }
    if let Some(p) = &input.online_profiles {
        let o = &mut page.online_profiles;
        set(&mut o.linked_in, &p.linked_in);
        set(&mut o.facebook, &p.facebook);
        set(&mut o.twitter, &p.twitter);
        set(&mut o.instagram, &p.instagram);
        set(&mut o.xing, &p.xing);
        set(&mut o.phone, &p.phone);
        set(
            &mut o.email,
            &p.email.clone().map(|e| e.map(|e| e.to_lowercase())),
        );
        set(&mut o.street, &p.street);
        set(&mut o.zip, &p.zip);
        set(&mut o.city, &p.city);
        set(&mut o.country, &p.country);
        if let Some(links) = &p.custom_links {
            o.custom_links = links.clone();
        }
    }
}

/// An absolute http or https URL of at most 2048 characters.
fn check_url(v: &mut Validator, field: &str, raw: &str) {
    let max = termin_domain::limits::MAX_URL_CHARS;
    let lower = raw.get(..8).unwrap_or(raw).to_ascii_lowercase();
    let ok = raw.chars().count() <= max
        && (lower.starts_with("http://") || lower.starts_with("https://"))
        && !raw
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || c == '\\')
        && url::Url::parse(raw).is_ok_and(|u| {
            matches!(u.scheme(), "http" | "https") && u.host_str().is_some_and(|h| !h.is_empty())
        });
    if !ok {
        v.fail(
            field,
            format!("must be an absolute http or https URL of at most {max} characters"),
        );
    }
}

fn check_profiles(v: &mut Validator, p: &OnlineProfilesInput) {
    for (name, value) in [
        ("linkedIn", &p.linked_in),
        ("facebook", &p.facebook),
        ("twitter", &p.twitter),
        ("instagram", &p.instagram),
        ("xing", &p.xing),
    ] {
        if let Some(Some(url)) = value {
            check_url(v, &format!("onlineProfiles.{name}"), url);
        }
    }
    if let Some(Some(phone)) = &p.phone {
        if let Err(m) = check_phone(phone) {
            v.fail("onlineProfiles.phone", m);
        }
    }
    if let Some(Some(email)) = &p.email {
        if let Err(m) = Email::parse(email) {
            v.fail("onlineProfiles.email", m);
        }
    }
    for (name, value) in [
        ("street", &p.street),
        ("zip", &p.zip),
        ("city", &p.city),
        ("country", &p.country),
    ] {
        if value
            .as_ref()
            .and_then(|v| v.as_ref())
            .is_some_and(|s| s.chars().count() > MAX_ADDRESS_CHARS)
        {
            v.fail(
                &format!("onlineProfiles.{name}"),
                format!("must be at most {MAX_ADDRESS_CHARS} characters"),
            );
        }
    }
    if let Some(links) = &p.custom_links {
        if links.len() > MAX_CUSTOM_LINKS {
            v.fail(
                "onlineProfiles.customLinks",
                format!("must have at most {MAX_CUSTOM_LINKS} entries"),
            );
        }
        for (i, link) in links.iter().enumerate() {
            let at = |f: &str| format!("onlineProfiles.customLinks[{i}].{f}");
            if link.name.trim().is_empty() || link.name.chars().count() > MAX_LINK_NAME_CHARS {
                v.fail(
                    &at("name"),
                    format!("must be 1 to {MAX_LINK_NAME_CHARS} characters"),
                );
            }
            check_url(v, &at("url"), &link.url);
            if link
                .icon
                .as_ref()
                .is_some_and(|i| i.chars().count() > MAX_ICON_CHARS)
            {
                v.fail(
                    &at("icon"),
                    format!("must be at most {MAX_ICON_CHARS} characters"),
                );
            }
        }
    }
}
