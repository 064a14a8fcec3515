//! The evaluation itself. Indexes are built once per call so the work is linear in the size of
//! the world (see docs/coverage-rules.md for every rule and boundary decision).

use std::borrow::Cow;
use std::cmp::Reverse;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::hash::{BuildHasherDefault, Hasher};

use chrono::NaiveDate;

use super::model::{
    Agreement, AgreementKind, App, Clause, Environment, FlyOrg, Party, Phi, Policy, Role, Service,
    ServiceProvisioning, Standing, Status, World,
};
use super::report::{
    Expiring, Finding, Report, RuleId, ServiceReport, Severity, Subject, SubjectKind, Summary, Verdict,
};
use crate::catalog::{Eligibility, Vendor, FLY};

/// FxHash (as in rustc): the keys are ids from the workspace's own data, so a fast
/// non-cryptographic hash is fine and keeps big worlds quick without another dependency.
#[derive(Default, Clone, Copy)]
struct FxHasher(u64);

impl FxHasher {
    fn add(&mut self, word: u64) {
        const SEED: u64 = 0x51_7c_c1_b7_27_22_0a_95;
        self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(SEED);
    }
}

impl Hasher for FxHasher {
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for chunk in &mut chunks {
            let mut word = [0u8; 8];
            word.copy_from_slice(chunk);
            self.add(u64::from_le_bytes(word));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            // The tail (1 to 7 bytes) as one word; its length tells it apart from zero bytes.
            let mut word = (rest.len() as u64) << 59;
            for (k, &b) in rest.iter().enumerate() {
                word ^= u64::from(b) << (8 * k);
            }
            self.add(word);
        }
    }

    fn write_u8(&mut self, i: u8) {
        self.add(u64::from(i));
    }

    fn write_u32(&mut self, i: u32) {
        self.add(u64::from(i));
    }

    fn write_u64(&mut self, i: u64) {
        self.add(i);
    }

    fn write_usize(&mut self, i: usize) {
        self.add(i as u64);
    }

    fn finish(&self) -> u64 {
        // The multiply leaves the low bits poorly mixed and hash tables index by them; the
        // rotation brings the well-mixed high bits down (as rustc-hash 2 does).
        self.0.rotate_left(26)
    }
}

type FastMap<K, V> = HashMap<K, V, BuildHasherDefault<FxHasher>>;
type FastSet<K> = HashSet<K, BuildHasherDefault<FxHasher>>;

fn hash_bytes(bytes: &[u8]) -> u64 {
    let mut h = FxHasher::default();
    h.write(bytes);
    h.finish()
}

/// A set of byte strings numbered in insertion order, kept in one arena so that a lookup compares
/// against contiguous memory instead of following a pointer to each candidate key (the lookups
/// per service are the hot path of big worlds).
#[derive(Default)]
struct Table {
    arena: Vec<u8>,
    /// Key `i` is `arena[ends[i - 1]..ends[i]]` (from 0 for the first).
    ends: Vec<usize>,
    hashes: Vec<u64>,
    /// Open addressing: 0 is empty, else key number + 1.
    slots: Vec<u32>,
    /// 64 minus log2 of the number of slots: a slot index is the top bits of hash times a
    /// constant (Fibonacci hashing).
    shift: u32,
}

impl Table {
    fn with_capacity(keys: usize, bytes: usize) -> Self {
        let mut table = Self {
            arena: Vec::with_capacity(bytes),
            ends: Vec::with_capacity(keys),
            hashes: Vec::with_capacity(keys),
            slots: Vec::new(),
            shift: 64,
        };
        table.rehash((keys * 2).next_power_of_two().max(16));
        table
    }

    fn len(&self) -> usize {
        self.ends.len()
    }

    fn key(&self, i: usize) -> &[u8] {
        let start = if i == 0 { 0 } else { self.ends[i - 1] };
        &self.arena[start..self.ends[i]]
    }

    fn slot(&self, hash: u64) -> usize {
        (hash.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> self.shift) as usize
    }

    fn rehash(&mut self, size: usize) {
        self.slots.clear();
        self.slots.resize(size, 0);
        self.shift = 64 - size.trailing_zeros();
        let mask = size - 1;
        for (i, &h) in self.hashes.iter().enumerate() {
            let mut at = self.slot(h);
            while self.slots[at] != 0 {
                at = (at + 1) & mask;
            }
            self.slots[at] = u32::try_from(i + 1).unwrap_or(u32::MAX);
        }
    }

    /// The slot where `key` is, or the empty one where it would go.
    fn find(&self, key: &[u8], hash: u64) -> (usize, Option<usize>) {
        let mask = self.slots.len() - 1;
        let mut at = self.slot(hash);
        loop {
            match self.slots[at] {
                0 => return (at, None),
                n => {
                    let i = n as usize - 1;
                    if self.hashes[i] == hash && self.key(i) == key {
                        return (at, Some(i));
                    }
                }
            }
            at = (at + 1) & mask;
        }
    }

    fn get(&self, key: &[u8]) -> Option<usize> {
        if self.slots.is_empty() {
            return None;
        }
        self.find(key, hash_bytes(key)).1
    }

    /// The number of `key`, and whether it was just added.
    fn insert(&mut self, key: &[u8]) -> (usize, bool) {
        if (self.len() + 1) * 2 > self.slots.len() {
            self.rehash((self.slots.len() * 2).max(16));
        }
        let hash = hash_bytes(key);
        match self.find(key, hash) {
            (_, Some(i)) => (i, false),
            (at, None) => {
                let i = self.len();
                self.arena.extend_from_slice(key);
                self.ends.push(self.arena.len());
                self.hashes.push(hash);
                self.slots[at] = u32::try_from(i + 1).unwrap_or(u32::MAX);
                (i, true)
            }
        }
    }
}

/// Appends a field to a memo key. Keys are UTF-8 text, where the bytes 0xFE and 0xFF never occur,
/// so they end fields (0xFF) and list items (0xFE) unambiguously.
fn put(key: &mut Vec<u8>, text: &str) {
    key.extend_from_slice(text.as_bytes());
    key.push(0xFF);
}

fn put_all(key: &mut Vec<u8>, texts: &[String]) {
    for t in texts {
        key.extend_from_slice(t.as_bytes());
        key.push(0xFE);
    }
    key.push(0xFF);
}

/// How many names a message lists before it says "and N more".
const LIST_LIMIT: usize = 5;

