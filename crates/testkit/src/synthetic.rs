//! Synthetic target users for the benchmarks: varied names (some non-ASCII), departments,
//! priorities, one in ten inactive, creation times spread over a year.

use rollcall_store::TargetUserFields;

const FIRST: &[&str] = &[
    "Anna", "Bruno", "Chloé", "Deniz", "Elif", "Farid", "Greta", "Hugo", "Ines", "Jonas", "Kaito",
    "Lena", "Mateo", "Nora", "Oskar", "Priya",
];
const LAST: &[&str] = &[
    "Smith",
    "García",
    "Müller",
    "Rossi",
    "Dubois",
    "Kowalski",
    "Yılmaz",
    "Andersson",
    "Nakamura",
    "Okafor",
    "Silva",
    "Novák",
];
const DEPTS: &[&str] = &[
    "Finance",
    "Engineering",
    "Sales",
    "Marketing",
    "HR",
    "Legal",
    "Operations",
    "IT Support",
];

/// User number `n`, created some time before `now` (UTC milliseconds): its fields and
/// creation time.
pub fn user(n: u64, now: i64) -> (TargetUserFields, i64) {
    let first = FIRST[(n % FIRST.len() as u64) as usize];
    let last = LAST[((n / 7) % LAST.len() as u64) as usize];
    (
        TargetUserFields {
            email: format!("user{n}@bigcorp.example"),
            first_name: first.into(),
            last_name: last.into(),
            department: DEPTS[((n / 3) % DEPTS.len() as u64) as usize].into(),
            phone_number: format!("+4420{:08}", n),
            priority: (n % 5) as i64 + 1,
            is_active: !n.is_multiple_of(10),
            time_zone_id: "Europe/London".into(),
            preferred_language_id: String::new(),
            manager_first_name: String::new(),
            manager_last_name: String::new(),
            manager_email: String::new(),
        },
        now - (n as i64 % 365) * 86_400_000 - (n as i64 % 86_400) * 1000,
    )
}
