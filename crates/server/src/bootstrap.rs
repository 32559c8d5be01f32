//! First start: a root reseller company and one Reseller client; `--demo` customers.

use rollcall_store::catalog::{DEFAULT_LICENSE_PERIOD, DEFAULT_LICENSE_TYPE};
use rollcall_store::{Actor, CompanyFields, NewClient, Role, UserLinks, STATUS_ACTIVE};

use crate::auth::secret::{hash_secret, random_secret};
use crate::state::AppState;

/// The credential created on an empty database. Shown once.
#[derive(Debug, Clone)]
pub struct BootstrapCredentials {
    /// The root company's resource id.
    pub company_resource_id: String,
    /// OAuth client id.
    pub client_id: String,
    /// OAuth client secret (stored only as a hash).
    pub client_secret: String,
}

/// Creates the root reseller company and its first client when the database has no company.
/// Replicas starting together agree on one bootstrapper through a settings row.
pub async fn bootstrap(state: &AppState) -> anyhow::Result<Option<BootstrapCredentials>> {
    if state.store.company_count().await? > 0 {
        return Ok(None);
    }
    let ticket = random_secret(16);
    if state
        .store
        .setting_or_init("bootstrap_owner", &ticket)
        .await?
        != ticket
    {
        return Ok(None);
    }
    let company = state
        .store
        .insert_company(
            None,
            &CompanyFields {
                name: "rollcall".into(),
                description: Some("Root reseller company created on first start".into()),
                license_type_id: Some(DEFAULT_LICENSE_TYPE.into()),
                license_period_type_id: Some(DEFAULT_LICENSE_PERIOD.into()),
                status_id: STATUS_ACTIVE,
                ..CompanyFields::default()
            },
            // The server's own writes are audited as `system`.
            &Actor::system(),
        )
        .await?;
    let client_id = state
        .config
        .bootstrap_client_id
        .clone()
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| {
            format!(
                "rollcall-{}",
                rollcall_store::new_resource_id().to_ascii_lowercase()
            )
        });
    let client_secret = state
        .config
        .bootstrap_client_secret
        .clone()
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| random_secret(32));
    let secret_hash = hash_secret(&state.hasher, client_secret.clone())
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    state
        .store
        .insert_client(
            &NewClient {
                company_id: company.id,
                name: "Bootstrap reseller client".into(),
                client_id: client_id.clone(),
                secret_hash,
                role: Role::Reseller,
                status_id: STATUS_ACTIVE,
                has_ip_restriction: false,
                allowed_ips: vec![],
            },
            &Actor::system(),
        )
        .await?;
    // Remembered so that --demo on a later start finds the root without guessing its id.
    state
        .store
        .setting_or_init(ROOT_COMPANY_SETTING, &company.resource_id)
        .await?;
    Ok(Some(BootstrapCredentials {
        company_resource_id: company.resource_id,
        client_id,
        client_secret,
    }))
}

/// A demo customer.
struct DemoCompany {
    name: &'static str,
    industry: &'static str,
    licence_limit: Option<i64>,
    tags: &'static [&'static str],
    licence_ends_in_days: i64,
}

const DEMO_COMPANIES: &[DemoCompany] = &[
    DemoCompany {
        name: "Acme Logistics",
        industry: "IndLogistics",
        licence_limit: Some(250),
        tags: &["emea", "gold"],
        licence_ends_in_days: 300,
    },
    DemoCompany {
        name: "Globex Health",
        industry: "IndHealthcar",
        licence_limit: Some(100),
        tags: &["us"],
        licence_ends_in_days: 45,
    },
    DemoCompany {
        name: "Initech Bank",
        industry: "IndBankingFi",
        licence_limit: None,
        tags: &["emea", "finance"],
        licence_ends_in_days: 700,
    },
    DemoCompany {
        name: "Umbrella Retail",
        industry: "IndRetail000",
        licence_limit: Some(50),
        tags: &["apac"],
        licence_ends_in_days: -20,
    },
];

/// Settings row holding the root company's resource id.
const ROOT_COMPANY_SETTING: &str = "root_company";