/// Evaluates coverage of `world` on the day `as_of` under `policy`.
pub fn evaluate(world: &World, as_of: NaiveDate, policy: &Policy) -> Report {
    let ix = Index::new(world, as_of, policy);
    let mut memo = Memo::default();
    let mut out = Collector::default();
    let mut services = Vec::with_capacity(world.services.len());
    let mut summary = Summary::default();
    // Recorded orgs (by position in `ix.org_info`) that host or serve a PHI service.
    let mut phi_orgs = vec![false; ix.org_info.len()];
    let mut in_use: FastSet<&str> = FastSet::default();
    let mut platform_in_use = false;
    // Reused for every service so the loop does not allocate for them.
    let mut orgs: Vec<usize> = Vec::new();
    let mut apps: Vec<usize> = Vec::new();

    for service in world.services.iter().filter(|s| s.exists_on(as_of)) {
        summary.services += 1;
        let verdict = match &service.phi {
            Phi::No { reason } if !reason.trim().is_empty() => {
                summary.no_phi += 1;
                Verdict::CoveredNoPhi { reason: reason.clone() }
            }
            phi => {
                summary.phi_services += 1;
                // Everything that depends only on the vendor, product, plan, add-ons, regions and
                // org is resolved once per distinct combination (see `Memo`).
                let chains = memo.resolve(&ix, service, &mut in_use);
                let memo = &memo;
                out.phi_unknown(service, phi, memo.direct(chains.direct));
                ix.orgs_of(service, &mut orgs, &mut apps);
                for &o in &orgs {
                    phi_orgs[o] = true;
                }
                platform_in_use |= matches!(service.provisioning, ServiceProvisioning::Platform { .. });
                out.environment(&ix, service, &orgs);
                out.regions(&ix, service, policy, &apps);
                let verdict = ix.coverage(service, memo, chains, &mut out);
                if verdict.is_covered() {
                    summary.covered_phi += 1;
                } else {
                    summary.uncovered_phi += 1;
                }
                verdict
            }
        };
        services.push(ServiceReport {
            service: service.id.clone(),
            name: service.name.clone(),
            phi: !matches!(verdict, Verdict::CoveredNoPhi { .. }),
            verdict,
        });
    }
    if platform_in_use {
        if let Some(p) = ix.vendor_party.get(FLY) {
            in_use.insert(p.id.as_str());
        }
    }

    out.expired(&ix);
    out.orgs(&ix, &phi_orgs);
    out.apps(&ix);
    out.customers(&ix);
    out.downstream(&ix, in_use);
    let expiring = out.agreements(&ix, policy);

    let findings = sorted(out.findings);
    for f in &findings {
        match f.severity {
            super::Severity::Critical => summary.critical += 1,
            super::Severity::High => summary.high += 1,
            super::Severity::Medium => summary.medium += 1,
            super::Severity::Warning => summary.warning += 1,
            super::Severity::Low => summary.low += 1,
        }
    }
    Report { as_of, services, findings, summary, expiring }
}

/// Findings most severe first, then by rule, subject and explanation; equal keys keep the order
/// they were found in (the same order a stable sort on that key gives). Sorts small keys rather
/// than the findings themselves, comparing strings only when the numeric prefix ties.
fn sorted(findings: Vec<Finding>) -> Vec<Finding> {
    let order: Vec<u32> = {
        let mut keys: Vec<SortKey<'_>> = findings
            .iter()
            .enumerate()
            .map(|(i, f)| SortKey {
                prefix: ((Severity::Critical as u32 - f.severity as u32) << 16)
                    | ((f.rule as u32) << 8)
                    | f.subject.kind as u32,
                head: head(&f.subject.id),
                id: &f.subject.id,
                at: u32::try_from(i).unwrap_or(u32::MAX),
            })
            .collect();
        keys.sort_unstable_by(|a, b| {
            (a.prefix, a.head)
                .cmp(&(b.prefix, b.head))
                .then_with(|| a.id.cmp(b.id))
                .then_with(|| {
                    let (x, y) = (&findings[a.at as usize], &findings[b.at as usize]);
                    (&x.subject.name, &x.explanation).cmp(&(&y.subject.name, &y.explanation))
                })
                .then(a.at.cmp(&b.at))
        });
        keys.into_iter().map(|k| k.at).collect()
    };
    let mut slots: Vec<Option<Finding>> = findings.into_iter().map(Some).collect();
    order.into_iter().filter_map(|i| slots.get_mut(i as usize).and_then(Option::take)).collect()
}

/// Sort key of a finding: severity (most severe first), rule and subject kind packed in `prefix`;
/// the first 16 bytes of the subject id as a big-endian number in `head`, which orders like the
/// id except that ids equal in their first 16 bytes (or differing only by trailing NUL bytes) tie
/// and are then compared in full; `at` is the position found in.
struct SortKey<'a> {
    prefix: u32,
    head: u128,
    id: &'a str,
    at: u32,
}

fn head(id: &str) -> u128 {
    let mut head = 0u128;
    for k in 0..16 {
        head = (head << 8) | u128::from(id.as_bytes().get(k).copied().unwrap_or(0));
    }
    head
}

/// Lookups built once per evaluation.
struct Index<'w> {
    world: &'w World,
    as_of: NaiveDate,
    vendor_party: FastMap<&'w str, &'w Party>,
    catalog: FastMap<&'w str, &'w Vendor>,
    /// Org slug to its position in `org_info` (the last org with that slug, as a map collects).
    orgs: FastMap<&'w str, usize>,
    org_info: Vec<OrgInfo<'w>>,
    /// App name to its position in `app_info` (the last app with that name).
    apps: Table,
    app_info: Vec<AppInfo<'w>>,
    standing: Vec<Standing>,
    /// Party ids (from parties and agreements) interned to numbers for pair lookups.
    ids: Table,
    /// The (first) party with each id number, if any.
    party_of: Vec<Option<&'w Party>>,
    /// Agreements per unordered party pair: `by_pair` gives the pair's slot, whose agreements are
    /// `pair_items[pair_start[slot]..pair_start[slot + 1]]`, in input order.
    by_pair: FastMap<(u32, u32), u32>,
    pair_start: Vec<u32>,
    pair_items: Vec<usize>,
    extends: FastMap<&'w str, Vec<usize>>,
    /// Fly.io's party.
    fly: Option<&'w Party>,
}

/// A recorded Fly app with what every service using it shares.
struct AppInfo<'w> {
    app: &'w App,
    /// Position of its org in `org_info`, when recorded.
    org: Option<usize>,
    /// Whether all its regions are allowed by the policy and its org.
    regions_ok: bool,
}

/// A recorded Fly org with what every service in it shares.
struct OrgInfo<'w> {
    org: &'w FlyOrg,
    /// Whether its plan or packages include a BAA.
    eligible: bool,
    /// "Fly org x is on plan y without a BAA" (empty when eligible).
    plan_text: String,
}

fn pair(a: u32, b: u32) -> (u32, u32) {
    if a <= b {
        (a, b)
    } else {
        (b, a)
    }
}

/// State of one link of a chain.
enum Link {
    Active(usize),
    Expired(usize),
    /// No usable agreement; these fitting ones exist but are pending, not yet effective or ended.
    Absent(Vec<usize>),
}

/// A link of a chain resolved once, with the text a message needs when it does not hold.
enum LinkOut {
    Active(usize),
    /// Expired, with "x expired on d".
    Expired(usize, String),
    /// Missing, with "no (active) ...".
    Absent(String),
}

/// Why a direct chain that exists does not hold.
enum Cause {
    PlanIneligible,
    PlatformPlan,
    Expired(usize),
}

/// Way (b) resolved for one (vendor, product, plan, add-ons, regions, Fly org) combination.
enum DirectPath {
    Covered(usize),
    /// Causes in order, each with its text for the verdict.
    Broken(Vec<(Cause, String)>),
    /// The missing link's text.
    NoChain(String),
}

/// Everything about a service that depends only on its vendor, product, plan, add-ons, regions
/// and (for Fly's own products) org: the direct chain, the platform extension link, and the
/// service-independent parts of its messages. Built once per distinct combination.
struct DirectOut<'w> {
    path: DirectPath,
    /// The Fly.io agreement extending to the vendor (second link of way (c)), resolved when a
    /// platform service first needs it.
    ext: Option<LinkOut>,
    /// Message parts, built when a message first needs them.
    texts: Option<Texts<'w>>,
}

