//! `termin serve --demo`: a ready workspace for trying the API within a minute of cloning.

use termin_domain::credential::{random_base62, Scopes};
use termin_domain::tenancy::{Plan, Role, UserType};
use termin_domain::validate::{Email, Language, PersonName, TimeZoneName};
use termin_service::Service;

use termin_service::{companies, credentials, users};

struct DemoUser {
    role: Role,
    email: &'static str,
    given: &'static str,
    family: &'static str,
}

const USERS: [DemoUser; 3] = [
    DemoUser {
        role: Role::Owner,
        email: "owner@demo.termin.test",
        given: "Olivia",
        family: "Owner",
    },
    DemoUser {
        role: Role::Admin,
        email: "admin@demo.termin.test",
        given: "Adam",
        family: "Admin",
    },
    DemoUser {
        role: Role::Member,
        email: "member@demo.termin.test",
        given: "Mia",
        family: "Member",
    },
];

fn new_user(u: &DemoUser, password: String) -> users::NewUser {
    users::NewUser {
        email: Email::parse(u.email).expect("demo email"),
        given_name: PersonName::parse(u.given).expect("demo name"),
        family_name: PersonName::parse(u.family).expect("demo name"),
        timezone: TimeZoneName::parse("Europe/Berlin").expect("demo zone"),
        language: Language::parse("en").expect("demo language"),
        role: u.role,
        user_type: UserType::Standard,
        password: Some(password),
    }
}

/// Seeds the demo company on an empty database and prints how to use it. On a database that
/// already holds data it seeds nothing: secrets are shown once, so they cannot be shown again.
pub async fn seed_and_print(svc: &Service, smtp: bool) -> anyhow::Result<()> {
    let public_url = &*svc.public_url;
    if !companies::none_yet(svc).await? {
        println!(
            "--demo: the database already has data, so no demo workspace was created.\n\
             Create a token with: termin token create --user EMAIL --name NAME"
        );
        return Ok(());
    }
    let mut lines = Vec::new();
    let mut company_id = None;
    let mut member_id = None;
    let mut admin_pat = String::new();
    for u in &USERS {
        let password = random_base62(16);
        let user = match u.role {
            Role::Owner => {
                let (company, owner) = companies::create_company(
                    svc,
                    "Demo Company",
                    Plan::Platform,
                    new_user(u, password.clone()),
                )
                .await?;
                company_id = Some(company.id);
                owner
            }
            _ => {
                let company = company_id.expect("the owner comes first");
                users::create_user(svc, company, &new_user(u, password.clone())).await?
            }
        };
        if u.role == Role::Member {
            member_id = Some(user.id);
        }
        let (_, pat) =
            credentials::create_pat(svc, user.id, "demo", None, Scopes::unlimited()).await?;
        if u.role == Role::Admin {
            admin_pat = pat.expose().to_owned();
        }
        lines.push(format!(
            "  {:<7} {:<26} password {}\n          PAT {}",
            u.role.as_str(),
            u.email,
            password,
            pat.expose()
        ));
    }
    let company = company_id.expect("seeded");
    let owner = companies::owner(svc, company).await?;
    let (_, key) = credentials::create_api_key(svc, company, owner.id, "demo", 90).await?;
    let member = member_id.expect("seeded member");
    let mail = if smtp {
        "Mail goes out through --smtp-url.".to_owned()
    } else {
        "No --smtp-url: mails are kept, not sent. Read them with `termin mail list` and\n  \
         `termin mail show ID` (same --database-url)."
            .to_owned()
    };
    println!(
        "\nDemo workspace created (company {company}, plan platform). Secrets are shown only now:\n\n{}\n\n  \
         Platform API Key (90 days): {}\n\nTry it:\n  curl -H 'Authorization: Bearer {}' {public_url}/v4/user\n  \
         curl -H 'Authorization: Bearer {}' -H 'x-meetergo-api-user-id: {member}' {public_url}/v4/user/me\n  \
         API reference: {public_url}/docs\n\nBook a meeting as a visitor would: {public_url}/{}/30min\n  {mail}\n\n\
         Dashboard: {public_url}/login\n  Log in with one of the e-mail addresses and passwords above, then open\n  \
         Integrations → API to create a token of your own.\n",
        lines.join("\n"),
        key.expose(),
        admin_pat,
        key.expose(),
        owner.slug,
    );
    Ok(())
}
