//! Invented but plausible names for synthetic agencies and provider
//! organisations (community providers weighted by how often they hold
//! contracts; NHS trusts, rehabilitation services and prison providers).

/// Community adult providers and their weights ("NHS" means an NHS trust runs the service).
pub const COMMUNITY_PROVIDERS: &[(&str, f64)] = &[
    ("Change Grow Live", 34.0),
    ("Turning Point", 15.0),
    ("With You", 14.0),
    ("Humankind", 7.0),
    ("Phoenix Futures", 4.0),
    ("Cranstoun", 3.0),
    ("Forward Trust", 3.0),
    ("Via", 3.0),
    ("NHS", 17.0),
];
/// Invented NHS trusts running community, alcohol and inpatient services.
pub const NHS_TRUSTS: &[&str] = &[
    "Riverside Mental Health NHS Foundation Trust",
    "Northgate Partnership NHS Trust",
    "Southern Vale NHS Foundation Trust",
    "Fenland Community Health NHS Trust",
    "Pennine Ridge Care NHS Foundation Trust",
    "Thameside Health NHS Foundation Trust",
];
/// First words of residential rehabilitation service names.
pub const REHAB_STEMS: &[&str] = &[
    "Oakwood",
    "Willow",
    "Elmfield",
    "Ashcroft",
    "Meadowbank",
    "Harbour",
    "Beacon",
    "Brookside",
    "Larchmere",
    "Hollybank",
    "Fernlea",
    "Kestrel",
    "Rowan",
    "Heatherdale",
    "Cedar",
    "Linden",
    "Foxglove",
    "Stonebridge",
    "Greystones",
    "Bramley",
    "Hawthorn",
    "Moorview",
    "Seacroft",
    "Wren",
    "Juniper",
];
/// Last words of residential rehabilitation service names.
pub const REHAB_SUFFIXES: &[&str] = &[
    "House",
    "Lodge",
    "Recovery Centre",
    "Residential Rehabilitation",
];
/// Providers of residential rehabilitation.
pub const REHAB_PROVIDERS: &[&str] = &[
    "Phoenix Futures",
    "Nelson Trust",
    "Broadway Lodge Trust",
    "Kenward Trust",
    "Yeldall Manor",
    "Jubilee Recovery",
];
/// Providers of substance misuse services in prisons and secure settings.
pub const PRISON_PROVIDERS: &[&str] = &[
    "Forward Trust",
    "Change Grow Live",
    "Practice Plus Group",
    "Spectrum Community Health CIC",
    "Humankind",
];
/// Providers of young people's services ("the local authority" means the council itself).
pub const YP_PROVIDERS: &[&str] = &[
    "Change Grow Live",
    "We Are With You",
    "Turning Point",
    "Catch22",
    "Young Minds Matter",
    "the local authority",
];
