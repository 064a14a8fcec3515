//! Sign-in, first-run setup, password reset and invitation pages.

use crate::api::{invitation, reset_valid};
use crate::components::{field_error, public_page, refill, ErrorBox, Field, PasswordField};
use leptos::prelude::*;
use leptos_router::hooks::{use_params_map, use_query_map};

const PASSWORD_HINT: &str =
    "At least 12 characters. A few unrelated words make a strong, memorable passphrase.";

/// First run: create the owner account and the workspace.
#[component]
pub fn Setup() -> impl IntoView {
    public_page("Set up BAA Tracker", |c| {
        if !c.setup_needed {
            return view! {
                <h1>"Setup is done"</h1>
                <p>"This BAA Tracker already has an owner."</p>
                <a class="button" href="/login">"Sign in"</a>
            }
            .into_any();
        }
        let f = c.flash;
        view! {
            <h1>"Set up BAA Tracker"</h1>
            <p class="lead">"Create the owner account and your company's workspace. You can invite legal, engineers and auditors next."</p>
            <form method="post" action="/actions/setup" class="stack">
                <Field label="Company or workspace name" name="workspace" value=refill(&f, "workspace") error=field_error(&f, "workspace") autocomplete=Some("organization") />
                <Field label="Your name" name="name" value=refill(&f, "name") error=field_error(&f, "name") autocomplete=Some("name") />
                <Field label="Your e-mail" name="email" kind="email" value=refill(&f, "email") error=field_error(&f, "email") autocomplete=Some("email") />
                <PasswordField label="Password" name="password" autocomplete="new-password" hint=PASSWORD_HINT error=field_error(&f, "password") />
                <PasswordField label="Repeat the password" name="password_confirm" autocomplete="new-password" error=field_error(&f, "password_confirm") />
                <button type="submit">"Create owner account"</button>
            </form>
        }
            .into_any()
    })
}

/// Sign in with e-mail and password.
#[component]
pub fn Login() -> impl IntoView {
    let q = use_query_map();
    let next = q.with_untracked(|q| q.get("next").unwrap_or_default());
    let idle = q.with_untracked(|q| q.get("idle").is_some());
    public_page("Sign in", move |c| {
        if c.setup_needed {
            return view! {
                <h1>"Welcome"</h1>
                <p>"No account exists yet. Start by creating the owner account."</p>
                <a class="button" href="/setup">"Set up BAA Tracker"</a>
            }
            .into_any();
        }
        let f = c.flash;
        let idle_note = (idle && f.is_none()).then(|| {
            view! { <div class="flash ok" role="status">"You were signed out after a period without activity. Sign in again to continue."</div> }
        });
        let error = f.as_ref().filter(|f| f.error).map(|f| f.message.clone());
        view! {
            <h1>"Sign in"</h1>
            {idle_note}
            {error.map(|e| view! { <div class="flash error" role="alert">{e}</div> })}
            <form method="post" action="/actions/login" class="stack">
                <input type="hidden" name="next" value=next.clone() />
                <Field label="E-mail" name="email" kind="email" value=refill(&f, "email") autocomplete=Some("username") />
                <PasswordField label="Password" name="password" />
                <button type="submit">"Sign in"</button>
            </form>
            <p class="aside"><a href="/forgot">"Forgot your password?"</a></p>
        }
            .into_any()
    })
}

/// The second step of sign-in for accounts with two-factor sign-in.
#[component]
pub fn LoginTwoFactor() -> impl IntoView {
    public_page("Two-factor sign-in", |c| {
        let f = c.flash;
        view! {
            <h1>"Two-factor sign-in"</h1>
            <p class="lead">"Enter the 6-digit code from your authenticator app. Lost your phone? Enter one of your recovery codes instead."</p>
            <form method="post" action="/actions/login/2fa" class="stack">
                <Field label="Code" name="code" autocomplete=Some("one-time-code") error=field_error(&f, "code") />
                <button type="submit">"Verify"</button>
            </form>
            <p class="aside"><a href="/login">"Start over"</a></p>
        }
            .into_any()
    })
}

/// Ask for a password reset link.
#[component]
pub fn Forgot() -> impl IntoView {
    public_page("Reset your password", |c| {
        let f = c.flash;
        view! {
            <h1>"Reset your password"</h1>
            <p class="lead">"Enter the e-mail of your account. If it exists, we send a link to choose a new password; it works once, for one hour."</p>
            <form method="post" action="/actions/forgot" class="stack">
                <Field label="E-mail" name="email" kind="email" value=refill(&f, "email") autocomplete=Some("username") error=field_error(&f, "email") />
                <button type="submit">"Send the link"</button>
            </form>
            <p class="aside"><a href="/login">"Back to sign in"</a></p>
        }
            .into_any()
    })
}