/// Seeds demo customer companies below the root, once per database.
pub async fn seed_demo(state: &AppState) -> anyhow::Result<()> {
    let ticket = random_secret(16);
    if state.store.setting_or_init("demo_seeded", &ticket).await? != ticket {
        return Ok(());
    }
    let root_id = state
        .store
        .setting_or_init(ROOT_COMPANY_SETTING, "")
        .await?;
    let Some(root) = state.store.company_by_resource_id(&root_id).await? else {
        anyhow::bail!("--demo: the root company created on first start no longer exists");
    };
    let now = crate::time::now_millis();
    for (i, demo) in DEMO_COMPANIES.iter().enumerate() {
        let company = state
            .store
            .insert_company(
                Some(&root),
                &CompanyFields {
                    name: demo.name.into(),
                    industry_id: Some(demo.industry.into()),
                    license_type_id: Some(DEFAULT_LICENSE_TYPE.into()),
                    license_period_type_id: Some(DEFAULT_LICENSE_PERIOD.into()),
                    is_number_of_users_limited: demo.licence_limit.is_some(),
                    number_of_users: demo.licence_limit,
                    license_start_date: Some(now - 365 * 86_400_000),
                    license_end_date: Some(now + demo.licence_ends_in_days * 86_400_000),
                    status_id: STATUS_ACTIVE,
                    tags: demo.tags.iter().map(|t| (*t).to_owned()).collect(),
                    ..CompanyFields::default()
                },
                &Actor::system(),
            )
            .await?;
        seed_demo_users(state, company.id, demo.name, 150 + 60 * i as u64, i as u64).await?;
    }
    Ok(())
}

const FIRST_NAMES: &[&str] = &[
    "Olivia", "Liam", "Emma", "Noah", "Ava", "Mateo", "Sofía", "Lukas", "Zoë", "Mehmet", "Ayşe",
    "Chloé", "Jörg", "Priya", "Hiroshi", "Fatima", "Oskar", "Ingrid", "Diego", "Amara", "Wei",
    "Nora", "Tomás", "Elif",
];
const LAST_NAMES: &[&str] = &[
    "Smith",
    "García",
    "Müller",
    "Rossi",
    "Dubois",
    "Kowalski",
    "Yılmaz",
    "Andersson",
    "O'Brien",
    "Nakamura",
    "Okafor",
    "Silva",
    "Novák",
    "Jensen",
    "Patel",
    "Chen",
    "Larsen",
    "Moreau",
];
const DEPARTMENTS: &[&str] = &[
    "Finance",
    "Engineering",
    "Sales",
    "Marketing",
    "HR",
    "Legal",
    "Operations",
    "IT Support",
    "Customer Success",
];
const TIME_ZONES: &[&str] = &[
    "Europe/London",
    "Europe/Berlin",
    "America/New_York",
    "Asia/Tokyo",
    "Europe/Istanbul",
];

/// Realistic users for one demo company: mixed statuses, departments and priorities, created
/// across the last twelve months, about one in twelve deleted.
async fn seed_demo_users(
    state: &AppState,
    company_id: i64,
    company: &str,
    count: u64,
    seed: u64,
) -> anyhow::Result<()> {
    use rand::{Rng, SeedableRng};
    let mut rng = rand::rngs::StdRng::seed_from_u64(0x5eed_0000 + seed);
    let domain: String = company
        .split_whitespace()
        .next()
        .unwrap_or("example")
        .to_ascii_lowercase()
        + ".example";
    let now = crate::time::now_millis();
    for n in 0..count {
        let first = FIRST_NAMES[rng.gen_range(0..FIRST_NAMES.len())];
        let last = LAST_NAMES[rng.gen_range(0..LAST_NAMES.len())];
        // Transliterated, as people write their names in addresses: Zoë becomes zoe, not zo.
        let ascii = |s: &str| {
            deunicode::deunicode(s)
                .chars()
                .filter(char::is_ascii_alphanumeric)
                .collect::<String>()
                .to_ascii_lowercase()
        };
        let fields = rollcall_store::TargetUserFields {
            email: format!("{}.{}{}@{domain}", ascii(first), ascii(last), n),
            first_name: first.into(),
            last_name: last.into(),
            department: DEPARTMENTS[rng.gen_range(0..DEPARTMENTS.len())].into(),
            phone_number: format!("+4420{:08}", rng.gen_range(0..100_000_000u32)),
            priority: rng.gen_range(1..=5),
            is_active: rng.gen_bool(0.85),
            time_zone_id: TIME_ZONES[rng.gen_range(0..TIME_ZONES.len())].into(),
            preferred_language_id: String::new(),
            manager_first_name: if rng.gen_bool(0.6) {
                FIRST_NAMES[rng.gen_range(0..FIRST_NAMES.len())].into()
            } else {
                String::new()
            },
            manager_last_name: String::new(),
            manager_email: String::new(),
        };
        let mut fields = fields;
        if !fields.manager_first_name.is_empty() {
            fields.manager_last_name = LAST_NAMES[rng.gen_range(0..LAST_NAMES.len())].into();
            fields.manager_email = format!(
                "{}.{}@{domain}",
                ascii(&fields.manager_first_name),
                ascii(&fields.manager_last_name)
            );
        }
        let created = now - rng.gen_range(0..365 * 86_400_000_i64);
        let user = state
            .store
            .insert_target_user(
                company_id,
                &fields,
                created,
                &UserLinks::default(),
                &Actor::system(),
            )
            .await?;
        if rng.gen_ratio(1, 12) {
            state
                .store
                .delete_target_user(company_id, &user.resource_id, &Actor::system())
                .await?;
        }
    }
    Ok(())
}