/// Service-independent parts of the messages about a service; the service's name, apps and
/// "use"/"uses" are filled in per service.
struct Texts<'w> {
    vendor_name: &'w str,
    /// "Sentry error monitoring".
    label: String,
    /// "the Team plan with Prod Pack".
    plan_phrase: String,
    /// Display name of the service's plan.
    plan_name: &'w str,
    /// "Sentry signs BAAs on Business; " (terms sentence up to who uses it).
    terms_head: String,
    /// Plan step after "<terms>.": `pre` + service name + `post`.
    plan_step_pre: String,
    plan_step_post: String,
    /// Uncovered step start when the plan is eligible (or Fly's own product).
    uncovered_eligible: Option<String>,
    /// ", or have Fly.io extend its BAA to X extensions".
    extension_clause: String,
}

/// Chain resolutions shared by services with the same vendor, product, plan, add-ons, regions and
/// org, built on first use during one evaluation.
#[derive(Default)]
struct Memo<'w> {
    /// Scratch buffer for keys.
    key: Vec<u8>,
    /// Keys of `direct` (vendor, product, plan, add-ons, regions and, for Fly's own products
    /// provisioned in an org, that org), numbered like `direct`.
    direct_ix: Table,
    direct: Vec<DirectOut<'w>>,
    /// Our BAA with Fly.io per (org plan, regions), numbered like `ours`.
    ours_ix: Table,
    ours: Vec<LinkOut>,
}

/// What the memo holds for one service.
#[derive(Clone, Copy)]
struct Chains<'w> {
    direct: usize,
    platform: Platform<'w>,
}

/// Way (c) for one service, as far as it can be resolved without a message.
#[derive(Clone, Copy)]
enum Platform<'w> {
    /// Not provisioned through the platform, or Fly's own product.
    None,
    /// The org is not recorded.
    NoOrg(&'w str),
    /// No Fly.io party.
    NoFly,
    /// Both links resolved (memo positions of ours and the org's info; the extension link is in
    /// the direct entry).
    Links { ours: usize, org: usize },
}

impl<'w> Memo<'w> {
    fn direct(&self, i: usize) -> &DirectOut<'w> {
        &self.direct[i]
    }

    /// Resolves (or finds) the chains of a PHI service, and the texts its messages may need.
    fn resolve(&mut self, ix: &Index<'w>, s: &'w Service, in_use: &mut FastSet<&'w str>) -> Chains<'w> {
        let platform_org = match &s.provisioning {
            ServiceProvisioning::Platform { org } => Some(org.as_str()),
            ServiceProvisioning::Direct => None,
        };
        let fly_org = if s.vendor == FLY { platform_org } else { None };
        let key = &mut self.key;
        key.clear();
        put(key, &s.vendor);
        put(key, &s.product);
        put(key, &s.plan);
        put_all(key, &s.add_ons);
        put_all(key, &s.regions);
        if let Some(org) = fly_org {
            key.push(0xFE);
            put(key, org);
        }
        let (direct, new) = self.direct_ix.insert(key);
        if new {
            self.direct.push(DirectOut { path: ix.direct_path(s), ext: None, texts: None });
            if let Some(p) = ix.vendor_party.get(s.vendor.as_str()) {
                in_use.insert(p.id.as_str());
            }
        }
        let covered = matches!(self.direct[direct].path, DirectPath::Covered(_));
        let platform = match platform_org {
            Some(org) if !covered && s.vendor != FLY => match (ix.orgs.get(org), ix.fly) {
                (None, _) => Platform::NoOrg(org),
                (Some(_), None) => Platform::NoFly,
                (Some(&o), Some(fly)) => {
                    let plan = ix.org_info[o].org.plan.as_str();
                    let key = &mut self.key;
                    key.clear();
                    put(key, plan);
                    put_all(key, &s.regions);
                    let (ours, new) = self.ours_ix.insert(key);
                    if new {
                        self.ours.push(ix.ours_link(plan, &s.regions));
                    }
                    let entry = &mut self.direct[direct];
                    if entry.ext.is_none() {
                        entry.ext = Some(ix.ext_link(s, fly));
                    }
                    Platform::Links { ours, org: o }
                }
            },
            _ => Platform::None,
        };
        let entry = &mut self.direct[direct];
        if entry.texts.is_none() && (!covered || !matches!(s.phi, Phi::Yes)) {
            entry.texts = Some(ix.texts(s));
        }
        Chains { direct, platform }
    }
}