/// Choose a new password from a reset link.
#[component]
pub fn Reset() -> impl IntoView {
    let token = use_params_map().with_untracked(|p| p.get("token").unwrap_or_default());
    let t = token.clone();
    let valid = Resource::new(move || t.clone(), reset_valid);
    public_page("Choose a new password", move |c| {
        let token = token.clone();
        let f = c.flash;
        view! {
            <h1>"Choose a new password"</h1>
            <Suspense fallback=|| view! { <p class="loading">"Checking the link…"</p> }>
                {move || {
                    let token = token.clone();
                    let f = f.clone();
                    Suspend::new(async move {
                        match valid.await {
                            Ok(true) => view! {
                                <form method="post" action="/actions/reset" class="stack">
                                    <input type="hidden" name="token" value=token />
                                    <PasswordField label="New password" name="password" autocomplete="new-password" hint=PASSWORD_HINT error=field_error(&f, "password") />
                                    <PasswordField label="Repeat the new password" name="password_confirm" autocomplete="new-password" error=field_error(&f, "password_confirm") />
                                    <button type="submit">"Set the new password"</button>
                                </form>
                            }.into_any(),
                            Ok(false) => view! {
                                <div class="flash error" role="alert">"This reset link is not valid: it was already used or it expired."</div>
                                <a class="button" href="/forgot">"Ask for a new link"</a>
                            }.into_any(),
                            Err(e) => view! { <ErrorBox error=e /> }.into_any(),
                        }
                    })
                }}
            </Suspense>
        }
            .into_any()
    })
}

/// Accept an invitation: new people choose a name and password; existing users sign in first.
#[component]
pub fn AcceptInvite() -> impl IntoView {
    let token = use_params_map().with_untracked(|p| p.get("token").unwrap_or_default());
    let t = token.clone();
    let info = Resource::new(move || t.clone(), invitation);
    public_page("Accept invitation", move |c| {
        let token = token.clone();
        let f = c.flash;
        let viewer = c.viewer;
        view! {
            <h1>"Join a workspace"</h1>
            <Suspense fallback=|| view! { <p class="loading">"Checking the invitation…"</p> }>
                {move || {
                    let token = token.clone();
                    let f = f.clone();
                    let viewer = viewer.clone();
                    Suspend::new(async move {
                        match info.await {
                            Ok(i) => {
                                let intro = view! {
                                    <p class="lead">"You are invited to "<strong>{i.workspace.clone()}</strong>" as "<strong>{i.role.label()}</strong>"."</p>
                                };
                                if i.existing_user {
                                    let signed_in_as_invitee = viewer.as_ref().is_some_and(|v| v.email == i.email);
                                    if signed_in_as_invitee {
                                        view! {
                                            {intro}
                                            <form method="post" action="/actions/invite/accept" class="stack">
                                                <input type="hidden" name="token" value=token />
                                                <button type="submit">"Accept and join"</button>
                                            </form>
                                        }.into_any()
                                    } else {
                                        let next = format!("/invite/{token}");
                                        view! {
                                            {intro}
                                            <p>"An account for "{i.email.clone()}" exists. Sign in as that account, then open this link again."</p>
                                            <a class="button" href=format!("/login?next={}", next)>"Sign in to accept"</a>
                                        }.into_any()
                                    }
                                } else {
                                    view! {
                                        {intro}
                                        <form method="post" action="/actions/invite/accept" class="stack">
                                            <input type="hidden" name="token" value=token />
                                            <div class="field"><span class="label">"E-mail"</span><p class="static">{i.email.clone()}</p></div>
                                            <Field label="Your name" name="name" value=refill(&f, "name") autocomplete=Some("name") error=field_error(&f, "name") />
                                            <PasswordField label="Choose a password" name="password" autocomplete="new-password" hint=PASSWORD_HINT error=field_error(&f, "password") />
                                            <PasswordField label="Repeat the password" name="password_confirm" autocomplete="new-password" error=field_error(&f, "password_confirm") />
                                            <button type="submit">"Create account and join"</button>
                                        </form>
                                    }.into_any()
                                }
                            }
                            Err(e) => view! {
                                <ErrorBox error=e />
                                <a class="button" href="/login">"Go to sign in"</a>
                            }.into_any(),
                        }
                    })
                }}
            </Suspense>
        }
            .into_any()
    })
}
