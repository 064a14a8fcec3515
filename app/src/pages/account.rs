//! The signed-in person's own account: password, two-factor sign-in, sessions.

use crate::api::account_page;
use crate::components::{app_page, field_error, Field, PasswordField};
use leptos::prelude::*;

/// Password change, two-factor sign-in and "sign out everywhere".
#[component]
pub fn Account() -> impl IntoView {
    let data = Resource::new(|| (), |_| account_page());
    app_page("Account", data, |v, f, d| {
        let must = d.must_enrol.then(|| view! {
            <div class="flash error" role="alert">"This workspace requires two-factor sign-in. Set it up below to continue."</div>
        });
        let codes = (!d.new_recovery_codes.is_empty()).then(|| view! {
            <section class="card highlight" aria-labelledby="codes-h">
                <h2 id="codes-h">"Your recovery codes"</h2>
                <p>"Each code signs you in once if you lose your authenticator. Store them somewhere safe now: they are shown only this once."</p>
                <ul class="codes">{d.new_recovery_codes.iter().map(|c| view! { <li><code>{c.clone()}</code></li> }).collect_view()}</ul>
            </section>
        });
        let twofa = if d.totp_enabled {
            view! {
                <p class="ok-text">"Two-factor sign-in is on. "{d.recovery_left}" unused recovery code(s) left."</p>
                <form method="post" action="/actions/account/2fa/disable" class="stack narrow">
                    <PasswordField label="Password (to turn two-factor sign-in off)" name="password" error=field_error(&f, "password").filter(|_| f.as_ref().and_then(|f| f.form.as_deref()) == Some("2fa-off")) />
                    <button type="submit" class="secondary">"Turn off two-factor sign-in"</button>
                </form>
            }
                .into_any()
        } else if let Some(e) = d.enrolment.clone() {
            view! {
                <ol class="steps">
                    <li>"Scan this code with an authenticator app (1Password, Google Authenticator, Authy…)."</li>
                    <li>"Or type this key: "<code class="secret">{e.secret.clone()}</code></li>
                    <li>"Enter the 6-digit code the app shows."</li>
                </ol>
                <img class="qr" src=e.qr_data_url.clone() alt="QR code for your authenticator app" width="200" height="200" />
                <form method="post" action="/actions/account/2fa/enable" class="stack narrow">
                    <Field label="6-digit code" name="code" autocomplete=Some("one-time-code") error=field_error(&f, "code") />
                    <button type="submit">"Turn on two-factor sign-in"</button>
                </form>
            }
                .into_any()
        } else {
            view! {
                <p>"Two-factor sign-in is off. With it on, signing in also needs a code from your phone."</p>
                <form method="post" action="/actions/account/2fa/start">
                    <button type="submit">"Set up two-factor sign-in"</button>
                </form>
            }
            .into_any()
        };
        view! {
            {must}
            {codes}
            <section class="card" aria-labelledby="profile-h">
                <h2 id="profile-h">"Profile"</h2>
                <dl class="facts"><dt>"Name"</dt><dd>{v.name.clone()}</dd><dt>"E-mail"</dt><dd>{v.email.clone()}</dd></dl>
            </section>
            <section class="card" aria-labelledby="twofa-h">
                <h2 id="twofa-h">"Two-factor sign-in"</h2>
                {twofa}
            </section>
            <section class="card" aria-labelledby="pw-h">
                <h2 id="pw-h">"Change password"</h2>
                <p class="hint">"Changing it signs you out everywhere else."</p>
                <form method="post" action="/actions/account/password" class="stack narrow">
                    <PasswordField label="Current password" name="current_password" error=field_error(&f, "current_password") />
                    <PasswordField label="New password" name="password" autocomplete="new-password" hint="At least 12 characters." error=field_error(&f, "password").filter(|_| f.as_ref().and_then(|f| f.form.as_deref()) == Some("password")) />
                    <PasswordField label="Repeat the new password" name="password_confirm" autocomplete="new-password" error=field_error(&f, "password_confirm") />
                    <button type="submit">"Change password"</button>
                </form>
            </section>
            <section class="card" aria-labelledby="sessions-h">
                <h2 id="sessions-h">"Sessions"</h2>
                <p>"Signed in on a shared or lost device? End every session of your account, this one included."</p>
                <form method="post" action="/actions/account/signout-everywhere">
                    <button type="submit" class="secondary">"Sign out everywhere"</button>
                </form>
            </section>
        }
            .into_any()
    })
}