impl<'w> Index<'w> {
    fn new(world: &'w World, as_of: NaiveDate, policy: &Policy) -> Self {
        let n_parties = world.parties.len();
        let n_agreements = world.agreements.len();
        let mut vendor_party = FastMap::default();
        for p in &world.parties {
            if let Role::Vendor { vendor, .. } = &p.role {
                vendor_party.entry(vendor.as_str()).or_insert(p);
            }
        }
        let id_bytes = world.parties.iter().map(|p| p.id.len()).sum::<usize>();
        let mut ids = Table::with_capacity(n_parties + 16, id_bytes);
        let mut party_of: Vec<Option<&'w Party>> = Vec::with_capacity(n_parties + 16);
        for p in &world.parties {
            if ids.insert(p.id.as_bytes()).1 {
                party_of.push(Some(p));
            }
        }
        let mut intern = |id: &'w str| {
            let (n, new) = ids.insert(id.as_bytes());
            if new {
                party_of.push(None);
            }
            u32::try_from(n).unwrap_or(u32::MAX)
        };
        // Agreements grouped by party pair, keeping input order within a pair.
        let mut by_pair: FastMap<(u32, u32), u32> =
            FastMap::with_capacity_and_hasher(n_agreements, Default::default());
        let mut slot_of = Vec::with_capacity(n_agreements);
        let mut counts: Vec<u32> = Vec::with_capacity(n_agreements);
        let mut extends: FastMap<_, Vec<usize>> = FastMap::default();
        for (i, a) in world.agreements.iter().enumerate() {
            let key = pair(intern(&a.parties[0]), intern(&a.parties[1]));
            let next = u32::try_from(counts.len()).unwrap_or(u32::MAX);
            let slot = *by_pair.entry(key).or_insert(next);
            if slot == next {
                counts.push(0);
            }
            counts[slot as usize] += 1;
            slot_of.push(slot);
            if let AgreementKind::PlatformAgreement { extends_to } = &a.kind {
                for v in extends_to {
                    extends.entry(v.as_str()).or_default().push(i);
                }
            }
        }
        let mut pair_start = Vec::with_capacity(counts.len() + 1);
        let mut total = 0;
        pair_start.push(0);
        for c in &counts {
            total += c;
            pair_start.push(total);
        }
        let mut fill: Vec<u32> = pair_start[..counts.len()].to_vec();
        let mut pair_items = vec![0; n_agreements];
        for (i, &slot) in slot_of.iter().enumerate() {
            let at = &mut fill[slot as usize];
            pair_items[*at as usize] = i;
            *at += 1;
        }
        let catalog: FastMap<&str, &Vendor> =
            world.catalog.vendors.iter().map(|v| (v.slug.as_str(), v)).collect();
        let mut orgs: FastMap<&str, usize> = FastMap::default();
        let mut org_info = Vec::new();
        for o in &world.orgs {
            let i = *orgs.entry(o.slug.as_str()).or_insert(org_info.len());
            let info = OrgInfo { org: o, eligible: false, plan_text: String::new() };
            if i == org_info.len() {
                org_info.push(info);
            } else {
                org_info[i] = info;
            }
        }
        let fly_vendor = catalog.get(FLY).copied();
        for info in &mut org_info {
            let org = info.org;
            info.eligible = org_eligible(fly_vendor, org);
            if !info.eligible {
                let plan = fly_vendor.map_or(org.plan.as_str(), |v| v.plan_name(&org.plan));
                info.plan_text = format!("Fly org {} is on plan {plan} without a BAA", org.slug);
            }
        }
        let names = world.apps.iter().map(|a| a.name.len()).sum();
        let mut apps = Table::with_capacity(world.apps.len(), names);
        let mut app_info: Vec<AppInfo<'w>> = Vec::with_capacity(world.apps.len());
        for app in &world.apps {
            let org = orgs.get(app.org.as_str()).copied();
            let org_regions = org.and_then(|o| org_info[o].org.allowed_regions.as_deref());
            let info = AppInfo {
                app,
                org,
                regions_ok: app.regions.iter().all(|r| region_allowed(policy, org_regions, r)),
            };
            match apps.insert(app.name.as_bytes()) {
                (_, true) => app_info.push(info),
                (i, false) => app_info[i] = info,
            }
        }
        let mut ix = Self {
            world,
            as_of,
            vendor_party,
            catalog,
            orgs,
            org_info,
            apps,
            app_info,
            standing: world.agreements.iter().map(|a| a.standing_on(as_of)).collect(),
            ids,
            party_of,
            by_pair,
            pair_start,
            pair_items,
            extends,
            fly: None,
        };
        ix.fly = ix.vendor_party.get(FLY).copied();
        ix
    }

    fn agreement(&self, i: usize) -> &'w Agreement {
        &self.world.agreements[i]
    }

    /// Ordering key "lasts longer": no expiry beats any expiry, later beats earlier, then the
    /// smaller id wins, so choices never depend on input order.
    fn lasts(&self, i: usize) -> (bool, Option<NaiveDate>, Reverse<&'w str>) {
        let a = self.agreement(i);
        (a.expiry.is_none(), a.expiry, Reverse(a.id.as_str()))
    }

    fn agreement_name(&self, i: usize) -> &'w str {
        let a = self.agreement(i);
        if a.title.is_empty() {
            &a.id
        } else {
            &a.title
        }
    }

    /// The (first) party with this id.
    fn party(&self, id: &str) -> Option<&'w Party> {
        self.ids.get(id.as_bytes()).and_then(|n| self.party_of[n])
    }

    fn party_name(&self, id: &'w str) -> &'w str {
        self.party(id).map_or(id, |p| p.name.as_str())
    }

    fn vendor_name(&self, slug: &'w str) -> &'w str {
        self.catalog
            .get(slug)
            .map(|v| v.name.as_str())
            .or_else(|| self.vendor_party.get(slug).map(|p| p.name.as_str()))
            .unwrap_or(slug)
    }

    fn is_ours(&self, a: &Agreement) -> bool {
        a.parties.contains(&self.world.us)
    }

    /// Recorded orgs a service touches (positions in `org_info`): where it was provisioned, then
    /// where its apps run; and its recorded apps (positions in `app_info`).
    fn orgs_of(&self, s: &'w Service, orgs: &mut Vec<usize>, apps: &mut Vec<usize>) {
        orgs.clear();
        apps.clear();
        if let ServiceProvisioning::Platform { org } = &s.provisioning {
            if let Some(&o) = self.orgs.get(org.as_str()) {
                orgs.push(o);
            }
        }
        for app in &s.apps {
            if let Some(a) = self.apps.get(app.as_bytes()) {
                if let Some(o) = self.app_info[a].org {
                    if !orgs.contains(&o) {
                        orgs.push(o);
                    }
                }
                apps.push(a);
            }
        }
    }

    /// Best agreement on the pair `a`–`b` that passes `fits`: an active one (longest-lasting
    /// first), else the latest expired one, else a description of what there is.
    fn link(&self, candidates: &[usize], fits: impl Fn(&Agreement) -> bool) -> Link {
        let mut active: Option<usize> = None;
        let mut expired: Option<usize> = None;
        let mut other: Vec<usize> = Vec::new();
        let lasts = |i: usize| self.lasts(i);
        for &i in candidates {
            let a = self.agreement(i);
            if !fits(a) {
                continue;
            }
            match self.standing[i] {
                Standing::Active => {
                    if active.is_none_or(|b| lasts(i) > lasts(b)) {
                        active = Some(i);
                    }
                }
                Standing::Expired(_) => {
                    if expired.is_none_or(|b| lasts(i) > lasts(b)) {
                        expired = Some(i);
                    }
                }
                Standing::NotYetEffective(_) | Standing::Pending(_) | Standing::Ended(_) => {
                    other.push(i);
                }
                Standing::NotYetRecorded => {}
            }
        }
        match (active, expired) {
            (Some(i), _) => Link::Active(i),
            (None, Some(i)) => Link::Expired(i),
            (None, None) => Link::Absent(other),
        }
    }

    /// "no BAA with X" or "no active BAA with X (x-2026 is in negotiation)".
    fn absent_text(&self, what: &str, others: &[usize]) -> String {
        if others.is_empty() {
            return format!("no {what}");
        }
        let mut others = others.to_vec();
        others.sort_by_key(|&i| &self.agreement(i).id);
        let texts: Vec<String> = others
            .into_iter()
            .map(|i| {
                let name = self.agreement_name(i);
                match self.standing[i] {
                    Standing::NotYetEffective(d) => format!("{name} takes effect on {d}"),
                    Standing::Pending(st) => format!("{name} is {}", status_text(st)),
                    Standing::Ended(st) => format!("{name} was {}", status_text(st)),
                    _ => name.to_owned(),
                }
            })
            .collect();
        format!("no active {what} ({})", texts.join("; "))
    }

    fn pair_agreements(&self, a: &str, b: &str) -> &[usize] {
        let number = |id: &str| self.ids.get(id.as_bytes()).and_then(|n| u32::try_from(n).ok());
        let slot = match (number(a), number(b)) {
            (Some(x), Some(y)) => self.by_pair.get(&pair(x, y)),
            _ => None,
        };
        match slot {
            Some(&slot) => {
                let (from, to) = (self.pair_start[slot as usize], self.pair_start[slot as usize + 1]);
                &self.pair_items[from as usize..to as usize]
            }
            None => &[],
        }
    }

    /// "x expired on d".
    fn expired_text(&self, i: usize) -> String {
        format!(
            "{} expired on {}",
            self.agreement_name(i),
            self.agreement(i).expiry.map_or_else(String::new, |d| d.to_string())
        )
    }

    /// A link resolved with the text its absence or expiry needs; `what` describes the link.
    fn link_out(&self, link: Link, what: impl FnOnce() -> String) -> LinkOut {
        match link {
            Link::Active(i) => LinkOut::Active(i),
            Link::Expired(i) => LinkOut::Expired(i, self.expired_text(i)),
            Link::Absent(others) => LinkOut::Absent(self.absent_text(&what(), &others)),
        }
    }

    /// First link of way (c): our BAA with Fly.io covering the org's plan and the regions.
    fn ours_link(&self, org_plan: &str, regions: &[String]) -> LinkOut {
        let candidates = match self.fly {
            Some(fly) => self.pair_agreements(&self.world.us, &fly.id),
            None => &[],
        };
        let link = self.link(candidates, |a| {
            a.kind == AgreementKind::Baa && a.scope.covers(None, Some(org_plan), regions)
        });
        self.link_out(link, || "BAA with Fly.io".to_owned())
    }

    /// Second link of way (c): a Fly.io agreement extending its BAA to the vendor's extensions.
    fn ext_link(&self, s: &'w Service, fly: &'w Party) -> LinkOut {
        let candidates = self.extends.get(s.vendor.as_str()).map_or(&[][..], |v| v);
        let link = self.link(candidates, |a| {
            a.parties.contains(&fly.id) && a.scope.covers(Some(&s.product), Some(&s.plan), &s.regions)
        });
        self.link_out(link, || {
            format!("Fly.io agreement extending its BAA to {} extensions", self.vendor_name(&s.vendor))
        })
    }

    /// Verdict for a PHI service, recording the findings that explain a missing chain.
    fn coverage(
        &self,
        s: &'w Service,
        memo: &Memo<'w>,
        chains: Chains<'w>,
        out: &mut Collector<'w>,
    ) -> Verdict {
        let direct = memo.direct(chains.direct);
        if let DirectPath::Covered(i) = direct.path {
            return Verdict::Covered { chain: vec![self.agreement(i).id.clone()] };
        }
        // Way (c) as far as the memo resolved it: (ours, extension, org) links.
        let links = match chains.platform {
            Platform::Links { ours, org } => {
                let ext = direct.ext.as_ref();
                Some((&memo.ours[ours], ext, &self.org_info[org]))
            }
            _ => None,
        };
        if let Some((LinkOut::Active(a), Some(LinkOut::Active(b)), org)) = links {
            if org.eligible {
                return Verdict::Covered {
                    chain: vec![self.agreement(*a).id.clone(), self.agreement(*b).id.clone()],
                };
            }
        }
        // Not covered: the verdict lists the causes of broken chains, then the missing links
        // (direct first), as the domain reference orders them.
        let platform_missing = match links {
            Some((ours, ext, _)) => {
                matches!(ours, LinkOut::Absent(_)) || matches!(ext, Some(LinkOut::Absent(_)) | None)
            }
            None => false,
        };
        let mut causes: [&str; 5] = [""; 5];
        let mut n_causes = 0;
        let mut missing: [&str; 3] = [""; 3];
        let mut n_missing = 0;
        let no_org;
        match &direct.path {
            DirectPath::Covered(_) => {}
            DirectPath::Broken(c) => {
                for (cause, text) in c {
                    causes[n_causes] = text;
                    n_causes += 1;
                    if let Cause::Expired(i) = cause {
                        out.expired_users.entry(*i).or_default().push(&s.name);
                    }
                }
            }
            DirectPath::NoChain(text) => {
                missing[n_missing] = text;
                n_missing += 1;
            }
        }
        match chains.platform {
            Platform::None => {}
            Platform::NoOrg(org) => {
                no_org = format!("Fly org {org} is not recorded");
                missing[n_missing] = &no_org;
                n_missing += 1;
            }
            Platform::NoFly => {
                missing[n_missing] = "no BAA with Fly.io (no party recorded)";
                n_missing += 1;
            }
            Platform::Links { .. } => {}
        }
        if let Some((ours, ext, org)) = links {
            let ext = ext.into_iter();
            if platform_missing {
                // A link is missing: expired links of the chain are still reported as relied on.
                for link in std::iter::once(ours).chain(ext) {
                    match link {
                        LinkOut::Active(_) => {}
                        LinkOut::Expired(i, _) => out.expired_users.entry(*i).or_default().push(&s.name),
                        LinkOut::Absent(text) => {
                            missing[n_missing] = text;
                            n_missing += 1;
                        }
                    }
                }
            } else {
                for link in std::iter::once(ours).chain(ext) {
                    if let LinkOut::Expired(i, text) = link {
                        causes[n_causes] = text;
                        n_causes += 1;
                        out.expired_users.entry(*i).or_default().push(&s.name);
                    }
                }
                if !org.eligible {
                    causes[n_causes] = &org.plan_text;
                    n_causes += 1;
                }
            }
        }
        let pieces = causes[..n_causes].iter().chain(&missing[..n_missing]);
        let len = pieces.clone().map(|p| p.len() + 2).sum::<usize>().saturating_sub(2);
        let mut why = String::with_capacity(len);
        for (n, piece) in pieces.enumerate() {
            if n > 0 {
                why.push_str("; ");
            }
            why.push_str(piece);
        }
        let Some(t) = direct.texts.as_ref() else {
            // Unreachable: the memo builds the texts of every direct entry that does not cover.
            return Verdict::Uncovered { why };
        };
        if let DirectPath::Broken(c) = &direct.path {
            for _ in c.iter().filter(|(cause, _)| matches!(cause, Cause::PlanIneligible)) {
                out.push(
                    RuleId::PlanIneligible,
                    service_subject(s),
                    concat(&[
                        "A BAA with ",
                        t.vendor_name,
                        " exists, but ",
                        &s.name,
                        " (",
                        &t.label,
                        ") uses ",
                        &t.plan_phrase,
                        ", which is not BAA-eligible.",
                    ]),
                    self.plan_step(s, t),
                );
            }
        }
        if n_causes == 0 {
            out.push(
                RuleId::UncoveredService,
                service_subject(s),
                concat(&[
                    &s.name,
                    " (",
                    &t.label,
                    ") may handle PHI and has no active BAA chain: ",
                    &why,
                    ".",
                ]),
                self.uncovered_step(s, t),
            );
        }
        Verdict::Uncovered { why }
    }

    /// Way (b): an active BAA between us and the vendor, covering product and plan, on an
    /// eligible plan.
    fn direct_path(&self, s: &'w Service) -> DirectPath {
        let vendor_name = self.vendor_name(&s.vendor);
        let Some(party) = self.vendor_party.get(s.vendor.as_str()) else {
            return DirectPath::NoChain(format!("no BAA with {vendor_name} (no party recorded for it)"));
        };
        // Fly's own products run on the org's plan, so the org decides eligibility.
        let fly_org = match &s.provisioning {
            ServiceProvisioning::Platform { org } if s.vendor == FLY => match self.orgs.get(org.as_str()) {
                Some(&o) => Some(&self.org_info[o]),
                None => return DirectPath::NoChain(format!("Fly org {org} is not recorded")),
            },
            _ => None,
        };
        let plan = fly_org.map_or(s.plan.as_str(), |o| o.org.plan.as_str());
        let eligibility = match (fly_org, self.catalog.get(s.vendor.as_str())) {
            (Some(o), _) if o.eligible => Eligibility::Eligible,
            (Some(_), _) => Eligibility::NotEligible,
            (None, Some(v)) => v.eligibility(plan, &s.add_ons),
            (None, None) => Eligibility::Unknown,
        };
        let candidates = self.pair_agreements(&self.world.us, &party.id);
        let fits = |a: &Agreement| {
            a.kind == AgreementKind::Baa && a.scope.covers(Some(&s.product), Some(plan), &s.regions)
        };
        let eligible_under = |a: &Agreement| match eligibility {
            Eligibility::Eligible | Eligibility::OnRequest => true,
            Eligibility::Unknown => a.scope.names_plan(plan),
            Eligibility::NotEligible => false,
        };
        // An active BAA that makes the plan eligible wins over any other; among several, the
        // longest-lasting, so the chain does not depend on input order.
        let covering = candidates
            .iter()
            .copied()
            .filter(|&i| {
                let a = self.agreement(i);
                self.standing[i] == Standing::Active && fits(a) && eligible_under(a)
            })
            .max_by_key(|&i| self.lasts(i));
        if let Some(i) = covering {
            return DirectPath::Covered(i);
        }
        let plan_cause = |i: usize| {
            if eligible_under(self.agreement(i)) {
                None
            } else if let Some(o) = fly_org {
                Some((Cause::PlatformPlan, o.plan_text.clone()))
            } else {
                let vendor = self.catalog.get(s.vendor.as_str()).copied();
                Some((
                    Cause::PlanIneligible,
                    format!("{} is not BAA-eligible for {vendor_name}", self.plan_phrase(s, vendor)),
                ))
            }
        };
        match self.link(candidates, fits) {
            Link::Active(i) => DirectPath::Broken(plan_cause(i).into_iter().collect()),
            Link::Expired(i) => DirectPath::Broken(
                std::iter::once((Cause::Expired(i), self.expired_text(i))).chain(plan_cause(i)).collect(),
            ),
            Link::Absent(others) => DirectPath::NoChain(
                self.absent_text(&format!("BAA with {vendor_name} covering this product and plan"), &others),
            ),
        }
    }

    /// The service-independent parts of the messages about services like `s`.
    fn texts(&self, s: &'w Service) -> Texts<'w> {
        let vendor = self.catalog.get(s.vendor.as_str()).copied();
        let vendor_name = self.vendor_name(&s.vendor);
        let plan_name = vendor.map_or(s.plan.as_str(), |v| v.plan_name(&s.plan));
        let plan_phrase = self.plan_phrase(s, vendor);
        let terms_head = match vendor {
            Some(v) => format!("{} {}; ", v.name, v.baa_terms),
            None => {
                format!("{} is not in the vendor catalog, so no plan is known to be eligible; ", s.vendor)
            }
        };
        let (plan_step_pre, plan_step_post) = match vendor.map(|v| (v, Self::eligible_options(v))) {
            Some((v, options)) if !options.is_empty() => {
                let mut post = format!(" to {} or keep PHI out of it.", options.join(" or "));
                let config: Vec<&str> = v
                    .required_configuration
                    .iter()
                    .chain(v.add_ons.iter().flat_map(|a| a.required_configuration.iter()))
                    .map(String::as_str)
                    .collect();
                if !config.is_empty() {
                    post.push_str(&format!(" {} also requires: {}.", v.name, config.join(", ")));
                }
                (" Move ".to_owned(), post)
            }
            _ => (
                format!(
                    " Ask {vendor_name} whether {plan_phrase} is BAA-eligible and record the answer in \
                     the catalog, or keep PHI out of "
                ),
                ".".to_owned(),
            ),
        };
        let eligible = match vendor {
            Some(v) => v.eligibility(&s.plan, &s.add_ons) != Eligibility::NotEligible,
            None => false,
        };
        let uncovered_eligible = (eligible || s.vendor == FLY).then(|| {
            format!(
                "Sign a BAA with {vendor_name} covering {} on the {plan_name} plan",
                self.product_name(s, vendor)
            )
        });
        Texts {
            vendor_name,
            label: self.product_label(s),
            plan_phrase,
            plan_name,
            terms_head,
            plan_step_pre,
            plan_step_post,
            uncovered_eligible,
            extension_clause: format!(", or have Fly.io extend its BAA to {vendor_name} extensions"),
        }
    }

    fn product_name(&self, s: &'w Service, vendor: Option<&'w Vendor>) -> &'w str {
        vendor.and_then(|v| v.product(&s.product)).map_or(s.product.as_str(), |p| p.name.as_str())
    }

    /// "Sentry error monitoring", or "Acme Mail mail" when the product name lacks the vendor's.
    fn product_label(&self, s: &'w Service) -> String {
        let vendor = self.catalog.get(s.vendor.as_str()).copied();
        let product = self.product_name(s, vendor);
        let vendor_name = self.vendor_name(&s.vendor);
        if product.contains(vendor_name) {
            product.to_owned()
        } else {
            format!("{vendor_name} {product}")
        }
    }

    fn fly_plan_name(&self, org: &'w FlyOrg) -> &'w str {
        self.catalog.get(FLY).map_or(org.plan.as_str(), |v| v.plan_name(&org.plan))
    }

    /// "the Team plan" or "the Team plan with Prod Pack".
    fn plan_phrase(&self, s: &'w Service, vendor: Option<&'w Vendor>) -> String {
        let plan = vendor.map_or(s.plan.as_str(), |v| v.plan_name(&s.plan));
        let add_ons: Vec<&str> = s
            .add_ons
            .iter()
            .map(|a| {
                vendor
                    .and_then(|v| v.add_ons.iter().find(|x| x.slug == *a))
                    .map_or(a.as_str(), |x| x.name.as_str())
            })
            .collect();
        if add_ons.is_empty() {
            format!("the {plan} plan")
        } else {
            format!("the {plan} plan with {}", add_ons.join(", "))
        }
    }

    fn eligible_options(vendor: &Vendor) -> Vec<String> {
        let mut options: Vec<String> = vendor
            .plans
            .iter()
            .filter(|p| p.baa_eligible == Eligibility::Eligible)
            .map(|p| p.name.clone())
            .collect();
        for a in &vendor.add_ons {
            for p in &a.makes_eligible {
                if vendor.plan(p).is_some_and(|x| x.baa_eligible != Eligibility::Eligible) {
                    options.push(format!("{} with {}", vendor.plan_name(p), a.name));
                }
            }
        }
        options
    }

    /// "<Vendor> <terms>; acme-api uses Team." and what to do about it.
    fn plan_step(&self, s: &'w Service, t: &Texts<'w>) -> String {
        let who = who_uses(s);
        concat(&[
            &t.terms_head,
            &who,
            " ",
            uses(s),
            " ",
            t.plan_name,
            ".",
            &t.plan_step_pre,
            &s.name,
            &t.plan_step_post,
        ])
    }

    fn uncovered_step(&self, s: &'w Service, t: &Texts<'w>) -> String {
        let extension = if matches!(s.provisioning, ServiceProvisioning::Platform { .. }) && s.vendor != FLY {
            t.extension_clause.as_str()
        } else {
            ""
        };
        let tail = [extension, ", or record why ", &s.name, " handles no PHI."];
        match &t.uncovered_eligible {
            Some(head) => concat(&[&[head.as_str()][..], &tail].concat()),
            None => {
                let who = who_uses(s);
                let head = [
                    &t.terms_head,
                    &*who,
                    " ",
                    uses(s),
                    " ",
                    t.plan_name,
                    "; sign a BAA with ",
                    t.vendor_name,
                    " on an eligible plan",
                ];
                concat(&[&head[..], &tail].concat())
            }
        }
    }
}

/// Who uses a service in messages: its apps ("a, b and 3 more"), or the service itself.
fn who_uses(s: &Service) -> Cow<'_, str> {
    match s.apps.as_slice() {
        [] => Cow::Borrowed(&s.name),
        [one] => Cow::Borrowed(one),
        apps => Cow::Owned(listing(apps)),
    }
}

fn uses(s: &Service) -> &'static str {
    if s.apps.len() > 1 {
        "use"
    } else {
        "uses"
    }
}

