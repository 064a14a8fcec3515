//! A plan is found by what a person types or sees: its slug or its display name, in any case.

use baa_core::catalog::Catalog;

#[test]
fn a_plan_is_found_by_its_display_name_in_any_case() {
    let catalog = Catalog::bundled().expect("the bundled catalog");
    let sentry = catalog.vendor("sentry").expect("sentry");
    for typed in ["business", "Business", " BUSINESS ", "Business "] {
        assert_eq!(sentry.find_plan(typed).map(|p| p.slug.as_str()), Some("business"), "{typed:?}");
    }
    assert!(sentry.find_plan("").is_none());
    assert!(sentry.find_plan("Platinum").is_none());
    // Every plan of every vendor is found by the name every dropdown shows.
    for v in &catalog.vendors {
        for p in &v.plans {
            assert_eq!(v.find_plan(&p.name).map(|x| &x.slug), Some(&p.slug), "{} {}", v.slug, p.name);
            assert_eq!(v.find_plan(&p.slug).map(|x| &x.slug), Some(&p.slug), "{} {}", v.slug, p.slug);
        }
    }
}
