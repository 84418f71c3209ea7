//! `/{userSlug}`: the host's personal page.

use askama::Template;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use termin_service::public;

use super::view::{failure, Layout, Page};
use crate::labels::{channel_label, duration_label};
use crate::state::AppState;

pub struct TypeLink {
    pub name: String,
    pub facts: String,
    pub description: Option<String>,
    pub href: String,
}

#[derive(Template)]
#[template(path = "personal.html")]
struct Personal {
    layout: Layout,
    name: String,
    initials: String,
    description: Option<String>,
    header_image: Option<String>,
    links: Vec<(String, String)>,
    address: Option<String>,
    types: Vec<TypeLink>,
}

pub async fn page(State(state): State<AppState>, Path(slug): Path<String>) -> Response {
    if let Some(api) = super::view::not_a_host_path(&slug) {
        return api;
    }
    let found = match public::host_page(&state.service, &slug).await {
        Ok(found) => found,
        Err(e) => return failure(e),
    };
    let host = &found.host;
    let name = host.full_name();
    let initials: String = [&host.given_name, &host.family_name]
        .iter()
        .filter_map(|n| n.chars().next())
        .flat_map(char::to_uppercase)
        .collect();
    let p = &found.page.online_profiles;
    let mut links: Vec<(String, String)> = [
        ("LinkedIn", &p.linked_in),
        ("XING", &p.xing),
        ("Facebook", &p.facebook),
        ("X (Twitter)", &p.twitter),
        ("Instagram", &p.instagram),
    ]
    .into_iter()
    .filter_map(|(label, url)| url.clone().map(|u| (label.to_owned(), u)))
    .collect();
    links.extend(
        p.custom_links
            .iter()
            .map(|l| (l.name.clone(), l.url.clone())),
    );
    if let Some(email) = &p.email {
        links.push((email.clone(), format!("mailto:{email}")));
    }
    if let Some(phone) = &p.phone {
        let digits: String = phone
            .chars()
            .filter(|c| c.is_ascii_digit() || *c == '+')
            .collect();
        links.push((phone.clone(), format!("tel:{digits}")));
    }
    let address = [&p.street, &p.zip, &p.city, &p.country]
        .iter()
        .filter_map(|part| part.as_deref())
        .collect::<Vec<_>>()
        .join(", ");
    let types = found
        .meeting_types
        .iter()
        .map(|mt| {
            let info = &mt.settings.meeting_info;
            TypeLink {
                name: info.name.clone(),
                facts: format!(
                    "{} · {}",
                    duration_label(info.duration),
                    channel_label(&info.channel)
                ),
                description: info.description.clone(),
                href: format!("/{}/{}", host.slug, mt.record.slug),
            }
        })
        .collect();
    let page = Personal {
        layout: Layout::new(name.clone()).with_colors(&found.page),
        initials,
        description: found.page.description.clone(),
        header_image: found.page.header_image.clone(),
        links,
        address: (!address.is_empty()).then_some(address),
        types,
        name,
    };
    Page::render(&page).into_response()
}