/// The pieces joined, allocated once.
fn concat(pieces: &[&str]) -> String {
    let mut text = String::with_capacity(pieces.iter().map(|p| p.len()).sum());
    for p in pieces {
        text.push_str(p);
    }
    text
}

/// Whether PHI may live in `region` under the policy and the org's own list (`None`: no limit).
fn region_allowed(policy: &Policy, org_regions: Option<&[String]>, region: &str) -> bool {
    let policy_ok = policy.allowed_regions.is_empty() || policy.allowed_regions.iter().any(|r| r == region);
    policy_ok && org_regions.is_none_or(|list| list.iter().any(|r| r == region))
}

fn org_eligible(fly: Option<&Vendor>, org: &FlyOrg) -> bool {
    fly.is_some_and(|fly| {
        matches!(fly.eligibility(&org.plan, &org.packages), Eligibility::Eligible | Eligibility::OnRequest)
    })
}

fn status_text(status: Status) -> &'static str {
    match status {
        Status::Draft => "a draft",
        Status::Sent => "sent, not signed",
        Status::InNegotiation => "in negotiation",
        Status::Signed => "signed",
        Status::Terminated => "terminated",
        Status::Superseded => "superseded",
    }
}

/// "a, b, c and 4 more".
fn listing<S: AsRef<str>>(items: &[S]) -> String {
    let shown: Vec<&str> = items.iter().take(LIST_LIMIT).map(AsRef::as_ref).collect();
    let mut text = shown.join(", ");
    if items.len() > LIST_LIMIT {
        text.push_str(&format!(" and {} more", items.len() - LIST_LIMIT));
    }
    text
}

fn service_subject(s: &Service) -> Subject {
    Subject { kind: SubjectKind::Service, id: s.id.clone(), name: s.name.clone() }
}

/// Findings gathered during one evaluation.
#[derive(Default)]
struct Collector<'w> {
    findings: Vec<Finding>,
    /// Expired agreements that chains still rely on, with the services relying on them.
    expired_users: BTreeMap<usize, Vec<&'w str>>,
}

impl<'w> Collector<'w> {
    fn push(&mut self, rule: RuleId, subject: Subject, explanation: String, next_step: String) {
        self.findings.push(Finding { rule, severity: rule.severity(), subject, explanation, next_step });
    }

    fn phi_unknown(&mut self, s: &Service, phi: &Phi, direct: &DirectOut<'w>) {
        let said = match phi {
            Phi::Unknown => "nobody has recorded whether it handles PHI",
            Phi::No { .. } => "it is marked as handling no PHI but no reason is recorded",
            Phi::Yes => return,
        };
        let label = direct.texts.as_ref().map_or("", |t| t.label.as_str());
        let apps = if s.apps.is_empty() { String::new() } else { listing(&s.apps) };
        let used_by: [&str; 3] = if s.apps.is_empty() { [""; 3] } else { [" (used by ", &apps, ")"] };
        self.push(
            RuleId::PhiUnknown,
            service_subject(s),
            concat(&[&s.name, " (", label, "): ", said, ", so it is treated as handling PHI."]),
            concat(&[
                "Record whether ",
                &s.name,
                used_by[0],
                used_by[1],
                used_by[2],
                " handles PHI, with the reason if it does not.",
            ]),
        );
    }

    fn environment(&mut self, ix: &Index<'w>, s: &Service, orgs: &[usize]) {
        let mut outside = orgs
            .iter()
            .map(|&o| ix.org_info[o].org)
            .filter(|o| o.environment != Environment::Production)
            .peekable();
        if outside.peek().is_none() {
            return;
        }
        let mut explanation = String::with_capacity(s.name.len() + 96);
        explanation.push_str(&s.name);
        explanation.push_str(" may handle PHI but lives in or is used from non-production org ");
        for (n, o) in outside.enumerate() {
            if n > 0 {
                explanation.push_str(", ");
            }
            explanation.push_str(&o.slug);
            explanation.push_str(" (");
            explanation.push_str(env_text(o.environment));
            explanation.push(')');
        }
        explanation.push('.');
        self.push(
            RuleId::EnvironmentMixed,
            service_subject(s),
            explanation,
            concat(&[
                "Use synthetic data in ",
                &s.name,
                " or move it to the production org; if it holds no PHI, record that with the reason.",
            ]),
        );
    }

    fn regions(&mut self, ix: &Index<'w>, s: &Service, policy: &Policy, apps: &[usize]) {
        let home = match &s.provisioning {
            ServiceProvisioning::Platform { org } => ix.orgs.get(org.as_str()).copied(),
            ServiceProvisioning::Direct => None,
        };
        let allowed = |region: &str, org: Option<usize>| {
            region_allowed(policy, org.and_then(|o| ix.org_info[o].org.allowed_regions.as_deref()), region)
        };
        let mut bad: BTreeSet<&str> = BTreeSet::new();
        for r in &s.regions {
            if !allowed(r, home) {
                bad.insert(r);
            }
        }
        for info in apps.iter().map(|&a| &ix.app_info[a]).filter(|a| !a.regions_ok) {
            for r in &info.app.regions {
                if !allowed(r, info.org) {
                    bad.insert(r);
                }
            }
        }
        if bad.is_empty() {
            return;
        }
        let bad: Vec<&str> = bad.into_iter().collect();
        let allowed_text = if policy.allowed_regions.is_empty() {
            "the org's allowed regions".to_owned()
        } else {
            policy.allowed_regions.join(", ")
        };
        self.push(
            RuleId::RegionOutsidePolicy,
            service_subject(s),
            format!(
                "{} may handle PHI and runs in {} (itself or through {}), outside the allowed regions.",
                s.name,
                bad.join(", "),
                if s.apps.is_empty() { "no app".to_owned() } else { listing(&s.apps) }
            ),
            format!(
                "Move {} and the apps using it out of {} into {allowed_text}, or change the policy.",
                s.name,
                bad.join(", ")
            ),
        );
    }

    fn expired(&mut self, ix: &Index<'w>) {
        let users = std::mem::take(&mut self.expired_users);
        for (i, mut names) in users {
            names.sort_unstable();
            names.dedup();
            let a = ix.agreement(i);
            let other = if ix.is_ours(a) {
                ix.party_name(a.other(&ix.world.us))
            } else {
                ix.party_name(&a.parties[1])
            };
            let expiry = a.expiry.map_or_else(String::new, |d| d.to_string());
            self.push(
                RuleId::AgreementExpired,
                agreement_subject(ix, i),
                format!(
                    "{} expired on {expiry} and was not renewed; {} relies on it.",
                    ix.agreement_name(i),
                    listing(&names)
                ),
                format!(
                    "Renew {} with {other} and record the new agreement; until then keep PHI out of {}.",
                    ix.agreement_name(i),
                    listing(&names)
                ),
            );
        }
    }

    fn orgs(&mut self, ix: &Index<'w>, phi_orgs: &[bool]) {
        let fly = ix.catalog.get(FLY).copied();
        for org in &ix.world.orgs {
            let hosts_phi = ix.orgs.get(org.slug.as_str()).is_some_and(|&o| phi_orgs[o]);
            if !hosts_phi || org_eligible(fly, org) {
                continue;
            }
            let terms =
                ix.catalog.get(FLY).map_or("publishes no BAA terms in the catalog", |v| v.baa_terms.as_str());
            self.push(
                RuleId::PlatformPlanIneligible,
                Subject { kind: SubjectKind::Org, id: org.slug.clone(), name: org.name.clone() },
                format!(
                    "Fly org {} hosts services that may handle PHI, but its plan {} does not include \
                     a BAA, so every chain through Fly.io in it fails.",
                    org.slug,
                    ix.fly_plan_name(org)
                ),
                format!(
                    "Fly.io {terms}; org {} is on {}. Add the Compliance Package to {}.",
                    org.slug,
                    ix.fly_plan_name(org),
                    org.slug
                ),
            );
        }
    }

    fn apps(&mut self, ix: &Index<'w>) {
        for app in &ix.world.apps {
            let env = app.environment();
            let Some(org) = ix.orgs.get(app.org.as_str()).map(|&o| ix.org_info[o].org) else {
                continue;
            };
            if org.environment != Environment::Production || env == Environment::Production {
                continue;
            }
            self.push(
                RuleId::EnvironmentMixed,
                Subject { kind: SubjectKind::App, id: app.name.clone(), name: app.name.clone() },
                format!("{} app {} runs in production org {}.", env_text(env), app.name, org.slug),
                format!(
                    "Move {} to a separate {} org so production stays isolated.",
                    app.name,
                    env_text(env)
                ),
            );
        }
    }

    fn customers(&mut self, ix: &Index<'w>) {
        let us = ix.world.us.as_str();
        for p in &ix.world.parties {
            if !matches!(p.role, Role::Customer { active: true, handles_phi: true }) {
                continue;
            }
            let link = ix.link(ix.pair_agreements(us, &p.id), |a| a.kind == AgreementKind::Baa);
            let why = match link {
                Link::Active(_) => continue,
                Link::Expired(i) => format!(
                    "{} expired on {}",
                    ix.agreement_name(i),
                    ix.agreement(i).expiry.map_or_else(String::new, |d| d.to_string())
                ),
                Link::Absent(others) => ix.absent_text("BAA", &others),
            };
            self.push(
                RuleId::CustomerUncovered,
                Subject { kind: SubjectKind::Customer, id: p.id.clone(), name: p.name.clone() },
                format!("We handle PHI of active customer {} without a signed BAA: {why}.", p.name),
                format!(
                    "Sign a BAA between {} and {} (or renew it) before handling more of its PHI.",
                    p.name,
                    ix.party_name(us)
                ),
            );
        }
    }

    /// Walks from the vendors that see PHI down their listed subcontractors.
    fn downstream(&mut self, ix: &Index<'w>, in_use: FastSet<&str>) {
        // Parties are visited once each; ids no party has are never visited (they have no
        // subcontractors to walk), so `seen` is kept by id number.
        let mut seen = vec![false; ix.party_of.len()];
        let mut queue: Vec<&str> = Vec::with_capacity(in_use.len());
        for id in in_use {
            if let Some(n) = ix.ids.get(id.as_bytes()) {
                if !seen[n] {
                    seen[n] = true;
                    queue.push(id);
                }
            }
        }
        while let Some(id) = queue.pop() {
            let Some(party) = ix.party(id) else {
                continue;
            };
            let mut missing = Vec::new();
            for sub in party.role.subcontractors() {
                let link = ix.link(ix.pair_agreements(id, sub), |_| true);
                match link {
                    Link::Active(_) => {}
                    Link::Expired(i) => missing.push(format!(
                        "{} (BAA expired {})",
                        ix.party_name(sub),
                        ix.agreement(i).expiry.map_or_else(String::new, |d| d.to_string())
                    )),
                    Link::Absent(_) => missing.push(ix.party_name(sub).to_owned()),
                }
                if let Some(n) = ix.ids.get(sub.as_bytes()) {
                    if !seen[n] {
                        seen[n] = true;
                        queue.push(sub.as_str());
                    }
                }
            }
            if missing.is_empty() {
                continue;
            }
            self.push(
                RuleId::DownstreamUnverified,
                Subject { kind: SubjectKind::Vendor, id: party.id.clone(), name: party.name.clone() },
                format!(
                    "{} lists PHI subcontractors without a recorded active BAA: {}.",
                    party.name,
                    listing(&missing)
                ),
                format!("Ask {} for its BAAs with {} and record them.", party.name, listing(&missing)),
            );
        }
    }

    /// Per-agreement rules; returns the expiring list.
    fn agreements(&mut self, ix: &Index<'w>, policy: &Policy) -> Vec<Expiring> {
        let mut expiring = Vec::new();
        let max_window = policy.reminder_windows.iter().copied().max();
        for (i, a) in ix.world.agreements.iter().enumerate() {
            let ours = ix.is_ours(a);
            let other = || ix.party_name(if ours { a.other(&ix.world.us) } else { &a.parties[1] });
            let signed = ours && a.status_on(ix.as_of) == Some(Status::Signed);
            if signed && !a.has_executed_document {
                let other = other();
                self.push(
                    RuleId::DocumentMissing,
                    agreement_subject(ix, i),
                    format!(
                        "{} with {other} is marked signed but no executed document is uploaded.",
                        ix.agreement_name(i)
                    ),
                    format!("Upload the executed copy of {} with {other}.", ix.agreement_name(i)),
                );
            }
            let missing: Vec<&str> = if signed {
                Clause::ALL.iter().filter(|c| !a.confirms(**c)).map(|c| c.label()).collect()
            } else {
                Vec::new()
            };
            if !missing.is_empty() {
                let other = other();
                self.push(
                    RuleId::ClausesIncomplete,
                    agreement_subject(ix, i),
                    format!(
                        "{} with {other} has unconfirmed required clauses: {}.",
                        ix.agreement_name(i),
                        missing.join(", ")
                    ),
                    format!(
                        "Check {} for {} and confirm them, or ask {other} for an amendment.",
                        ix.agreement_name(i),
                        missing.join(", ")
                    ),
                );
            }
            // An auto-renewing agreement does not expire, so it gets no expiry reminder.
            let (Standing::Active, Some(expiry), Some(max)) =
                (ix.standing[i], a.expiry.filter(|_| !a.auto_renews), max_window)
            else {
                continue;
            };
            let days_left = (expiry - ix.as_of).num_days();
            if days_left > i64::from(max) {
                continue;
            }
            let other = other();
            let window = policy
                .reminder_windows
                .iter()
                .copied()
                .filter(|w| i64::from(*w) >= days_left)
                .min()
                .unwrap_or(max);
            self.push(
                RuleId::AgreementExpiring,
                agreement_subject(ix, i),
                format!(
                    "{} with {other} expires on {expiry}, in {days_left} days (the {window}-day \
                     reminder).",
                    ix.agreement_name(i)
                ),
                format!("Start renewing {} with {other} before {expiry}.", ix.agreement_name(i)),
            );
            expiring.push(Expiring {
                agreement: a.id.clone(),
                name: ix.agreement_name(i).to_owned(),
                expiry,
                days_left,
                window,
            });
        }
        expiring.sort_by(|x, y| (x.days_left, &x.agreement).cmp(&(y.days_left, &y.agreement)));
        expiring
    }
}

fn agreement_subject(ix: &Index<'_>, i: usize) -> Subject {
    Subject {
        kind: SubjectKind::Agreement,
        id: ix.agreement(i).id.clone(),
        name: ix.agreement_name(i).to_owned(),
    }
}

fn env_text(env: Environment) -> &'static str {
    match env {
        Environment::Production => "production",
        Environment::Staging => "staging",
        Environment::Development => "development",
    }
}
